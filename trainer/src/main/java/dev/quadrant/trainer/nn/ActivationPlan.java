package dev.quadrant.trainer.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import dev.quadrant.device.DType;

/**
 * Every activation buffer a model's modules declared, with its place in one flat arena per dtype: computed from the
 * module tree when the model is built, like the {@link ParamLayout}, so a replica's memory is known exactly before
 * its first step. Immutable.
 *
 * <p>Three kinds of buffer ({@link Kind}): SAVED buffers live from forward to backward (a layer's output, LayerNorm's
 * statistics, attention probabilities); GRADIENT buffers hold the input gradients passed down in backward; both get
 * space of their own. SCRATCH buffers are used only inside one call of one leaf module, so they all share one region
 * the size of the largest module's scratch.
 *
 * <p>Sizes are per sample; the plan is for {@code rows} samples, the most one replica computes at once.
 */
public final class ActivationPlan {

    /** How long a buffer's contents must live. */
    public enum Kind { SAVED, GRADIENT, SCRATCH }

    /**
     * One buffer: owner module's name, kind, dtype, per-sample shape, element offset in its dtype's arena, and whether
     * its shape is {@code fixed}: the same for any number of rows (a BatchNorm's per-channel statistics), not per
     * sample.
     */
    public record Slot(String name, Kind kind, DType dtype, int[] perSample, long offset, boolean fixed,
                       boolean absent) {
        public Slot {
            perSample = perSample.clone();
        }

        @Override
        public int[] perSample() { return perSample.clone(); }

        /** Elements per sample. */
        public long perSampleSize() {
            long n = 1;
            for (int d : perSample) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }

        /** Elements of the buffer for a plan of {@code rows} samples (0 if absent). */
        public long elements(int rows) {
            if (absent) {
                return 0;
            }
            return fixed ? perSampleSize() : Math.multiplyExact(perSampleSize(), rows);
        }

        @Override
        public String toString() {
            return name + " " + kind + " " + dtype + Arrays.toString(perSample) + (fixed ? " fixed" : "")
                    + (absent ? " (not placed: this backend does not use it)" : "");
        }
    }

    private final int rows;
    private final List<Slot> slots;
    private final Map<DType, Long> arenaElements;

    private ActivationPlan(int rows, List<Slot> slots, Map<DType, Long> arenaElements) {
        this.rows = rows;
        this.slots = Collections.unmodifiableList(slots);
        this.arenaElements = Collections.unmodifiableMap(arenaElements);
    }

    /** Samples the plan holds at once. */
    public int rows() { return rows; }

    public List<Slot> slots() { return slots; }

    /** Elements of the arena of {@code dtype} (0 if none). */
    public long arenaElements(DType dtype) { return arenaElements.getOrDefault(dtype, 0L); }

    /** Bytes of every arena together. */
    public long bytes() {
        long b = 0;
        for (Map.Entry<DType, Long> e : arenaElements.entrySet()) {
            b += e.getValue() * e.getKey().bytes();
        }
        return b;
    }

    /** Bytes of the buffers of one kind (scratch: the shared region). */
    public long bytes(Kind kind) {
        if (kind == Kind.SCRATCH) {
            long b = 0;
            for (DType t : arenaElements.keySet()) {
                b += scratchElements(t) * t.bytes();
            }
            return b;
        }
        long b = 0;
        for (Slot s : slots) {
            if (s.kind() == kind) {
                b += s.elements(rows) * s.dtype().bytes();
            }
        }
        return b;
    }

    private long scratchElements(DType t) {
        long max = 0;
        for (Slot s : slots) {
            if (s.kind() == Kind.SCRATCH && s.dtype() == t) {
                max = Math.max(max, s.offset() + s.elements(rows) - scratchBase(t));
            }
        }
        return max;
    }

    private long scratchBase(DType t) {
        long base = 0;
        for (Slot s : slots) {
            if (s.kind() != Kind.SCRATCH && s.dtype() == t) {
                base += s.elements(rows);
            }
        }
        return base;
    }

    /**
     * Collects slots in declaration order; {@link #build} places SAVED and GRADIENT buffers one after another and
     * every module's SCRATCH buffers from the same base. Not thread-safe.
     */
    static final class Builder {
        private record Pending(String owner, String name, Kind kind, DType dtype, int[] perSample, boolean fixed,
                               boolean columns, boolean bf16Operand) {
            /** Whether a plan with or without column buffers and bf16 operand buffers leaves this one out. */
            boolean absent(boolean withColumns, boolean withBf16) {
                return columns && !withColumns || bf16Operand && !withBf16;
            }
        }

        private final List<Pending> pending = new ArrayList<>();

        /** Adds a buffer of module {@code owner}; the returned index identifies it in the built plan. */
        int add(String owner, String name, Kind kind, DType dtype, int[] perSample) {
            return add(owner, name, kind, dtype, perSample, false);
        }

        /** As above; a {@code fixed} buffer has shape {@code perSample} whatever the rows. */
        int add(String owner, String name, Kind kind, DType dtype, int[] perSample, boolean fixed) {
            return add(owner, name, kind, dtype, perSample, fixed, false);
        }

        /**
         * As above; a {@code columns} buffer is a convolution's column matrix, placed only for backends that use it
         * ({@link dev.quadrant.device.Backend#convolutionUsesColumns}).
         */
        int add(String owner, String name, Kind kind, DType dtype, int[] perSample, boolean fixed, boolean columns) {
            return add(owner, name, kind, dtype, perSample, fixed, columns, false);
        }

        /**
         * As above; a {@code bf16Operand} buffer holds a GEMM input rounded to bf16, placed only for backends whose
         * GEMMs round their operands so ({@link dev.quadrant.device.Backend#gemmRoundsToBf16}).
         */
        int add(String owner, String name, Kind kind, DType dtype, int[] perSample, boolean fixed, boolean columns,
                boolean bf16Operand) {
            for (int d : perSample) {
                if (d <= 0) {
                    throw new IllegalArgumentException("activation " + name + " has a non-positive dimension: "
                            + Arrays.toString(perSample));
                }
            }
            pending.add(new Pending(owner, name, kind, dtype, perSample.clone(), fixed, columns, bf16Operand));
            return pending.size() - 1;
        }

        ActivationPlan build(int rows) {
            return build(rows, true);
        }

        /** The plan for {@code rows} samples; without {@code columns}, the column buffers are absent (no space). */
        ActivationPlan build(int rows, boolean columns) {
            return build(rows, columns, false);
        }

        /** As above; with {@code bf16}, the bf16 operand buffers are placed too (absent otherwise). */
        ActivationPlan build(int rows, boolean columns, boolean bf16) {
            Map<DType, Long> next = new EnumMap<>(DType.class);
            List<Slot> out = new ArrayList<>(Collections.nCopies(pending.size(), null));
            for (int i = 0; i < pending.size(); i++) {          // persistent buffers first
                Pending p = pending.get(i);
                if (p.absent(columns, bf16)) {
                    out.set(i, new Slot(p.name(), p.kind(), p.dtype(), p.perSample(), 0, p.fixed(), true));
                } else if (p.kind() != Kind.SCRATCH) {
                    long at = next.getOrDefault(p.dtype(), 0L);
                    Slot s = new Slot(p.name(), p.kind(), p.dtype(), p.perSample(), at, p.fixed(), false);
                    out.set(i, s);
                    next.put(p.dtype(), Math.addExact(at, s.elements(rows)));
                }
            }
            Map<DType, Long> end = new EnumMap<>(next);
            Map<String, Map<DType, Long>> perOwner = new java.util.HashMap<>();
            for (int i = 0; i < pending.size(); i++) {          // each module's scratch from the shared base
                Pending p = pending.get(i);
                if (p.kind() == Kind.SCRATCH && !p.absent(columns, bf16)) {
                    Map<DType, Long> mine = perOwner.computeIfAbsent(p.owner(), k -> new EnumMap<>(DType.class));
                    long at = mine.getOrDefault(p.dtype(), next.getOrDefault(p.dtype(), 0L));
                    Slot s = new Slot(p.name(), p.kind(), p.dtype(), p.perSample(), at, p.fixed(), false);
                    out.set(i, s);
                    long stop = Math.addExact(at, s.elements(rows));
                    mine.put(p.dtype(), stop);
                    end.merge(p.dtype(), stop, Math::max);
                }
            }
            return new ActivationPlan(rows, out, end);
        }
    }
}
