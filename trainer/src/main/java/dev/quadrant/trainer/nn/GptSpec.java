package dev.quadrant.trainer.nn;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.quadrant.device.DType;
import dev.quadrant.device.UserInputException;

/**
 * {@code gpt:layers=L,heads=H,dim=D,ctx=T[,dropout=P][,tie=true|false]}: a GPT-2 style decoder (pre-LayerNorm
 * blocks, learned positions, GELU MLP, head tied to the token embedding unless {@code tie=false}) over a vocabulary
 * that comes from the data. Keys may come in any order; {@link #toString()} writes them all in the order above.
 * Immutable.
 */
public record GptSpec(int layers, int heads, int dim, int ctx, float dropout, boolean tie) implements ModelSpec {
    /** The keys, in canonical order. */
    public static final List<String> KEYS = List.of("layers", "heads", "dim", "ctx", "dropout", "tie");

    public GptSpec {
        positive("layers", layers);
        positive("heads", heads);
        positive("dim", dim);
        positive("ctx", ctx);
        if (dim % heads != 0) {
            throw new UserInputException("--model gpt: heads=" + heads + " does not divide dim=" + dim
                    + " (each head gets dim/heads features; try heads=" + largestDivisor(dim, heads) + ")");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new UserInputException("--model gpt: dropout=" + dropout + " must be in [0, 1)");
        }
    }

    private static int largestDivisor(int dim, int near) {
        for (int h = Math.min(near, dim); h >= 1; h--) {
            if (dim % h == 0) {
                return h;
            }
        }
        return 1;
    }

    private static void positive(String key, int v) {
        if (v <= 0 || v > 1 << 20) {
            throw new UserInputException("--model gpt: " + key + "=" + v + " must be an integer in 1.." + (1 << 20));
        }
    }

    /** Parses what follows {@code gpt:}. */
    static GptSpec parseBody(String body) {
        Map<String, String> kv = new LinkedHashMap<>();
        for (String part : body.split(",", -1)) {
            String p = part.trim();
            int eq = p.indexOf('=');
            if (p.isEmpty() || eq <= 0) {
                throw new UserInputException("--model 'gpt:" + body + "': '" + p + "' is not key=value; valid keys: "
                        + String.join(", ", KEYS));
            }
            String k = p.substring(0, eq).trim();
            if (!KEYS.contains(k)) {
                throw new UserInputException("--model 'gpt:" + body + "': unknown key '" + k + "'; valid keys: "
                        + String.join(", ", KEYS));
            }
            if (kv.put(k, p.substring(eq + 1).trim()) != null) {
                throw new UserInputException("--model 'gpt:" + body + "': key '" + k + "' given twice");
            }
        }
        for (String required : List.of("layers", "heads", "dim", "ctx")) {
            if (!kv.containsKey(required)) {
                throw new UserInputException("--model 'gpt:" + body + "': missing " + required + "=N (needed: layers, "
                        + "heads, dim, ctx; optional: dropout, tie), e.g. gpt:layers=4,heads=4,dim=128,ctx=64");
            }
        }
        String tie = kv.getOrDefault("tie", "true");
        if (!tie.equals("true") && !tie.equals("false")) {
            throw new UserInputException("--model gpt: tie=" + tie + " must be true or false");
        }
        return new GptSpec(integer(kv, "layers"), integer(kv, "heads"), integer(kv, "dim"), integer(kv, "ctx"),
                number(kv.getOrDefault("dropout", "0")), tie.equals("true"));
    }

    private static int integer(Map<String, String> kv, String k) {
        try {
            return Integer.parseInt(kv.get(k));
        } catch (NumberFormatException e) {
            throw new UserInputException("--model gpt: " + k + "=" + kv.get(k) + " is not an integer");
        }
    }

    private static float number(String v) {
        try {
            return Float.parseFloat(v);
        } catch (NumberFormatException e) {
            throw new UserInputException("--model gpt: dropout=" + v + " is not a number");
        }
    }

    @Override
    public int sequenceLength() { return ctx; }

    @Override
    public Model build(Inputs in) {
        int[] s = in.inputShape();
        if (in.inputDtype() != DType.INT32 || s.length != 1) {
            throw new UserInputException("--model " + this + " reads token ids (INT32 [" + ctx + "]); the data's input "
                    + "is " + in.inputDtype() + " " + java.util.Arrays.toString(s) + " (use --data text:FILE)");
        }
        if (s[0] != ctx) {
            throw new UserInputException("--model " + this + " has ctx=" + ctx + ", the data gives windows of " + s[0]);
        }
        return new Model(Gpt.build(layers, heads, dim, ctx, in.outputs(), dropout, tie), s, DType.INT32);
    }

    @Override
    public String toString() {
        return "gpt:layers=" + layers + ",heads=" + heads + ",dim=" + dim + ",ctx=" + ctx + ",dropout=" + dropout
                + ",tie=" + tie;
    }
}
