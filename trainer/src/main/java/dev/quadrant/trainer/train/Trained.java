package dev.quadrant.trainer.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.BackendProvider;
import dev.quadrant.device.Device;
import dev.quadrant.trainer.data.Schema;
import dev.quadrant.trainer.data.Vocabulary;
import dev.quadrant.trainer.infer.Generator;
import dev.quadrant.trainer.infer.SavedModel;
import dev.quadrant.trainer.nn.Model;
import dev.quadrant.trainer.nn.ModelFactory;

/**
 * A trained model: the run's metrics and the final parameters, with what it takes to use them: {@link #save},
 * {@link #predictor} (a {@link SavedModel} on a backend, for {@code predict}/{@code classify}) and
 * {@link #generate} for a language model. Immutable (the parameter array is not copied: do not write into it).
 */
public record Trained(TrainResult result, float[] parameters, ModelFactory model, Schema schema, Vocabulary vocabulary,
                      Activation activation) {

    /** The model, built anew (unbound) for the data it was trained on: its layout names the parameters. */
    public Model structure() {
        var in = schema.input();
        var tg = schema.target();
        int outputs = tg.categories() > 0 ? tg.categories() : tg.shape()[tg.shape().length - 1];
        return model.build(new ModelFactory.Inputs(in.shape(), in.dtype(), outputs, activation, 0f));
    }

    /** Writes the parameters as {@code quadrant train --save} does; {@code quadrant eval} and {@code sample} read it. */
    public void save(Path file) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "quadrant-model");
        m.put("model", model.describeSpec());
        m.put("activation", activation.name().toLowerCase(java.util.Locale.ROOT));
        m.put("input", schema.input().toString());
        m.put("target", schema.target().toString());
        if (vocabulary != null) {
            m.put("vocabulary", vocabulary.chars());
        }
        ModelFiles.save(file, structure().layout(), parameters, m);
    }

    /** The model on {@code be} for batches of up to {@code rows} samples; close it when done (not the backend). */
    public SavedModel predictor(Backend be, int rows) {
        return SavedModel.of(model, schema.input(), schema.target(), vocabulary, activation, parameters, be, rows);
    }

    /** {@link #predictor(Backend, int)} on a CPU backend of its own with 1 thread (closed with the predictor). */
    public SavedModel predictor(int rows) {
        Backend be = BackendProvider.of(Device.Kind.CPU).create(Device.cpu(), 1);
        return SavedModel.of(model, schema.input(), schema.target(), vocabulary, activation, parameters, be, rows)
                .owningBackend();
    }

    /** Text from a character-level language model (see {@link Generator}), on the CPU. */
    public String generate(String prompt, int tokens, double temperature, int topK, long seed) {
        try (SavedModel m = predictor(1)) {
            return new Generator(m).generate(prompt, tokens, temperature, topK, seed);
        }
    }
}
