package dev.quadrant.examples.gpu;

/**
 * The outcome of one GPU check: its name, whether it passed, and one line saying what was measured against what.
 *
 * @param name   e.g. {@code equivalence allreduce cuda:0x4}
 * @param passed true if the measurement met the bar
 * @param detail the measurement, the bar, and on failure the worst element with both values
 */
public record Check(String name, boolean passed, String detail) {
    @Override
    public String toString() {
        return "CHECK " + (passed ? "PASS" : "FAIL") + " " + name + ": " + detail;
    }
}
