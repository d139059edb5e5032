package dev.anomalysdk.bench.harness;

import dev.anomalysdk.core.metrics.Curve;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** ROC and PRO charts as PNG, one line per detector, drawn with XChart. */
final class Charts {
    private static final int WIDTH = 400;
    private static final int HEIGHT = 340;
    /** One colour per detector, in legend order, the same in every chart. */
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
        new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
        new Color(0xbcbd22), new Color(0x17becf)};

    private Charts() {}

    /**
     * @param title chart title
     * @param xTitle x-axis title
     * @param yTitle y-axis title
     * @param xMax right end of the x axis
     * @param curves detector name to curve, in legend order (null curves are skipped)
     * @param diagonal whether to draw the chance line y = x
     * @return PNG bytes
     */
    static byte[] png(String title, String xTitle, String yTitle, double xMax, Map<String, Curve> curves,
            boolean diagonal) throws IOException {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        XYStyler s = chart.getStyler();
        s.setXAxisMin(0.0);
        s.setXAxisMax(xMax);
        s.setYAxisMin(0.0);
        s.setYAxisMax(1.0);
        s.setLegendPosition(Styler.LegendPosition.InsideSE);
        s.setChartBackgroundColor(Color.WHITE);
        s.setAntiAlias(true);
        s.setChartTitleBoxVisible(false);
        if (diagonal) {
            XYSeries chance = chart.addSeries("chance", new double[] {0, xMax}, new double[] {0, xMax});
            chance.setMarker(SeriesMarkers.NONE).setLineColor(Color.LIGHT_GRAY)
                    .setLineStyle(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                            new float[] {4f, 4f}, 0f));
            chance.setShowInLegend(false);
        }
        int i = 0;
        for (Map.Entry<String, Curve> e : curves.entrySet()) {
            Color colour = PALETTE[i++ % PALETTE.length];
            if (e.getValue() == null) {
                continue;
            }
            XYSeries series = chart.addSeries(e.getKey(), e.getValue().x(), e.getValue().y());
            series.setMarker(SeriesMarkers.NONE).setLineColor(colour);
        }
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }
}
