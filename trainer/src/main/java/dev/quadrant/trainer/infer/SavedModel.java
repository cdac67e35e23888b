package dev.quadrant.trainer.infer;

import java.nio.file.Path;
import java.util.Map;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.data.Field;
import dev.quadrant.trainer.data.Vocabulary;
import dev.quadrant.trainer.nn.ForwardContext;
import dev.quadrant.trainer.nn.Model;
import dev.quadrant.trainer.nn.ModelFactory;
import dev.quadrant.trainer.nn.ModelSpec;
import dev.quadrant.trainer.nn.Parameters;
import dev.quadrant.trainer.train.ModelFiles;

/**
 * A trained model for inference: a {@code --save} file (or parameters from a training run) with the model spec,
 * the input and target fields and, for a text model, the vocabulary its metadata records, bound to one backend for
 * batches of up to {@code rows} samples. {@link #predict} runs a forward pass; {@link Generator} samples text.
 *
 * <pre>{@code
 * try (Backend be = BackendProvider.of(Device.Kind.CPU).create(Device.cpu(), 2);
 *      SavedModel m = SavedModel.load(Path.of("gpt.safetensors"), be, 1)) {
 *     String text = new Generator(m).generate("ROMEO:", 200, 0.8, 40, 1337);
 * }
 * }</pre>
 *
 * <p>Belongs to one thread; closes what it allocated (not the backend).
 */
public final class SavedModel implements AutoCloseable {
    private final Backend be;
    private final Model model;
    private final Parameters params;
    private final Field input;
    private final Field target;
    private final Vocabulary vocabulary;
    private final String spec;
    private final int rows;
    private final Tensor x;        // [rows, ...input]
    private final float[] out;     // host copy of one output
    private boolean ownsBackend;

    private SavedModel(Backend be, ModelFactory factory, Field input, Field target, Vocabulary vocabulary,
                       Activation activation, int rows, float[] values) {
        this.be = be;
        this.input = input;
        this.target = target;
        this.vocabulary = vocabulary;
        this.rows = Math.max(1, rows);
        int outputs = target.dtype() == DType.INT32 ? target.categories() : target.shape()[target.shape().length - 1];
        this.model = factory.build(new ModelFactory.Inputs(input.shape(), input.dtype(), outputs, activation, 0f));
        this.spec = factory.describeSpec();
        this.params = new Parameters(be, model.layout());
        this.model.bind(be, params, this.rows);
        be.upload(values, 0, params.values());
        params.refreshCopy();   // the weights never change after this
        int[] shape = new int[input.shape().length + 1];
        shape[0] = this.rows;
        System.arraycopy(input.shape(), 0, shape, 1, input.shape().length);
        this.x = be.allocate(input.dtype(), shape);
        int per = 1;
        for (int d : model.outputShape()) {
            per *= d;
        }
        this.out = new float[this.rows * per];
    }

    /** Loads a {@code quadrant train --save} file onto {@code be}, for batches of up to {@code rows} samples. */
    public static SavedModel load(Path file, Backend be, int rows) {
        var content = ModelFiles.read(file);   // read once: metadata and tensors
        Map<String, String> meta = content.metadata();
        String specText = meta.get("model");
        if (specText == null) {
            throw new UserInputException(file + ": the file records no model (metadata field 'model'); was it written "
                    + "by quadrant train --save?");
        }
        ModelSpec spec = ModelSpec.parse(specText);
        Field in;
        Field tg;
        try {
            if (meta.containsKey("input")) {
                in = Field.parse(meta.get("input"));
                tg = Field.parse(meta.get("target"));
            } else {   // files written before the schema was recorded: a classifier of flat features
                in = Field.floats("x", Integer.parseInt(meta.get("features")));
                tg = Field.ints("label", Integer.parseInt(meta.get("classes")));
            }
        } catch (RuntimeException e) {
            throw new UserInputException(file + ": the metadata's input/target fields cannot be read: " + e.getMessage());
        }
        Activation act = Activation.parse(meta.getOrDefault("activation", "relu"));
        Vocabulary vocab = ModelFiles.vocabulary(file, meta);
        ModelFactory.Inputs inputs = new ModelFactory.Inputs(in.shape(), in.dtype(),
                tg.dtype() == DType.INT32 ? tg.categories() : tg.shape()[0], act, 0f);
        float[] values = ModelFiles.load(file, content, spec.build(inputs).layout());
        return new SavedModel(be, spec, in, tg, vocab, act, rows, values);
    }

    /** A model from parameters already in hand (e.g. replica 0's after training), for inference on {@code be}. */
    public static SavedModel of(ModelFactory factory, Field input, Field target, Vocabulary vocabulary,
                                Activation activation, float[] parameters, Backend be, int rows) {
        return new SavedModel(be, factory, input, target, vocabulary, activation, rows, parameters);
    }

    /** Makes {@link #close()} close the backend too (for a backend made just for this model). */
    public SavedModel owningBackend() {
        this.ownsBackend = true;
        return this;
    }

    public Field input() { return input; }

    public Field target() { return target; }

    /** The text model's vocabulary, or null. */
    public Vocabulary vocabulary() { return vocabulary; }

    /** The model spec's canonical text. */
    public String spec() { return spec; }

    public Model model() { return model; }

    /** Most samples one call takes. */
    public int rows() { return rows; }

    /**
     * Forward (no dropout) of {@code n} FLOAT32 inputs, sample after sample, each {@code input().size()} values in
     * the field's layout (an image {@code [H, W, C]} row-major, channels last; a model recorded with a flat
     * {@code x F32[784]} takes the same 784 values); returns the outputs, sample after sample.
     */
    public float[] predict(float[] inputs, int n) {
        checkRows(n);
        checkLength(inputs.length, n);
        Tensor xb = x.rows(0, n);
        be.upload(inputs, 0, xb);
        return run(xb);
    }

    /** As {@link #predict(float[], int)} for INT32 inputs (token ids). */
    public float[] predict(int[] inputs, int n) {
        checkRows(n);
        checkLength(inputs.length, n);
        Tensor xb = x.rows(0, n);
        be.upload(inputs, 0, xb);
        return run(xb);
    }

    /** For a classifier: the most likely class of each of {@code n} inputs. */
    public int[] classify(float[] inputs, int n) {
        float[] logits = predict(inputs, n);
        int k = outputSize();
        int[] best = new int[n];
        for (int i = 0; i < n; i++) {
            int b = 0;
            for (int j = 1; j < k; j++) {
                if (logits[i * k + j] > logits[i * k + b]) {
                    b = j;
                }
            }
            best[i] = b;
        }
        return best;
    }

    private int outputSize() {
        int per = 1;
        for (int d : model.outputShape()) {
            per *= d;
        }
        return per;
    }

    private void checkLength(int length, int n) {
        if (length < (long) n * input.size()) {
            throw new IllegalArgumentException(n + " samples of " + input + " need " + (long) n * input.size()
                    + " values (" + input.size() + " each), got " + length);
        }
    }

    private void checkRows(int n) {
        if (n < 1 || n > rows) {
            throw new IllegalArgumentException(n + " samples, the model was loaded for 1.." + rows);
        }
    }

    private float[] run(Tensor xb) {
        Tensor y = model.forward(xb, ForwardContext.eval());
        float[] o = java.util.Arrays.copyOf(out, Math.toIntExact(y.size()));
        be.download(y, o, 0);
        return o;
    }

    @Override
    public void close() {
        model.close();
        params.close();
        x.close();
        if (ownsBackend) {
            be.close();
        }
    }
}
