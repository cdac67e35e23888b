package dev.quadrant.device;

/** Element types a {@link Tensor} can hold. */
public enum DType {
    /** IEEE float32, the type of parameters, gradients, optimizer state and activations. */
    FLOAT32(4, "F32"),
    /** Signed 32-bit integers: class labels, argmax results. */
    INT32(4, "I32"),
    /** bfloat16: GEMM inputs in bf16 precision mode (CUDA only). */
    BF16(2, "BF16");

    private final int bytes;
    private final String safetensorsName;

    DType(int bytes, String safetensorsName) {
        this.bytes = bytes;
        this.safetensorsName = safetensorsName;
    }

    /** Size of one element in bytes. */
    public int bytes() { return bytes; }

    /** The dtype name used in a safetensors header. */
    public String safetensorsName() { return safetensorsName; }
}
