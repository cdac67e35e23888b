package dev.quadrant.device.cuda.comm;

import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.cuda.CudaTensors;

/**
 * The buffer type of {@link CudaCommunicator}: float32 device memory on one GPU, {@code floats} elements from byte
 * address {@code address}. Offsets and counts passed with it are in floats, like a {@code FloatBuffer}'s.
 *
 * <pre>{@code
 * CudaBuffer b = CudaBuffer.of(grads);                    // the whole storage of the flat gradient tensor
 * comm.allReduce(b, (int) grads.offset(), grads.intSize(), ReduceOp.SUM);
 * }</pre>
 *
 * @param device  the GPU number
 * @param address byte address of element 0
 * @param floats  number of float32 elements
 */
public record CudaBuffer(int device, long address, long floats) {
    public CudaBuffer {
        if (device < 0 || address == 0 || floats < 0) {
            throw new IllegalArgumentException("CudaBuffer(cuda:" + device + ", 0x" + Long.toHexString(address) + ", "
                    + floats + " floats): need a device >= 0, a non-null address and floats >= 0");
        }
    }

    /** The whole storage of a FLOAT32 CUDA tensor (its element offset is then {@code t.offset()}). */
    public static CudaBuffer of(Tensor t) {
        if (t.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException("the CUDA communicators move FLOAT32 tensors, got " + t);
        }
        return new CudaBuffer(CudaTensors.deviceIndex(t), CudaTensors.baseAddress(t), t.storage().bytes() / 4);
    }

    /** Byte address of element {@code i}. */
    public long at(long i) {
        return address + 4L * i;
    }
}
