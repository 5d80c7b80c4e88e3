package io.distillery.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Named label ranges: offsets follow from the order, spans cover adjacent ranges, and mistakes fail by name. */
class LabelLayoutTest {

    private static final LabelLayout LAYOUT = LabelLayout.builder().add(LabelLayout.ONE_HOT, 10)
            .add(LabelLayout.TEACHER, 10).add("tap_hidden1", 32).build();

    @Test
    void offsetsFollowTheOrder() {
        assertEquals(52, LAYOUT.width());
        assertEquals(new LabelLayout.Segment(LabelLayout.TEACHER, 10, 10), LAYOUT.segment(LabelLayout.TEACHER));
        assertEquals(20, LAYOUT.segment("tap_hidden1").offset());
        assertArrayEquals(new int[]{0, 20}, LAYOUT.span(LabelLayout.ONE_HOT, LabelLayout.TEACHER));
        assertArrayEquals(new int[]{20, 32}, LAYOUT.span("tap_hidden1", "tap_hidden1"));
        assertEquals("[one-hot 10 | teacher 10 | tap_hidden1 32]", LAYOUT.toString());
    }

    @Test
    void extendingAppendsAndKeepsTheOriginal() {
        LabelLayout peers = LAYOUT.through(LabelLayout.TEACHER).extend().add(LabelLayout.PEERS, 10)
                .add(LabelLayout.PEER_WEIGHT, 1).build();
        assertEquals(31, peers.width());
        assertEquals(30, peers.segment(LabelLayout.PEER_WEIGHT).offset());
        assertFalse(peers.has("tap_hidden1"));
        assertTrue(LAYOUT.has("tap_hidden1"));
    }

    @Test
    void mistakesFailByName() {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> LAYOUT.segment(LabelLayout.PEERS));
        assertTrue(missing.getMessage().contains("'peers'"), missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LAYOUT.extend().add(LabelLayout.TEACHER, 3));
        assertThrows(IllegalArgumentException.class, () -> LAYOUT.span(LabelLayout.TEACHER, LabelLayout.ONE_HOT));
        assertThrows(IllegalArgumentException.class, () -> LabelLayout.builder().add("empty", 0));
    }
}
