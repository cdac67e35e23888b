package dev.quadrant.trainer.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.quadrant.device.DType;
import dev.quadrant.device.UserInputException;

/**
 * {@code resnet[:widths=16-32-64][,blocks=1][,norm=batch|batch-local|layer|none]}: a small ResNet for images
 * {@code [H, W, C]} (He et al. 2015, the CIFAR form): a stem conv 3x3 of {@code widths[0]} channels, norm, ReLU; one
 * stage per width of {@code blocks} {@link BasicBlock}s, each stage after the first starting with stride 2 and a
 * projection shortcut; global average pooling; a Linear to the classes. Parameters are named as torchvision names a
 * ResNet's: {@code conv1, bn1, layer1.0.conv1, ..., layer2.0.downsample.0, ..., fc}. Convolutions have no bias when
 * a norm follows them. {@code norm=batch} (the default) synchronises the batch statistics across the replicas of a
 * synchronous strategy, so N replicas train what one replica trains; {@code batch-local} does not (see
 * {@link BatchNorm}). Immutable.
 *
 * <pre>{@code
 * ModelSpec spec = ModelSpec.parse("resnet:widths=16-32-64,blocks=2");   // 2 blocks per stage: 13 convolutions
 * }</pre>
 */
public record ResNetSpec(int[] widths, int blocks, Norm norm) implements ModelSpec {
    public static final List<String> KEYS = List.of("widths", "blocks", "norm");
    public static final ResNetSpec DEFAULT = new ResNetSpec(new int[] {16, 32, 64}, 1, Norm.BATCH);

    public ResNetSpec {
        widths = widths.clone();
        if (widths.length == 0 || widths.length > 8) {
            throw new UserInputException("--model resnet: widths must name 1 to 8 stages, got " + widths.length);
        }
        for (int w : widths) {
            if (w <= 0 || w > 4096) {
                throw new UserInputException("--model resnet: widths=" + joined(widths) + ": each must be in 1..4096");
            }
        }
        if (blocks <= 0 || blocks > 64) {
            throw new UserInputException("--model resnet: blocks=" + blocks + " must be in 1..64");
        }
        java.util.Objects.requireNonNull(norm, "norm");
    }

    @Override
    public int[] widths() { return widths.clone(); }

    static ResNetSpec parseBody(String body) {
        Map<String, String> kv = new LinkedHashMap<>();
        if (!body.isEmpty()) {
            for (String part : body.split(",", -1)) {
                String p = part.trim();
                int eq = p.indexOf('=');
                String k = eq <= 0 ? "" : p.substring(0, eq).trim();
                if (!KEYS.contains(k)) {
                    throw new UserInputException("--model 'resnet:" + body + "': '" + p + "' is not key=value with a key of "
                            + KEYS);
                }
                if (kv.put(k, p.substring(eq + 1).trim()) != null) {
                    throw new UserInputException("--model 'resnet:" + body + "': " + k + " is given twice");
                }
            }
        }
        int[] widths = DEFAULT.widths;
        if (kv.containsKey("widths")) {
            try {
                widths = Arrays.stream(kv.get("widths").split("-", -1)).mapToInt(Integer::parseInt).toArray();
            } catch (NumberFormatException e) {
                throw new UserInputException("--model resnet: widths=" + kv.get("widths")
                        + " must be channel counts joined by '-', e.g. widths=16-32-64");
            }
        }
        int blocks = DEFAULT.blocks;
        if (kv.containsKey("blocks")) {
            try {
                blocks = Integer.parseInt(kv.get("blocks"));
            } catch (NumberFormatException e) {
                throw new UserInputException("--model resnet: blocks=" + kv.get("blocks") + " must be an integer");
            }
        }
        Norm norm = kv.containsKey("norm") ? Norm.parse("--model resnet", kv.get("norm")) : DEFAULT.norm;
        return new ResNetSpec(widths, blocks, norm);
    }

    @Override
    public Model build(Inputs in) {
        int[] shape = Images.requireImageInput("resnet", in);
        var norms = norm.layers();
        List<String> names = new ArrayList<>(List.of("conv1", "bn1", "act1"));
        List<Module> layers = new ArrayList<>();
        layers.add(new Conv2d(widths[0], Images.window("Conv2d", 3, 1, 1), norms == null));
        layers.add(BasicBlock.normLayer(norms));
        layers.add(new Act(dev.quadrant.device.Activation.RELU));
        int width = widths[0];
        for (int s = 0; s < widths.length; s++) {
            List<Module> stage = new ArrayList<>();
            for (int b = 0; b < blocks; b++) {
                int stride = s > 0 && b == 0 ? 2 : 1;
                boolean project = stride != 1 || width != widths[s];
                stage.add(new BasicBlock(widths[s], stride, project, norms, dev.quadrant.device.Activation.RELU));
                width = widths[s];
            }
            names.add("layer" + (s + 1));
            layers.add(new Sequential(java.util.stream.IntStream.range(0, blocks).mapToObj(Integer::toString).toList(),
                    stage));
        }
        names.add("avgpool");
        layers.add(new GlobalAvgPool());
        names.add("fc");
        layers.add(new Linear(in.outputs()));
        return new Model(new Sequential(names, layers), shape, DType.FLOAT32);
    }

    private static String joined(int[] w) {
        return Arrays.stream(w).mapToObj(Integer::toString).collect(Collectors.joining("-"));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ResNetSpec r && Arrays.equals(widths, r.widths) && blocks == r.blocks && norm == r.norm;
    }

    @Override
    public int hashCode() { return 31 * (31 * Arrays.hashCode(widths) + blocks) + norm.hashCode(); }

    @Override
    public String toString() {
        return "resnet:widths=" + joined(widths) + ",blocks=" + blocks + ",norm=" + norm.text();
    }
}
