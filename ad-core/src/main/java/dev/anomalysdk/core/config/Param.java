package dev.anomalysdk.core.config;

import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One declared configuration key of a detector: its name, type, default, description (shown by the
 * command line's help) and the rule a value must satisfy.
 *
 * <p>Declare a key once, as a constant, and read it from a {@link Config} with
 * {@link Config#get(Param)}.
 *
 * @param <T> the value type: Integer, Long, Double, Boolean, String or an enum
 */
public final class Param<T> {
    private final String key;
    private final Class<T> type;
    private final T defaultValue;
    private final String description;
    private final Predicate<T> rule;
    private final String ruleText;
    private final Function<String, T> parser;

    private Param(String key, Class<T> type, T defaultValue, String description,
            Predicate<T> rule, String ruleText, Function<String, T> parser) {
        if (!key.matches("[a-z][a-z0-9_.]*")) {
            throw new IllegalArgumentException("Invalid parameter key (lower case, digits, '_' or '.'): " + key);
        }
        this.key = key;
        this.type = type;
        this.description = Objects.requireNonNull(description, "description");
        this.rule = rule;
        this.ruleText = ruleText;
        this.parser = parser;
        this.defaultValue = defaultValue;
        if (defaultValue != null) {
            check(defaultValue);
        }
    }

    /** @return an integer key with an inclusive range */
    public static Param<Integer> ofInt(String key, int def, int min, int max, String description) {
        return new Param<>(key, Integer.class, def, description, v -> v >= min && v <= max,
                "an integer in [" + min + ", " + max + "]", s -> Integer.valueOf(s.trim()));
    }

    /** @return a long integer key with an inclusive range */
    public static Param<Long> ofLong(String key, long def, long min, long max, String description) {
        return new Param<>(key, Long.class, def, description, v -> v >= min && v <= max,
                "an integer in [" + min + ", " + max + "]", s -> Long.valueOf(s.trim()));
    }

    /** @return a real-valued key with an inclusive range; NaN and infinities are rejected */
    public static Param<Double> ofDouble(String key, double def, double min, double max, String description) {
        return new Param<>(key, Double.class, def, description,
                v -> Double.isFinite(v) && v >= min && v <= max,
                "a finite number in [" + min + ", " + max + "]", s -> Double.valueOf(s.trim()));
    }

    /** @return a boolean key ("true" or "false") */
    public static Param<Boolean> ofBoolean(String key, boolean def, String description) {
        return new Param<>(key, Boolean.class, def, description, v -> true, "true or false", s -> {
            String t = s.trim().toLowerCase(Locale.ROOT);
            if (!t.equals("true") && !t.equals("false")) {
                throw new IllegalArgumentException("not a boolean");
            }
            return Boolean.valueOf(t);
        });
    }

    /**
     * @param def default, or {@code null} when the key is optional and unset by default
     * @return a string key; {@code rule} and {@code ruleText} describe valid values
     */
    public static Param<String> ofString(String key, String def, Predicate<String> rule, String ruleText,
            String description) {
        return new Param<>(key, String.class, def, description, rule, ruleText, s -> s);
    }

    /** @return an enum key, set from the constant's name in any case */
    public static <E extends Enum<E>> Param<E> ofEnum(String key, Class<E> type, E def, String description) {
        StringBuilder names = new StringBuilder();
        for (E e : type.getEnumConstants()) {
            names.append(names.length() == 0 ? "" : ", ").append(e.name().toLowerCase(Locale.ROOT));
        }
        return new Param<>(key, type, def, description, v -> true, "one of " + names,
                s -> Enum.valueOf(type, s.trim().toUpperCase(Locale.ROOT)));
    }

    /**
     * The same key (name, type, rule, description) with another default: how a detector adopts a shared key
     * of {@link SharedParams} with the default of its paper or official code.
     *
     * @param def the default, valid under the key's rule
     * @return the key with that default
     */
    public Param<T> withDefault(T def) {
        return new Param<>(key, type, def, description, rule, ruleText, parser);
    }

    /** @return the key, e.g. {@code epochs} */
    public String key() {
        return key;
    }

    /** @return the value type */
    public Class<T> type() {
        return type;
    }

    /** @return the default value, or {@code null} for an optional key */
    public T defaultValue() {
        return defaultValue;
    }

    /** @return what the key means */
    public String description() {
        return description;
    }

    /** @return the valid values, in words */
    public String ruleText() {
        return ruleText;
    }

    /** @return the value parsed from text, validated */
    public T parse(String text) {
        T value;
        try {
            value = parser.apply(text);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    "Invalid value for '" + key + "': \"" + text + "\" (expected " + ruleText + ")", e);
        }
        return check(value);
    }

    /** @return the value if it satisfies the rule, otherwise throws naming the key */
    public T check(Object value) {
        if (value == null) {
            throw new IllegalArgumentException("Missing value for '" + key + "'");
        }
        Object v = value;
        if (type == Double.class && value instanceof Number n) {
            v = n.doubleValue();
        } else if (type == Long.class && value instanceof Integer i) {
            v = i.longValue();
        }
        if (!type.isInstance(v)) {
            throw new IllegalArgumentException("Invalid value for '" + key + "': " + value
                    + " is a " + value.getClass().getSimpleName() + ", expected " + ruleText);
        }
        T t = type.cast(v);
        if (!rule.test(t)) {
            throw new IllegalArgumentException("Invalid value for '" + key + "': " + value
                    + " (expected " + ruleText + ")");
        }
        return t;
    }

    /** @return the value as text that {@link #parse(String)} reads back */
    public String format(T value) {
        if (value instanceof Enum<?> e) {
            return e.name().toLowerCase(Locale.ROOT);
        }
        return String.valueOf(value);
    }

    @Override
    public String toString() {
        return key;
    }
}
