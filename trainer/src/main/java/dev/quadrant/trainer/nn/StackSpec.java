package dev.quadrant.trainer.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.quadrant.device.Activation;
import dev.quadrant.device.DType;
import dev.quadrant.device.UserInputException;
import dev.quadrant.device.Window2d;

/**
 * {@code stack:L1,L2,...}: a simple stack of layers, one token each, followed by a Linear to the classes (as
 * {@code mlp:} appends its output layer). Tokens:
 * <ul>
 *   <li>{@code conv<out>k<k>[s<stride>][p<padding>]}: Conv2d with {@code out} filters of {@code k x k} (stride 1 and
 *       padding 0 unless given), with a bias: {@code conv6k5p2};</li>
 *   <li>{@code max<k>[s<stride>][p<padding>]}, {@code avg<k>[s<stride>][p<padding>]}: pooling, stride {@code k}
 *       unless given; {@code gap}: global average pooling;</li>
 *   <li>{@code bn} (BatchNorm, statistics synchronised across replicas), {@code bn-local}, {@code ln} (LayerNorm
 *       over the channels);</li>
 *   <li>{@code relu}, {@code gelu}, {@code tanh}; {@code drop<p>}: dropout, e.g. {@code drop0.25};</li>
 *   <li>{@code flatten}; {@code fc<n>}: Linear to {@code n} features (an image is flattened first, as its own
 *       layer).</li>
 * </ul>
 * Layers are named {@code layers.<i>} by position, as PyTorch's {@code nn.Sequential}:
 * {@code stack:conv6k5p2,relu,max2,conv16k5,relu,max2,fc120,relu,fc84,relu} is {@code lenet}, parameter for
 * parameter. Immutable.
 */
public record StackSpec(List<String> tokens) implements ModelSpec {
    private static final Pattern CONV = Pattern.compile("conv(\\d+)k(\\d+)(?:s(\\d+))?(?:p(\\d+))?");
    private static final Pattern POOL = Pattern.compile("(max|avg)(\\d+)(?:s(\\d+))?(?:p(\\d+))?");
    private static final Pattern FC = Pattern.compile("fc(\\d+)");
    private static final Pattern DROP = Pattern.compile("drop(0?\\.\\d+|0)");
    public static final String TOKENS = "conv<out>k<k>[s<stride>][p<pad>], max<k>[s<stride>][p<pad>], "
            + "avg<k>[s<stride>][p<pad>], gap, bn, bn-local, ln, relu, gelu, tanh, drop<p>, flatten, fc<n>";

    public StackSpec {
        tokens = List.copyOf(tokens);
        if (tokens.isEmpty()) {
            throw new UserInputException("--model stack: needs at least one layer: " + TOKENS);
        }
        for (String t : tokens) {
            layer(t);       // every token is checked when the spec is made, before any data is read
        }
    }

    static StackSpec parseBody(String body) {
        List<String> tokens = new ArrayList<>();
        for (String part : body.split(",", -1)) {
            tokens.add(part.trim());
        }
        return new StackSpec(tokens);
    }

    /** The module of one token; the error names the token and the forms there are. */
    private static Module layer(String t) {
        Matcher m;
        if ((m = CONV.matcher(t)).matches()) {
            int out = number(t, m.group(1), "the number of filters");
            int k = number(t, m.group(2), "the kernel");
            int s = m.group(3) == null ? 1 : number(t, m.group(3), "the stride");
            int p = m.group(4) == null ? 0 : nonNegative(t, m.group(4));
            return new Conv2d(out, Window2d.square(k, s, p), true);
        }
        if ((m = POOL.matcher(t)).matches()) {
            int k = number(t, m.group(2), "the kernel");
            int s = m.group(3) == null ? k : number(t, m.group(3), "the stride");
            int p = m.group(4) == null ? 0 : nonNegative(t, m.group(4));
            if (2 * p > k) {
                throw new UserInputException("--model stack: '" + t + "': padding " + p + " may be at most half the kernel "
                        + k);
            }
            return m.group(1).equals("max") ? new MaxPool2d(k, s, p) : new AvgPool2d(k, s, p);
        }
        if ((m = FC.matcher(t)).matches()) {
            return new Linear(number(t, m.group(1), "the number of features"));
        }
        if ((m = DROP.matcher(t)).matches()) {
            return new Dropout(Float.parseFloat(m.group(1)));
        }
        return switch (t) {
            case "gap" -> new GlobalAvgPool();
            case "bn" -> new BatchNorm(BatchNorm.Statistics.SYNC);
            case "bn-local" -> new BatchNorm(BatchNorm.Statistics.LOCAL);
            case "ln" -> new LayerNorm();
            case "relu" -> new Act(Activation.RELU);
            case "gelu" -> new Act(Activation.GELU);
            case "tanh" -> new Act(Activation.TANH);
            case "flatten" -> new Flatten();
            default -> throw new UserInputException("--model stack: '" + t + "' is not a layer; layers: " + TOKENS);
        };
    }

    private static int number(String token, String digits, String what) {
        int v;
        try {
            v = Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            v = -1;
        }
        if (v < 1 || v > 1 << 16) {
            throw new UserInputException("--model stack: '" + token + "': " + what + " must be in 1.." + (1 << 16)
                    + ", got " + digits);
        }
        return v;
    }

    private static int nonNegative(String token, String digits) {
        int v = Integer.parseInt(digits.length() > 6 ? "-1" : digits);
        if (v < 0) {
            throw new UserInputException("--model stack: '" + token + "': padding must be in 0..999999, got " + digits);
        }
        return v;
    }

    @Override
    public Model build(Inputs in) {
        int[] shape = in.inputShape();
        if (in.inputDtype() != DType.FLOAT32) {
            throw new UserInputException("--model stack takes float features or images; the data's input is x "
                    + in.inputDtype() + Shapes.show(shape) + " (token ids need --model gpt:...)");
        }
        List<Module> layers = new ArrayList<>();
        boolean flat = shape.length == 1;
        for (String t : tokens) {
            Module layer = layer(t);
            if (layer instanceof Linear && !flat) {
                layers.add(new Flatten());
                flat = true;
            }
            flat = flat || layer instanceof Flatten || layer instanceof GlobalAvgPool;
            layers.add(layer);
        }
        if (!flat) {
            layers.add(new Flatten());
        }
        layers.add(new Linear(in.outputs()));
        return new Model(new Sequential(layers), shape, DType.FLOAT32);
    }

    @Override
    public String toString() { return "stack:" + String.join(",", tokens); }
}
