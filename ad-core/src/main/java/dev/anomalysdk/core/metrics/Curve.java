package dev.anomalysdk.core.metrics;

import java.util.Arrays;

/**
 * Points of a metric curve, for plotting: a ROC curve (x = false-positive rate, y = true-positive rate)
 * or a PRO curve (x = false-positive rate of normal pixels, y = mean per-region overlap). Points are in
 * threshold order, from the highest threshold (the origin) down; x never decreases.
 *
 * @param x abscissae, same length as {@code y}
 * @param y ordinates
 */
public record Curve(double[] x, double[] y) {
    /** Copies the arrays; rejects null or different lengths. */
    public Curve {
        if (x == null || y == null || x.length != y.length) {
            throw new IllegalArgumentException("A curve needs x and y arrays of the same length, got "
                    + (x == null ? "null" : x.length) + " and " + (y == null ? "null" : y.length));
        }
        x = x.clone();
        y = y.clone();
    }

    @Override
    public double[] x() {
        return x.clone();
    }

    @Override
    public double[] y() {
        return y.clone();
    }

    /** @return the number of points */
    public int size() {
        return x.length;
    }

    /** @return the area under the polyline (trapezoid rule) */
    public double area() {
        double a = 0;
        for (int i = 1; i < x.length; i++) {
            a += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2;
        }
        return a;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Curve c && Arrays.equals(x, c.x) && Arrays.equals(y, c.y);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(x) + Arrays.hashCode(y);
    }

    @Override
    public String toString() {
        return "Curve[" + x.length + " points]";
    }

    /**
     * Collects points, dropping those closer than {@code step} (L1 distance) to the last kept one; the
     * first and the last point are always kept. A curve of L1 length L keeps at most L / step + 2 points.
     */
    static final class Builder {
        private final double step;
        private double[] xs = new double[64];
        private double[] ys = new double[64];
        private int n;
        private double pendingX = Double.NaN;
        private double pendingY;

        Builder(double step) {
            this.step = step;
        }

        void add(double px, double py) {
            if (n > 0 && Math.abs(px - xs[n - 1]) + Math.abs(py - ys[n - 1]) < step) {
                pendingX = px;
                pendingY = py;
                return;
            }
            keep(px, py);
        }

        private void keep(double px, double py) {
            if (n == xs.length) {
                xs = Arrays.copyOf(xs, 2 * n);
                ys = Arrays.copyOf(ys, 2 * n);
            }
            xs[n] = px;
            ys[n] = py;
            n++;
            pendingX = Double.NaN;
        }

        Curve build() {
            if (!Double.isNaN(pendingX)) {
                keep(pendingX, pendingY);
            }
            return new Curve(Arrays.copyOf(xs, n), Arrays.copyOf(ys, n));
        }
    }
}
