package dev.quadrant.trainer.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.quadrant.device.Activation;
import dev.quadrant.device.UserInputException;

/**
 * The {@code --model} option: {@code mlp:H1-H2-...} (hidden sizes; {@code mlp:} alone or {@code mlp:0} is a linear
 * model). Input and output sizes come from the data. Immutable.
 */
public record ModelSpec(int[] hidden) {

    public ModelSpec {
        hidden = hidden.clone();
    }

    @Override
    public int[] hidden() { return hidden.clone(); }

    /** Parses the {@code --model} text. */
    public static ModelSpec parse(String text) {
        String t = text.trim();
        if (!t.startsWith("mlp:") && !t.equals("mlp")) {
            throw new UserInputException("--model '" + text + "' is not understood: expected mlp:H1-H2-... "
                    + "(hidden layer sizes, e.g. mlp:512-256)");
        }
        String sizes = t.equals("mlp") ? "" : t.substring(4);
        if (sizes.isEmpty() || sizes.equals("0")) {
            return new ModelSpec(new int[0]);
        }
        String[] parts = sizes.split("-", -1);
        int[] h = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                h[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                h[i] = -1;
            }
            if (h[i] <= 0 || h[i] > 1 << 20) {
                throw new UserInputException("--model '" + text + "': hidden size '" + parts[i]
                        + "' must be an integer in 1.." + (1 << 20));
            }
        }
        return new ModelSpec(h);
    }

    /** A new, unbound model: Linear, activation[, Dropout] per hidden layer, then the output Linear. */
    public Sequential build(int inFeatures, int outFeatures, Activation activation, float dropout) {
        List<Layer> layers = new ArrayList<>();
        for (int h : hidden) {
            layers.add(new Linear(h));
            layers.add(new ActivationLayer(activation));
            if (dropout > 0) {
                layers.add(new Dropout(dropout));
            }
        }
        layers.add(new Linear(outFeatures));
        return new Sequential(inFeatures, layers);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("mlp:");
        for (int i = 0; i < hidden.length; i++) {
            sb.append(i == 0 ? "" : "-").append(hidden[i]);
        }
        return hidden.length == 0 ? "mlp:0" : sb.toString();
    }

    @Override
    public boolean equals(Object o) { return o instanceof ModelSpec m && Arrays.equals(m.hidden, hidden); }

    @Override
    public int hashCode() { return Arrays.hashCode(hidden); }
}
