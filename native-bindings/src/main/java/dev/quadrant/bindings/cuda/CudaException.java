package dev.quadrant.bindings.cuda;

import dev.quadrant.bindings.NativeException;

/**
 * A CUDA, cuBLAS, NVRTC or NCCL call returned an error status.
 *
 * <p>The message reads {@code "<library> <call> failed with status <n>: <STATUS_NAME> (<library message>) on cuda:<d>.
 * <hint>"}; each part is also available on its own. Immutable.
 *
 * <pre>{@code
 * try { Cuda.malloc(1L << 40); }
 * catch (CudaException e) { log(e.statusName() + " on device " + e.device()); }
 * }</pre>
 */
public class CudaException extends NativeException {
    private static final long serialVersionUID = 1L;

    /** Device index of a failure that is not tied to one device. */
    public static final int NO_DEVICE = -1;

    private final String statusName;
    private final String libraryMessage;
    private final int device;
    private final String hint;

    public CudaException(String library, String call, int status, String statusName, String libraryMessage,
                         int device, String hint) {
        super(library, call, status, detail(statusName, libraryMessage, device), hint);
        this.statusName = statusName;
        this.libraryMessage = libraryMessage;
        this.device = device;
        this.hint = hint;
    }

    private static String detail(String statusName, String message, int device) {
        StringBuilder b = new StringBuilder(statusName == null ? "" : statusName);
        if (message != null && !message.isEmpty() && !message.equals(statusName)) {
            b.append(" (").append(message).append(')');
        }
        if (device >= 0) {
            b.append(" on cuda:").append(device);
        }
        return b.toString();
    }

    /** The symbolic status, e.g. {@code cudaErrorMemoryAllocation} or {@code CUBLAS_STATUS_NOT_SUPPORTED}. */
    public String statusName() { return statusName; }

    /** The library's own description of the status. */
    public String libraryMessage() { return libraryMessage; }

    /** The CUDA device that was current, or {@link #NO_DEVICE}. */
    public int device() { return device; }

    /** What to try next. */
    public String hint() { return hint; }
}
