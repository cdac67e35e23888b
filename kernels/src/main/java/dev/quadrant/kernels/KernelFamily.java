package dev.quadrant.kernels;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The kernel source files, one family of ops each. {@link #source()} is what NVRTC compiles: {@code common.cuh}
 * followed by the family's file, with a {@code #line} directive so that compiler messages name the right file and
 * line. Immutable.
 */
public enum KernelFamily {
    ELEMENTWISE("elementwise.cu"),
    ACTIVATIONS("activations.cu"),
    SOFTMAX_XENT("softmax_xent.cu"),
    REDUCTIONS("reductions.cu"),
    OPTIMIZERS("optimizers.cu"),
    CASTS("casts.cu"),
    DROPOUT("dropout.cu"),
    EMBEDDING("embedding.cu"),
    LAYERNORM("layernorm.cu"),
    ATTENTION("attention.cu"),
    PERMUTE("permute.cu"),
    IMAGE("image.cu"),
    BATCHNORM("batchnorm.cu");

    /** Resource folder of the sources. */
    public static final String RESOURCE_DIR = "/dev/quadrant/kernels/";
    /** The header every family is compiled with. */
    public static final String COMMON = "common.cuh";

    private final String file;

    KernelFamily(String file) {
        this.file = file;
    }

    /** The source file name, e.g. {@code elementwise.cu}. */
    public String file() { return file; }

    /** The family's file alone, as stored. */
    public String rawSource() {
        return read(file);
    }

    /** The compilation unit: the common header, then the family's file. */
    public String source() {
        return "#line 1 \"" + COMMON + "\"\n" + read(COMMON) + "\n#line 1 \"" + file + "\"\n" + read(file);
    }

    static String read(String name) {
        try (InputStream in = KernelFamily.class.getResourceAsStream(RESOURCE_DIR + name)) {
            if (in == null) {
                throw new IllegalStateException("kernel source " + RESOURCE_DIR + name + " is missing from the class path "
                        + "(a broken quadrant-kernels jar?)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("reading kernel source " + name, e);
        }
    }
}
