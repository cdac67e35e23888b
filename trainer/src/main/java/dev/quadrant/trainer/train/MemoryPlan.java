package dev.quadrant.trainer.train;

import java.util.Locale;

import dev.quadrant.device.DType;
import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.data.Field;
import dev.quadrant.trainer.nn.ActivationPlan;
import dev.quadrant.trainer.nn.Model;
import dev.quadrant.trainer.nn.ModelFactory;
import dev.quadrant.trainer.optim.OptimizerKind;
import dev.quadrant.trainer.parallel.StepBatch;

/**
 * The exact device memory one replica allocates, computed from the model's parameter layout and activation plan
 * before anything is allocated: parameters, gradients, optimizer state, activations (saved, gradients passed down,
 * shared scratch) and the batch buffers. What {@code --verbose} prints at start and the out-of-memory advice quotes.
 * Immutable.
 */
public record MemoryPlan(long parameters, long parameterBytes, long gradientBytes, long optimizerBytes,
                         long savedBytes, long gradientActivationBytes, long scratchBytes, long dataBytes, int rows) {

    /** The plan of one replica of {@code o}'s model on {@code data}. */
    public static MemoryPlan of(TrainOptions o, Training.Setup s, DataSplit data) {
        int rows = StepBatch.maxShardRows(Training.bufferRows(o, data), o.gradAccum, s.devices().size());
        Field in = data.schema().input();
        Field tg = data.schema().target();
        int outputs = tg.dtype() == DType.INT32 ? tg.categories() : tg.shape()[tg.shape().length - 1];
        Model m = s.model().build(new ModelFactory.Inputs(in.shape(), in.dtype(), outputs, s.activation(), o.dropout));
        long p = m.layout().totalSize();
        if (4 * p > Integer.MAX_VALUE) {
            throw new dev.quadrant.device.UserInputException(String.format(Locale.ROOT, "--model %s: %,d parameters "
                    + "need %,d MiB per buffer, but one buffer holds at most 2 GiB (%,d parameters); use a smaller "
                    + "model", s.model().describeSpec(), p, 4 * p >> 20, Integer.MAX_VALUE / 4));
        }
        // The CPU backend's convolution needs no column buffers (CpuBackend.convolutionUsesColumns), a GPU's does:
        // what Model.bind places on each.
        boolean columns = s.devices().stream().anyMatch(d -> !d.isCpu());
        // GPU GEMMs at bf16 precision read bf16 copies of their inputs (Declare.bf16Operand), kept for the backward.
        boolean bf16 = columns && s.precision() == dev.quadrant.device.cuda.Precision.BF16;
        ActivationPlan plan = m.plan(rows, columns, bf16);
        OptimizerKind k = s.optimizer().kind();
        int states = k.isAdam() ? 2 : k == OptimizerKind.SGD ? 0 : 1;
        long out = 1;
        for (int d : m.outputShape()) {
            out *= d;
        }
        long terms = tg.dtype() == DType.INT32 && tg.shape().length == 1 ? tg.size() : 1;
        // Input and target buffers: two of each on a GPU, whose copy stream fills one while a step reads the other
        // (Backend.newUploadQueue, Replica), one on the CPU.
        int slots = columns ? 2 : 1;
        long data4 = (long) rows * (slots * (in.size() + tg.size()) + out + terms) * 4 + 12;
        // parameters: the fp32 masters, and their bf16 copy where GEMMs read one (Parameters)
        return new MemoryPlan(p, (bf16 ? 6 : 4) * p, 4 * p, 4L * states * p, plan.bytes(ActivationPlan.Kind.SAVED),
                plan.bytes(ActivationPlan.Kind.GRADIENT), plan.bytes(ActivationPlan.Kind.SCRATCH), data4, rows);
    }

    /** Everything, in bytes. */
    public long totalBytes() {
        return parameterBytes + gradientBytes + optimizerBytes + savedBytes + gradientActivationBytes + scratchBytes
                + dataBytes;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "memory per replica: %s in all = parameters %s (%,d) + gradients %s + "
                        + "optimizer state %s + activations for %d rows: saved %s, gradients %s, scratch %s + batch "
                        + "buffers %s", mib(totalBytes()), mib(parameterBytes), parameters, mib(gradientBytes),
                mib(optimizerBytes), rows, mib(savedBytes), mib(gradientActivationBytes), mib(scratchBytes),
                mib(dataBytes));
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.2f MiB", bytes / 1048576.0);
    }

}
