package dev.quadrant.kernels;

import java.util.Arrays;
import java.util.List;

/**
 * A kernel's name, family and parameter types, as declared in its {@code .cu} file. A unit test parses the sources
 * and checks every spec against its kernel's C signature, and {@link Kernels} checks every launch against the spec,
 * so a launch can never pass arguments of the wrong number or width. Immutable.
 */
public final class KernelSpec {

    /** The C parameter kinds, by how they are passed (8-byte pointer or 64-bit integer, 4-byte int or float). */
    public enum Arg { PTR, I64, I32, F32 }

    private final KernelFamily family;
    private final String name;
    private final Arg[] args;

    KernelSpec(KernelFamily family, String name, Arg... args) {
        this.family = family;
        this.name = name;
        this.args = args.clone();
    }

    public KernelFamily family() { return family; }

    /** The {@code extern "C"} name. */
    public String name() { return name; }

    /** The parameter kinds in order. */
    public List<Arg> args() { return Arrays.asList(args.clone()); }

    /** The kind of parameter {@code i}. */
    public Arg arg(int i) { return args[i]; }

    /** Number of parameters. */
    public int arity() { return args.length; }

    @Override
    public String toString() { return name + Arrays.toString(args) + " in " + family.file(); }
}
