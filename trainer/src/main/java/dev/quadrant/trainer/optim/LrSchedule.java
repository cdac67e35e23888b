package dev.quadrant.trainer.optim;

import dev.quadrant.device.UserInputException;

/**
 * Learning rate as a function of the optimizer step (counting from 0) and the total number of steps:
 * {@code constant}, {@code step:EVERY:GAMMA} (multiply by GAMMA every EVERY steps) or
 * {@code cosine[:WARMUP[:MIN_LR]]} (linear warm-up over WARMUP steps, {@code lr * (step + 1) / WARMUP}, then cosine
 * decay from {@code lr} to the floor MIN_LR (default 0): {@code min + (lr - min) * (1 + cos(pi * t)) / 2} with
 * {@code t = (step - WARMUP) / (total - 1 - WARMUP)}, so the last step runs at MIN_LR, as nanoGPT's schedule and the
 * PyTorch reference of {@code bench/torch/gpt_char.py} do). Immutable.
 */
public record LrSchedule(Kind kind, int every, double gamma, int warmup, double minLr) {

    public enum Kind { CONSTANT, STEP, COSINE }

    public static LrSchedule constant() { return new LrSchedule(Kind.CONSTANT, 0, 1, 0, 0); }

    /** Learning rate for {@code step} (0-based) out of {@code totalSteps}, given the base rate. */
    public float at(float base, long step, long totalSteps) {
        switch (kind) {
            case STEP:
                return (float) (base * Math.pow(gamma, step / every));
            case COSINE: {
                if (step < warmup) {
                    return (float) (base * (step + 1) / (double) warmup);
                }
                long span = Math.max(1, totalSteps - 1 - warmup);   // the floor is reached at the last step
                double t = Math.min(1.0, (step - warmup) / (double) span);
                return (float) (minLr + (base - minLr) * 0.5 * (1 + Math.cos(Math.PI * t)));
            }
            default:
                return base;
        }
    }

    /** Parses the {@code --schedule} text. */
    public static LrSchedule parse(String text) {
        String[] p = text.trim().split(":", -1);
        try {
            switch (p[0]) {
                case "constant":
                    if (p.length == 1) {
                        return constant();
                    }
                    break;
                case "step":
                    if (p.length == 3) {
                        int every = Integer.parseInt(p[1]);
                        double gamma = Double.parseDouble(p[2]);
                        if (every > 0 && gamma > 0 && gamma <= 1) {
                            return new LrSchedule(Kind.STEP, every, gamma, 0, 0);
                        }
                    }
                    break;
                case "cosine":
                    if (p.length <= 3) {
                        int warm = p.length >= 2 ? Integer.parseInt(p[1]) : 0;
                        double min = p.length == 3 ? Double.parseDouble(p[2]) : 0;
                        if (warm >= 0 && min >= 0 && Double.isFinite(min)) {
                            return new LrSchedule(Kind.COSINE, 0, 1, warm, min);
                        }
                    }
                    break;
                default:
                    break;
            }
        } catch (NumberFormatException e) {
            // fall through to the error below
        }
        throw new UserInputException("--schedule '" + text + "' is not understood: expected constant, "
                + "step:EVERY:GAMMA (EVERY > 0 steps, 0 < GAMMA <= 1) or cosine[:WARMUP_STEPS[:MIN_LR]] (e.g. cosine:100:1e-4)");
    }

    @Override
    public String toString() {
        return switch (kind) {
            case CONSTANT -> "constant";
            case STEP -> "step:" + every + ":" + gamma;
            case COSINE -> "cosine:" + warmup + (minLr > 0 ? ":" + minLr : "");
        };
    }
}
