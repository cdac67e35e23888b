package dev.quadrant.trainer.parallel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The parallel strategies are backend-neutral: no class of {@code dev.quadrant.trainer.parallel} refers to a
 * {@code dev.quadrant.device.cuda} class (the device layer picks communicators, events and clocks for a GPU), and no
 * source file of the package mentions the CUDA packages, Javadoc links included.
 */
class ParallelPackageBoundaryTest {
    private static final String FORBIDDEN = "dev/quadrant/device/cuda/";

    @Test
    void noCompiledClassOfThePackageReferencesACudaClass() throws Exception {
        Path dir = Path.of(StepRunner.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve("dev/quadrant/trainer/parallel");
        List<String> offences = new ArrayList<>();
        int classes = 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".class")).sorted().toList()) {
                classes++;
                try (InputStream in = Files.newInputStream(p)) {
                    for (String ref : referencedNames(in)) {
                        if (ref.contains(FORBIDDEN)) {
                            offences.add(p.getFileName() + " -> " + ref);
                        }
                    }
                }
            }
        }
        assertTrue(classes >= 15, "found only " + classes + " classes in " + dir + "; is this the compiled package?");
        assertTrue(offences.isEmpty(), "dev.quadrant.trainer.parallel must not use CUDA classes (ask the device layer: "
                + "Backend.newEvent/newTimeline/like, device.group.Communicators): " + offences);
    }

    @Test
    void noSourceFileOfThePackageMentionsTheCudaPackages() throws IOException {
        Path dir = Path.of("src/main/java/dev/quadrant/trainer/parallel");
        assertTrue(Files.isDirectory(dir), "run from the trainer module: " + dir.toAbsolutePath());
        List<String> offences = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                List<String> lines = Files.readAllLines(p);
                for (int i = 0; i < lines.size(); i++) {
                    if (lines.get(i).contains("device.cuda")) {
                        offences.add(p.getFileName() + ":" + (i + 1) + ": " + lines.get(i).strip());
                    }
                }
            }
        }
        assertTrue(offences.isEmpty(), "CUDA packages named in dev.quadrant.trainer.parallel: " + offences);
    }

    /**
     * The class and type names a class file's constant pool refers to: CONSTANT_Class entries and every descriptor or
     * signature (fields, methods, generics), but not string literals.
     */
    static Set<String> referencedNames(InputStream raw) throws IOException {
        DataInputStream in = new DataInputStream(raw);
        if (in.readInt() != 0xCAFEBABE) {
            throw new IOException("not a class file");
        }
        in.readUnsignedShort();
        in.readUnsignedShort();
        int count = in.readUnsignedShort();
        String[] utf8 = new String[count];
        Set<Integer> literals = new HashSet<>();
        Set<Integer> classNames = new HashSet<>();
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> utf8[i] = in.readUTF();
                case 3, 4 -> in.readInt();
                case 5, 6 -> {
                    in.readLong();
                    i++;   // 8-byte constants take two slots
                }
                case 7 -> classNames.add(in.readUnsignedShort());   // Class
                case 16, 19, 20 -> in.readUnsignedShort();          // MethodType, Module, Package
                case 8 -> literals.add(in.readUnsignedShort());       // String: its text is not a reference
                case 9, 10, 11, 12, 17, 18 -> in.readInt();           // refs, NameAndType, (Invoke)Dynamic
                case 15 -> {
                    in.readUnsignedByte();
                    in.readUnsignedShort();
                }
                default -> throw new IOException("unknown constant pool tag " + tag + " at " + i);
            }
        }
        Set<String> out = new HashSet<>();
        for (int i = 1; i < count; i++) {
            if (utf8[i] != null && (classNames.contains(i) || !literals.contains(i))) {
                out.add(utf8[i]);
            }
        }
        return out;
    }
}
