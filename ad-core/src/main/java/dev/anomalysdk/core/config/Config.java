package dev.anomalysdk.core.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An immutable, validated set of values for a detector's declared {@link Param}s. Keys not set take
 * their default. Build one with {@link #builder(List)}; set values typed or from strings (as the
 * command line's {@code --set key=value} does). An unknown key is an error that lists the known ones.
 */
public final class Config {
    private final Map<String, Param<?>> params;
    private final Map<String, Object> values;

    private Config(Map<String, Param<?>> params, Map<String, Object> values) {
        this.params = params;
        this.values = values;
    }

    /** @return a builder for the given declared keys */
    public static Builder builder(List<Param<?>> params) {
        return new Builder(params);
    }

    /** @return the value of a declared key (the declared default when not set, whichever declaration is passed) */
    public <T> T get(Param<T> param) {
        Param<?> declared = params.get(param.key());
        if (declared == null) {
            throw new IllegalArgumentException("Parameter '" + param.key() + "' is not declared; known: "
                    + params.keySet());
        }
        if (declared.type() != param.type()) {
            throw new IllegalArgumentException("Parameter '" + param.key() + "' is declared as a "
                    + declared.type().getSimpleName() + ", not a " + param.type().getSimpleName());
        }
        // The declared key's default: a detector adopts a shared key with its own default (Param.withDefault),
        // and reading it through the shared declaration must still see that default.
        Object v = values.get(param.key());
        return param.type().cast(v == null ? declared.defaultValue() : v);
    }

    /**
     * A shared key that a detector may or may not declare (e.g. {@link #SEED}, {@link #BATCH_SIZE}).
     *
     * @return the value of {@code key} (its default when not set), or empty when the key is not declared
     * @throws IllegalArgumentException if the key is declared with another type
     */
    public <T> java.util.Optional<T> find(String key, Class<T> type) {
        Param<?> declared = params.get(key);
        if (declared == null) {
            return java.util.Optional.empty();
        }
        if (declared.type() != type) {
            throw new IllegalArgumentException("Parameter '" + key + "' is a " + declared.type().getSimpleName()
                    + ", not a " + type.getSimpleName());
        }
        return java.util.Optional.of(type.cast(get(declared)));
    }

    /** @return the declared keys in declaration order */
    public List<Param<?>> params() {
        return List.copyOf(params.values());
    }

    /** @return every key with its effective value as text (defaults included; unset optionals omitted) */
    public Map<String, String> asStrings() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Param<?> p : params.values()) {
            String s = formatted(p);
            if (s != null) {
                out.put(p.key(), s);
            }
        }
        return out;
    }

    private <T> String formatted(Param<T> p) {
        T v = get(p);
        return v == null ? null : p.format(v);
    }

    /** @return a builder starting from this configuration's values */
    public Builder toBuilder() {
        Builder b = new Builder(List.copyOf(params.values()));
        b.values.putAll(values);
        return b;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Config c && c.asStrings().equals(asStrings());
    }

    @Override
    public int hashCode() {
        return asStrings().hashCode();
    }

    @Override
    public String toString() {
        return asStrings().toString();
    }

    /** Collects values; {@link #build()} returns the immutable configuration. */
    public static final class Builder {
        private final Map<String, Param<?>> params = new LinkedHashMap<>();
        private final Map<String, Object> values = new LinkedHashMap<>();

        private Builder(List<Param<?>> declared) {
            for (Param<?> p : declared) {
                if (params.put(p.key(), p) != null) {
                    throw new IllegalArgumentException("Parameter declared twice: " + p.key());
                }
            }
        }

        /** Sets a typed value; throws naming the key when it is invalid. */
        public <T> Builder set(Param<T> param, T value) {
            values.put(declared(param.key()).key(), param.check(value));
            return this;
        }

        /** Sets a value from text; throws naming the key when it is unknown or the value invalid. */
        public Builder set(String key, String value) {
            Objects.requireNonNull(value, "value of " + key);
            Param<?> p = declared(key);
            values.put(key, p.parse(value));
            return this;
        }

        /** Sets every {@code key -> value} pair from text. */
        public Builder setAll(Map<String, String> keyValues) {
            keyValues.forEach(this::set);
            return this;
        }

        private Param<?> declared(String key) {
            Param<?> p = params.get(key);
            if (p == null) {
                throw new IllegalArgumentException("Unknown parameter '" + key + "'; known: "
                        + String.join(", ", params.keySet()));
            }
            return p;
        }

        /** @return the immutable configuration */
        public Config build() {
            return new Config(Collections.unmodifiableMap(new LinkedHashMap<>(params)),
                    Collections.unmodifiableMap(new LinkedHashMap<>(values)));
        }
    }
}
