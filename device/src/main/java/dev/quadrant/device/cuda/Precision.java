package dev.quadrant.device.cuda;

import java.util.Locale;

import dev.quadrant.device.UserInputException;

/**
 * How {@link CudaBackend#gemm} multiplies: everything else is fp32 in every mode.
 *
 * <ul>
 *   <li>{@code FP32}: IEEE single precision (cuBLAS sgemm, no tensor-core rounding).</li>
 *   <li>{@code TF32}: fp32 inputs rounded to TF32 (10-bit mantissa) on tensor cores, fp32 accumulation.</li>
 *   <li>{@code BF16}: inputs cast to bfloat16 (round to nearest even) in scratch buffers, fp32 accumulation and output.</li>
 * </ul>
 */
public enum Precision {
    FP32, TF32, BF16;

    /** Parses {@code fp32|tf32|bf16} (any case) as given to {@code --precision}. */
    public static Precision parse(String s) {
        for (Precision p : values()) {
            if (p.name().equalsIgnoreCase(s == null ? "" : s.trim())) {
                return p;
            }
        }
        throw new UserInputException("--precision '" + s + "': expected one of fp32, tf32, bf16");
    }

    /** The option's spelling, e.g. {@code "tf32"}. */
    public String optionName() { return name().toLowerCase(Locale.ROOT); }
}
