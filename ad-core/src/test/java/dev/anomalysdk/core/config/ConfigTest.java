package dev.anomalysdk.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigTest {
    enum Mode { FAST, EXACT }

    static final Param<Integer> EPOCHS = Param.ofInt("epochs", 10, 1, 1000, "Training epochs");
    static final Param<Double> LR = Param.ofDouble("learning_rate", 1e-3, 0, 1, "Learning rate");
    static final Param<Boolean> FLAG = Param.ofBoolean("flag", false, "A flag");
    static final Param<Mode> MODE = Param.ofEnum("mode", Mode.class, Mode.FAST, "A mode");
    static final Param<String> PATH = Param.ofString("path", null, s -> !s.isBlank(), "a path", "Optional path");
    static final List<Param<?>> ALL = List.of(EPOCHS, LR, FLAG, MODE, PATH);

    @Test
    void sharedKeysAreFoundByNameWhenDeclared() {
        Config c = Config.builder(ALL).set("epochs", "7").build();
        assertEquals(java.util.Optional.of(7), c.find("epochs", Integer.class));
        assertEquals(java.util.Optional.of(1e-3), c.find("learning_rate", Double.class), "the default when not set");
        assertEquals(java.util.Optional.empty(), c.find("seed", Long.class));
        assertThrows(IllegalArgumentException.class, () -> c.find("epochs", Long.class));
    }

    @Test
    void unsetKeysTakeTheirDefault() {
        Config c = Config.builder(ALL).build();
        assertEquals(10, c.get(EPOCHS));
        assertEquals(Mode.FAST, c.get(MODE));
        assertNull(c.get(PATH));
    }

    @Test
    void aSharedKeyReadThroughItsSharedDeclarationSeesTheDetectorsDefault() {
        Config c = Config.builder(List.of(SharedParams.EPOCHS.withDefault(700))).build();
        assertEquals(700, c.get(SharedParams.EPOCHS));
        assertEquals(5, Config.builder(List.of(SharedParams.EPOCHS.withDefault(700))).set("epochs", "5").build()
                .get(SharedParams.EPOCHS));
        assertEquals(100, SharedParams.EPOCHS.defaultValue(), "the shared declaration keeps its own default");
    }

    @Test
    void valuesSetFromStringsAreParsedAndTyped() {
        Config c = Config.builder(ALL).setAll(Map.of("epochs", "25", "learning_rate", "0.5", "flag", "TRUE",
                "mode", "exact")).build();
        assertEquals(25, c.get(EPOCHS));
        assertEquals(0.5, c.get(LR));
        assertTrue(c.get(FLAG));
        assertEquals(Mode.EXACT, c.get(MODE));
    }

    @Test
    void anUnknownKeyListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Config.builder(ALL).set("epoch", "3"));
        assertTrue(e.getMessage().contains("'epoch'"), e.getMessage());
        assertTrue(e.getMessage().contains("epochs, learning_rate, flag, mode, path"), e.getMessage());
    }

    @Test
    void invalidValuesNameTheKeyAndTheRule() {
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> Config.builder(ALL).set("epochs", "0"));
        assertTrue(range.getMessage().contains("'epochs'") && range.getMessage().contains("[1, 1000]"),
                range.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Config.builder(ALL).set("epochs", "ten"));
        assertThrows(IllegalArgumentException.class, () -> Config.builder(ALL).set("learning_rate", "NaN"));
        assertThrows(IllegalArgumentException.class, () -> Config.builder(ALL).set("flag", "yes"));
        IllegalArgumentException mode = assertThrows(IllegalArgumentException.class,
                () -> Config.builder(ALL).set("mode", "slow"));
        assertTrue(mode.getMessage().contains("fast, exact"), mode.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Config.builder(ALL).set(EPOCHS, -1));
    }

    @Test
    void textFormRoundTrips() {
        Config c = Config.builder(ALL).set(LR, 0.25).set(MODE, Mode.EXACT).build();
        Config back = Config.builder(ALL).setAll(c.asStrings()).build();
        assertEquals(c, back);
        assertEquals("exact", c.asStrings().get("mode"));
    }

    @Test
    void aKeyDeclaredTwiceIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> Config.builder(List.of(EPOCHS, EPOCHS)));
    }
}
