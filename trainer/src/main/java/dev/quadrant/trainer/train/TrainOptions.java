package dev.quadrant.trainer.train;

import java.nio.file.Path;

/**
 * Every option of {@code quadrant train}, with its default. The same object configures a run from Java:
 *
 * <pre>{@code
 * TrainOptions o = new TrainOptions();
 * o.data = "idx:../shared/datasets/mnist";
 * o.model = "mlp:256";
 * o.epochs = 3;
 * TrainResult r = Training.run(o, List.of());
 * }</pre>
 *
 * <p>Option names are a contract with users and scripts: do not rename them. Mutable, not thread-safe.
 */
public class TrainOptions {

    @Setting(name = "--data", label = "SPEC", description = "synthetic[:FEATURESxCLASSESxSAMPLES] | idx:DIR | csv:FILE | text:FILE (characters; 90% train, 10% validation) | tokens:FILE (uint16 token ids) (default: ${DEFAULT-VALUE})")
    public String data = "synthetic";

    @Setting(name = "--csv-label-column", label = "N", description = "label column of a CSV file; negative counts from the end (default: ${DEFAULT-VALUE}, the last)")
    public int csvLabelColumn = -1;

    @Setting(name = "--csv-test-fraction", label = "X", description = "share of a CSV file's last rows held out as the test split (default: ${DEFAULT-VALUE})")
    public double csvTestFraction = 0.1;

    @Setting(name = "--val-fraction", label = "X", description = "hold out the last X of the training samples as a validation set, scored as val_* at every evaluation (for early stopping and model selection; the test set stays untouched); 0 = none (default: ${DEFAULT-VALUE})")
    public double valFraction = 0;

    @Setting(name = "--model", label = "SPEC", description = "mlp:H1-H2-... (hidden sizes) | gpt:layers=L,heads=H,dim=D,ctx=T[,dropout=P][,tie=true|false] | lenet | resnet[:widths=16-32-64][,blocks=1][,norm=batch|batch-local|layer|none] | stack:L1,L2,... with layers conv<out>k<k>[s<stride>][p<pad>], max<k>[s..][p..], avg<k>[s..][p..], gap, bn, bn-local, ln, relu, gelu, tanh, drop<p>, flatten, fc<n> (a Linear to the classes follows); input and output sizes come from the data (default: ${DEFAULT-VALUE})")
    public String model = "mlp:512-256";

    @Setting(name = "--activation", label = "NAME", description = "relu | gelu | tanh (default: ${DEFAULT-VALUE})")
    public String activation = "relu";

    @Setting(name = "--dropout", label = "P", description = "dropout probability after each hidden activation (default: ${DEFAULT-VALUE})")
    public float dropout = 0f;

    @Setting(name = "--init", label = "NAME", description = "he | xavier (default: he for relu and gelu, xavier for tanh)")
    public String init;

    @Setting(name = "--epochs", label = "N", description = "passes over the training data (default: ${DEFAULT-VALUE})")
    public int epochs = 3;

    @Setting(name = "--steps", label = "N", description = "stop after N optimizer steps; overrides --epochs (default: 0 = use epochs)")
    public long steps = 0;

    @Setting(name = "--batch", label = "N", description = "global batch size, split across replicas (default: ${DEFAULT-VALUE})")
    public int batch = 128;

    @Setting(name = "--lr", label = "X", description = "learning rate (default: ${DEFAULT-VALUE})")
    public float lr = 1e-3f;

    @Setting(name = "--optimizer", label = "NAME", description = "sgd | momentum | nesterov | adam | adamw (default: ${DEFAULT-VALUE})")
    public String optimizer = "adam";

    @Setting(name = "--momentum", label = "X", description = "momentum of momentum and nesterov (default: ${DEFAULT-VALUE})")
    public float momentum = 0.9f;

    @Setting(name = "--weight-decay", label = "X", description = "L2 penalty (adamw: decoupled decay) on weights, not biases (default: ${DEFAULT-VALUE})")
    public float weightDecay = 0f;

    @Setting(name = "--betas", label = "B1,B2", description = "Adam and AdamW moment decay rates (default: ${DEFAULT-VALUE})")
    public String betas = "0.9,0.999";

    @Setting(name = "--grad-accum", label = "K", description = "micro-batches of --batch rows per optimizer step (gradient accumulation; the same as a K times larger batch) (default: ${DEFAULT-VALUE})")
    public int gradAccum = 1;

    @Setting(name = "--schedule", label = "SPEC", description = "constant | step:EVERY:GAMMA | cosine[:WARMUP[:MIN_LR]] (default: ${DEFAULT-VALUE})")
    public String schedule = "constant";

    @Setting(name = "--clip-norm", label = "X", description = "clip gradients to this global L2 norm; 0 = off (default: ${DEFAULT-VALUE})")
    public float clipNorm = 0f;

    @Setting(name = "--eval-every", label = "N", description = "evaluate every N steps as well as at each epoch's end and at the end; 0 = only those (default: ${DEFAULT-VALUE})")
    public long evalEvery = 0;

    @Setting(name = "--eval-batches", label = "N", description = "text data: validate on N batches of --batch evenly spaced windows; 0 = the whole validation text once, in windows of ctx (default: ${DEFAULT-VALUE})")
    public int evalBatches = 0;

    @Setting(name = "--early-stop", label = "N", description = "stop cleanly when --early-stop-metric has not improved for N evaluations in a row (final evaluation, checkpoint and --save as at the end); 0 = off (default: ${DEFAULT-VALUE})")
    public int earlyStop = 0;

    @Setting(name = "--early-stop-metric", label = "KEY", description = "the validation metric early stopping watches: val_loss, val_accuracy, ... (a loss must fall, an accuracy rise) (default: ${DEFAULT-VALUE})")
    public String earlyStopMetric = "val_loss";

    @Setting(name = "--augment", label = "SPEC", description = "augment training images: none | crop:P (pad P zeros, crop back at a random offset) | flip (random horizontal flip) | crop:P,flip; keyed by seed, epoch and sample, never applied to evaluation (default: ${DEFAULT-VALUE})")
    public String augment = "none";

    @Setting(name = "--seed", label = "N", description = "seed of data, initial weights, order and dropout (default: ${DEFAULT-VALUE})")
    public long seed = 1;

    @Setting(name = "--devices", label = "SPEC", description = "auto | cpu:N (N replicas on the CPU) | cuda:0 | cuda:all | cuda:0,1 | cuda:0x4 (4 replicas on GPU 0) | cuda:0x2,1x2 (default: ${DEFAULT-VALUE})")
    public String devices = "auto";

    @Setting(name = "--precision", label = "NAME", description = "GEMM precision on GPUs: fp32 | tf32 | bf16 (bf16 inputs, fp32 accumulation and master weights) (default: ${DEFAULT-VALUE})")
    public String precision = "fp32";

    @Setting(name = "--cuda-graphs", label = "MODE", description = "auto | on | off: replay the repeated work of GPU steps as CUDA graphs (exact: only where a step queues exactly the captured ops; --verbose says which parts) (default: ${DEFAULT-VALUE})")
    public String cudaGraphs = "auto";

    @Setting(name = "--threads", label = "N", description = "CPU threads in all, divided between CPU replicas (default: all cores)")
    public int threads = 0;

    @Setting(name = "--strategy", label = "NAME", description = "allreduce | ps | hogwild | gossip, for several replicas (default: ${DEFAULT-VALUE})")
    public String strategy = "allreduce";

    @Setting(name = "--metrics", label = "FILE", description = "write one JSON object per epoch to FILE")
    public Path metrics;

    @Setting(name = "--overwrite-metrics", label = "true|false", description = "let a fresh run replace an existing, non-empty --metrics file (without it the run is refused; a --resume run appends)")
    public boolean overwriteMetrics;

    @Setting(name = "--save", label = "FILE", description = "save the trained parameters as safetensors")
    public Path save;

    @Setting(name = "--load", label = "FILE", description = "start from parameters in a safetensors file")
    public Path load;

    @Setting(name = "--checkpoint-dir", label = "DIR", description = "write checkpoints (parameters, optimizer state, position) to DIR/step-NNNNNN/")
    public Path checkpointDir;

    @Setting(name = "--checkpoint-every", label = "N|Ne", description = "checkpoint every N steps (500) or every N epochs (1e, 2epochs), and at the end (default: 1e)")
    public String checkpointEvery;

    @Setting(name = "--keep-checkpoints", label = "K", description = "keep the newest K checkpoints (default: ${DEFAULT-VALUE})")
    public int keepCheckpoints = 3;

    @Setting(name = "--resume", label = "DIR", description = "continue from the newest valid checkpoint in DIR (or from DIR itself if it is one)")
    public Path resume;

    @Setting(name = "--on-nan", label = "abort|skip", description = "when gradients are NaN or infinite: stop with an error, or drop that update (default: ${DEFAULT-VALUE})")
    public String onNan = "abort";

    /** Effective thread budget: {@link #threads} or the number of cores. */
    public int effectiveThreads() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }
}
