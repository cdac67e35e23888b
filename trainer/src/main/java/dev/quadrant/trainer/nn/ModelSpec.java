package dev.quadrant.trainer.nn;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

import dev.quadrant.device.UserInputException;

/**
 * A model named by text, as {@code --model} takes it: {@code mlp:512-256} ({@link MlpSpec}) or
 * {@code gpt:layers=4,heads=4,dim=128,ctx=64} ({@link GptSpec}). Parsing checks everything it can without the data;
 * {@code toString()} is the canonical text, which a checkpoint records and {@link #parse} reads back to an equal
 * spec. Immutable.
 *
 * <pre>{@code
 * ModelSpec spec = ModelSpec.parse("gpt:layers=2,heads=2,dim=64,ctx=32");
 * Model m = spec.build(new ModelFactory.Inputs(new int[] {32}, DType.INT32, 65, Activation.GELU, 0f));
 * }</pre>
 */
public sealed interface ModelSpec extends ModelFactory permits MlpSpec, GptSpec, LeNetSpec, ResNetSpec, StackSpec {

    /** The kinds there are, by prefix, each with its parser. */
    Map<String, Function<String, ModelSpec>> KINDS = kinds();

    private static Map<String, Function<String, ModelSpec>> kinds() {
        Map<String, Function<String, ModelSpec>> m = new LinkedHashMap<>();
        m.put("mlp", MlpSpec::parseBody);
        m.put("gpt", GptSpec::parseBody);
        m.put("lenet", LeNetSpec::parseBody);
        m.put("resnet", ResNetSpec::parseBody);
        m.put("stack", StackSpec::parseBody);
        return java.util.Collections.unmodifiableMap(m);
    }

    /** Forms for messages and help. */
    String FORMS = "mlp:H1-H2-... (hidden sizes, e.g. mlp:512-256) | "
            + "gpt:layers=L,heads=H,dim=D,ctx=T[,dropout=P][,tie=true|false] | lenet (images [H, W, C]) | "
            + "resnet[:widths=16-32-64][,blocks=1][,norm=batch|batch-local|layer|none] (images) | "
            + "stack:L1,L2,... (layers: " + StackSpec.TOKENS + "; a Linear to the classes follows)";

    /** Parses {@code --model} text; errors name the option, the text and what was expected. */
    static ModelSpec parse(String text) {
        String t = text == null ? "" : text.trim();
        int colon = t.indexOf(':');
        String kind = colon < 0 ? t : t.substring(0, colon);
        Function<String, ModelSpec> p = KINDS.get(kind);
        if (p == null) {
            throw new UserInputException("--model '" + text + "' is not understood: expected " + FORMS);
        }
        return p.apply(colon < 0 ? "" : t.substring(colon + 1));
    }

    /** The sequence length the data must provide ({@code ctx} of a GPT), or 0 for models of fixed-size inputs. */
    default int sequenceLength() { return 0; }

    @Override
    default String describeSpec() { return toString(); }
}
