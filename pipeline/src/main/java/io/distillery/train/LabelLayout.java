package io.distillery.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The columns of a training row's label vector as named, contiguous ranges, in order: for example
 * {@code one-hot} (C), {@code teacher} (C), then one range per teacher tap, and for co-distillation the
 * {@code peers} target (C) and its {@code peer-weight} (1), which the executor step appends per minibatch.
 * Packing, losses and evaluation ask a layout for a range by name instead of computing offsets.
 */
public final class LabelLayout implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The hard label, one-hot; all zeros for a row whose label is hidden. */
    public static final String ONE_HOT = "one-hot";
    /** The stored teacher's logits. */
    public static final String TEACHER = "teacher";
    /** The target made from the peers' snapshots on the minibatch (co-distillation). */
    public static final String PEERS = "peers";
    /** The weight of the peer term for the row (0 during burn-in or before the first exchange). */
    public static final String PEER_WEIGHT = "peer-weight";

    private final List<Segment> segments;

    private LabelLayout(List<Segment> segments) {
        this.segments = List.copyOf(segments);
    }

    /** A layout with the given ranges in order. */
    public static Builder builder() {
        return new Builder(new ArrayList<>());
    }

    /** A builder that starts with this layout's ranges (to append the ranges a step adds on the fly). */
    public Builder extend() {
        return new Builder(new ArrayList<>(segments));
    }

    /** The prefix of this layout up to and including range {@code last}. */
    public LabelLayout through(String last) {
        return new LabelLayout(segments.subList(0, indexOf(last) + 1));
    }

    /** Total number of label columns. */
    public int width() {
        return segments.isEmpty() ? 0 : segments.get(segments.size() - 1).end();
    }

    public boolean has(String name) {
        return segments.stream().anyMatch(s -> s.name.equals(name));
    }

    /** The range called {@code name}; fails naming the layout when there is none. */
    public Segment segment(String name) {
        return segments.get(indexOf(name));
    }

    /** The ranges in order. */
    public List<Segment> segments() {
        return segments;
    }

    /**
     * The columns from the start of range {@code first} to the end of range {@code last}, as an
     * {@code (offset, width)} pair: how one network output reads several adjacent ranges.
     */
    public int[] span(String first, String last) {
        Segment a = segment(first);
        Segment b = segment(last);
        if (b.offset < a.offset) {
            throw new IllegalArgumentException(last + " comes before " + first + " in " + this);
        }
        return new int[]{a.offset, b.end() - a.offset};
    }

    private int indexOf(String name) {
        for (int i = 0; i < segments.size(); i++) {
            if (segments.get(i).name.equals(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException("label layout " + this + " has no range '" + name + "'");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LabelLayout l && l.segments.equals(segments);
    }

    @Override
    public int hashCode() {
        return segments.hashCode();
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("[");
        for (Segment seg : segments) {
            s.append(s.length() > 1 ? " | " : "").append(seg.name).append(' ').append(seg.width);
        }
        return s.append(']').toString();
    }

    /**
     * One named range of label columns.
     *
     * @param name   what the columns hold
     * @param offset first column
     * @param width  number of columns
     */
    public record Segment(String name, int offset, int width) implements Serializable {
        /** One past the last column. */
        public int end() {
            return offset + width;
        }
    }

    /** Appends ranges in order. */
    public static final class Builder {
        private final List<Segment> segments;

        private Builder(List<Segment> segments) {
            this.segments = segments;
        }

        /** Appends range {@code name} of {@code width} columns; names are unique. */
        public Builder add(String name, int width) {
            if (width <= 0) {
                throw new IllegalArgumentException("range " + name + " has width " + width);
            }
            if (segments.stream().anyMatch(s -> s.name.equals(name))) {
                throw new IllegalArgumentException("range " + name + " is already in the layout");
            }
            int offset = segments.isEmpty() ? 0 : segments.get(segments.size() - 1).end();
            segments.add(new Segment(name, offset, width));
            return this;
        }

        public LabelLayout build() {
            return new LabelLayout(segments);
        }
    }
}
