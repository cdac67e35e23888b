package dev.quadrant.device.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.reference.ReferenceBackend;
import dev.quadrant.kernels.HostKernels;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link CudaBackend}'s batch-norm ops end to end on the stub libraries (host memory as device memory, the kernels as
 * {@link HostKernels}), against the float64 {@link ReferenceBackend}: argument checks, addresses of views at odd
 * offsets, the partials scratch, the in-place forms. What this cannot check: the CUDA kernels themselves (see
 * {@link EmulatedBatchNormKernelsTest}), GPU asynchrony. Run with {@code -Pfakes -Dquadrant.fakes=DIR}.
 */
@Tag("fakes")
class CudaBackendBatchNormFakesTest extends FakesBackendTest {
    CudaBackendBatchNormFakesTest() {
        super(5L);
    }

    @Test
    void aTrainingStepOfBatchNormOnViews() {
        int m = 70;   // two chunks of partials
        int c = 5;
        float eps = 1e-5f;
        float[] x = randn(m * c);
        for (int i = 0; i < x.length; i++) {
            x[i] = 2 * x[i] + 1;
        }
        float[] gamma = randn(c);
        float[] beta = randn(c);
        float[] dy = randn(m * c);
        float[] runMean = randn(c);
        float[] runVar = new float[c];
        java.util.Arrays.fill(runVar, 1f);
        try (CudaBackend be = open(Precision.FP32)) {
            Tensor[][] g = {view(be, x, m, c), view(be, gamma, c), view(be, beta, c), view(be, new float[c], c),
                view(be, new float[c], c), view(be, new float[m * c], m, c), view(be, dy, m, c),
                view(be, new float[2 * c], 2, c), view(be, runMean, c), view(be, runVar, c)};
            Tensor tx = g[0][1];
            Tensor sum = g[3][1];
            Tensor sq = g[4][1];
            be.columnSums(tx, 0f, sum);
            be.centeredSquareSums(tx, sum, m, sq);
            be.batchNormForward(tx, sum, sq, m, eps, g[1][1], g[2][1], g[5][1]);
            be.batchNormRunningUpdate(sum, sq, m, 0.1f, g[8][1], g[9][1]);
            be.batchNormBackwardSums(tx, sum, sq, m, eps, g[6][1], g[7][1]);
            be.batchNormBackward(tx, sum, sq, m, eps, g[1][1], g[7][1], g[6][1], g[6][1]);   // dx = dy

            Tensor rx = ref.floats(x, m, c);
            Tensor rs = ref.zeros(c);
            rb.columnSums(rx, 0f, rs);
            Tensor rq = ref.zeros(c);
            rb.centeredSquareSums(rx, rs, m, rq);
            Tensor ry = ref.zeros(m, c);
            rb.batchNormForward(rx, rs, rq, m, eps, ref.floats(gamma, c), ref.floats(beta, c), ry);
            Tensor rm = ref.floats(runMean, c);
            Tensor rv = ref.floats(runVar, c);
            rb.batchNormRunningUpdate(rs, rq, m, 0.1f, rm, rv);
            Tensor rsums = ref.zeros(2, c);
            Tensor rdy = ref.floats(dy, m, c);
            rb.batchNormBackwardSums(rx, rs, rq, m, eps, rdy, rsums);
            rb.batchNormBackward(rx, rs, rq, m, eps, ref.floats(gamma, c), rsums, rdy, rdy);
            EmulatorTest.near("centeredSquareSums", get(be, sq), RefTensors.values(rq));
            EmulatorTest.near("batchNormForward y", get(be, g[5][1]), RefTensors.values(ry));
            EmulatorTest.near("runningMean", get(be, g[8][1]), RefTensors.values(rm));
            EmulatorTest.near("runningVar", get(be, g[9][1]), RefTensors.values(rv));
            EmulatorTest.near("batchNormBackwardSums", get(be, g[7][1]), RefTensors.values(rsums));
            EmulatorTest.near("batchNormBackward dx (in place)", get(be, g[6][1]), RefTensors.values(rdy));
            float[] y = get(be, g[5][1]);
            be.batchNormForward(tx, sum, sq, m, eps, g[1][1], g[2][1], tx);   // y = x
            assertArrayEquals(y, get(be, tx), "batchNormForward in place");
            for (Tensor[] t : g) {
                t[0].close();
            }
            try (Tensor a = be.allocate(DType.FLOAT32, 4, 3); Tensor v = be.allocate(DType.FLOAT32, 4);
                 Tensor s = be.allocate(DType.FLOAT32, 3, 2)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> be.batchNormBackwardSums(a, v, v, 4f, eps, a, s));
                assertTrue(e.getMessage().contains("batchNormBackwardSums") && e.getMessage().contains("sum"),
                        e.getMessage());
            }
        }
    }
}
