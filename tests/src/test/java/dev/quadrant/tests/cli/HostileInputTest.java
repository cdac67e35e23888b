package dev.quadrant.tests.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.quadrant.tests.CliRun;

/**
 * A hostile user (issue 13, "must show" 2): for every file the program reads (IDX, CSV, text, tokens, safetensors,
 * checkpoint manifests, YAML configs, metrics) generated damage (truncations, bit flips, huge size fields, NaN,
 * negative and overflowing numbers, control characters), and for every option generated bad values. Each case must be
 * handled cleanly: exit 0, or exit 2 with a short message and no stack trace, no raw control character, within a time
 * limit; never an internal error (exit 1, uncaught exception, out of memory) or a hang. Prints how many cases were
 * tried and handled per input.
 */
class HostileInputTest {
    private static final long SEED = 13;
    private static final int PER_FILE = 40;
    private static final long CASE_SECONDS = 60;

    @TempDir
    static Path dir;

    private static ExecutorService pool;

    @BeforeAll
    static void start() {
        pool = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "hostile-case");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterAll
    static void stop() {
        pool.shutdownNow();
    }

    /** Tally of one input kind. */
    private static final class Tally {
        final String what;
        int tried;
        int handled;
        int refused;
        final List<String> bad = new ArrayList<>();

        Tally(String what) {
            this.what = what;
        }

        void run(String label, String... args) {
            tried++;
            Future<CliRun> f = pool.submit(() -> CliRun.run(args));
            CliRun r;
            try {
                r = f.get(CASE_SECONDS, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                f.cancel(true);
                pool.shutdownNow();       // the stuck case keeps its thread; later cases get a fresh one
                start();
                bad.add(label + ": no answer within " + CASE_SECONDS + " s (a hang?)");
                return;
            } catch (Exception e) {
                bad.add(label + ": uncaught " + e.getCause());
                return;
            }
            String problem = problem(r);
            if (problem == null) {
                handled++;
                refused += r.code() == 2 ? 1 : 0;
            } else {
                bad.add(label + ": " + problem);
            }
        }

        void report() {
            System.out.printf("hostile %-12s %4d tried, %4d handled cleanly (%d refused with a message, %d ran)%n",
                    what, tried, handled, refused, handled - refused);
            assertTrue(bad.isEmpty(), what + ": " + bad.size() + " of " + tried + " not handled cleanly:\n"
                    + String.join("\n", bad.subList(0, Math.min(10, bad.size()))));
            assertTrue(tried > 0, "no case tried");
        }
    }

    /** Why a run is not clean, or null. */
    private static String problem(CliRun r) {
        String all = r.out() + r.err();
        for (int i = 0; i < all.length(); i++) {
            char c = all.charAt(i);
            if (c < 0x20 && c != '\n' && c != '\t' && c != '\r' || c >= 0x7f && c <= 0x9f) {
                return String.format("raw control character U+%04x in the output: %s", (int) c, shorten(r.err()));
            }
        }
        if (r.code() == 0) {
            return null;
        }
        if (r.code() != 2) {
            return "exit " + r.code() + ": " + shorten(r.err());
        }
        if (r.err().contains("\tat ")) {
            return "a stack trace: " + shorten(r.err());
        }
        long lines = r.err().lines().filter(l -> l.startsWith("quadrant")).count();
        return lines >= 1 ? null : "no 'quadrant: ...' message: " + shorten(r.err());
    }

    private static String shorten(String s) {
        return s.length() > 600 ? s.substring(0, 600) + "..." : s;
    }

    // ---------------------------------------------------------------- mutations

    /** Generated damage of {@code valid}: truncations, bit flips, byte runs, insertions, size fields set huge. */
    private static List<byte[]> mutations(byte[] valid, int count, SplittableRandom rng, int[] sizeFieldOffsets) {
        List<byte[]> out = new ArrayList<>();
        out.add(new byte[0]);
        out.add(Arrays.copyOf(valid, 1));
        out.add(Arrays.copyOf(valid, valid.length - 1));
        for (int off : sizeFieldOffsets) {
            for (int v : new int[] {0, -1, Integer.MAX_VALUE, 0x40000000, 1 << 24}) {
                byte[] b = valid.clone();
                ByteBuffer.wrap(b).putInt(off, v);
                out.add(b);
            }
        }
        while (out.size() < count) {
            byte[] b = valid.clone();
            switch (rng.nextInt(5)) {
                case 0 -> b = Arrays.copyOf(valid, rng.nextInt(valid.length));
                case 1 -> {
                    for (int k = 1 + rng.nextInt(4); k > 0; k--) {
                        int i = rng.nextInt(b.length);
                        b[i] ^= (byte) (1 << rng.nextInt(8));
                    }
                }
                case 2 -> {
                    int i = rng.nextInt(b.length);
                    Arrays.fill(b, i, Math.min(b.length, i + 1 + rng.nextInt(16)), (byte) (rng.nextBoolean() ? 0xff : 0));
                }
                case 3 -> {
                    int i = rng.nextInt(b.length);
                    byte[] ins = {0x1b, '[', '2', 'J', 0x07, 0, (byte) 0xc3};
                    byte[] c = new byte[b.length + ins.length];
                    System.arraycopy(b, 0, c, 0, i);
                    System.arraycopy(ins, 0, c, i, ins.length);
                    System.arraycopy(b, i, c, i + ins.length, b.length - i);
                    b = c;
                }
                default -> {
                    byte[] c = Arrays.copyOf(b, b.length + 1 + rng.nextInt(64));
                    for (int i = b.length; i < c.length; i++) {
                        c[i] = (byte) rng.nextInt(256);
                    }
                    b = c;
                }
            }
            out.add(b);
        }
        return out;
    }

    /** Text damage: the byte mutations plus textual ones (numbers replaced by hostile numbers, control characters). */
    private static List<byte[]> textMutations(String valid, int count, SplittableRandom rng) {
        List<byte[]> out = new ArrayList<>();
        String[] hostile = {"NaN", "Infinity", "-1", "1e400", "-1e400", "9223372036854775808", "2147483648", "0x10",
            "010", "1_000", "\u001b[31m", "\u0000", "\"", "}", "{", "[", "&a", "*a", "---", "\uFFFF", "99999999999999999999"};
        for (String h : hostile) {
            out.add(valid.replaceFirst("[0-9]+(\\.[0-9]+)?", java.util.regex.Matcher.quoteReplacement(h))
                    .getBytes(StandardCharsets.UTF_8));
        }
        out.addAll(mutations(valid.getBytes(StandardCharsets.UTF_8), Math.max(1, count - out.size()), rng, new int[0]));
        return out;
    }

    private static void write(Path p, byte[] b) {
        try {
            Files.createDirectories(p.getParent());
            Files.write(p, b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String[] train(String... more) {
        return Stream.concat(Stream.of("train", "--model", "mlp:4", "--epochs", "1", "--batch", "8", "--threads", "1",
                "--devices", "cpu:1"), Stream.of(more)).toArray(String[]::new);
    }

    // ---------------------------------------------------------------- files

    private static byte[] idx(int magic, int[] dims, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + payload.length);
        b.putInt(magic);
        for (int d : dims) {
            b.putInt(d);
        }
        return b.put(payload).array();
    }

    @Test
    void idxFiles() {
        Tally t = new Tally("IDX");
        SplittableRandom rng = new SplittableRandom(SEED);
        byte[] px = new byte[40 * 4 * 4];
        byte[] lb = new byte[40];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) rng.nextInt(256);
        }
        for (int i = 0; i < lb.length; i++) {
            lb[i] = (byte) (i % 3);
        }
        byte[][] valid = {idx(0x803, new int[] {40, 4, 4}, px), idx(0x801, new int[] {40}, lb),
            idx(0x803, new int[] {40, 4, 4}, px), idx(0x801, new int[] {40}, lb)};
        String[] names = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte"};
        int n = 0;
        for (int f = 0; f < 4; f++) {
            int[] sizes = f % 2 == 0 ? new int[] {4, 8, 12} : new int[] {4};
            for (byte[] bad : mutations(valid[f], PER_FILE / 2, rng, sizes)) {
                Path d = dir.resolve("idx" + n++);
                for (int g = 0; g < 4; g++) {
                    write(d.resolve(names[g]), g == f ? bad : valid[g]);
                }
                t.run(names[f] + " #" + n, train("--data", "idx:" + d));
            }
        }
        t.report();
    }

    @Test
    void csvFiles() {
        Tally t = new Tally("CSV");
        StringBuilder b = new StringBuilder("a,b,c,label\n");
        for (int i = 0; i < 40; i++) {
            b.append(i * 0.5).append(',').append(-i).append(',').append(i % 7).append(',').append(i % 3).append('\n');
        }
        int n = 0;
        for (byte[] bad : textMutations(b.toString(), PER_FILE * 2, new SplittableRandom(SEED))) {
            Path f = dir.resolve("csv/" + n++ + ".csv");
            write(f, bad);
            t.run("csv #" + n, train("--data", "csv:" + f));
        }
        t.run("csv:/dev/zero", train("--data", "csv:/dev/zero"));
        t.report();
    }

    @Test
    void textAndTokenFiles() {
        Tally t = new Tally("text/tokens");
        String text = "To be, or not to be, that is the question: 0123456789\n".repeat(6);
        String[] gpt = {"--model", "gpt:layers=1,heads=1,dim=8,ctx=8", "--steps", "1"};
        int n = 0;
        for (byte[] bad : textMutations(text, PER_FILE, new SplittableRandom(SEED))) {
            Path f = dir.resolve("text/" + n++ + ".txt");
            write(f, bad);
            t.run("text #" + n, Stream.concat(Arrays.stream(train("--data", "text:" + f)), Arrays.stream(gpt))
                    .toArray(String[]::new));
            Path k = dir.resolve("tokens/" + n + ".bin");
            write(k, bad);
            t.run("tokens #" + n, Stream.concat(Arrays.stream(train("--data", "tokens:" + k)), Arrays.stream(gpt))
                    .toArray(String[]::new));
        }
        t.run("text:/dev/zero", Stream.concat(Arrays.stream(train("--data", "text:/dev/zero")), Arrays.stream(gpt))
                .toArray(String[]::new));
        t.report();
    }

    private static Path trained(String name, String... more) {
        Path m = dir.resolve(name);
        if (!Files.exists(m)) {
            CliRun r = CliRun.run(Stream.concat(Arrays.stream(train("--data", "synthetic:6x3x60")), Arrays.stream(more))
                    .toArray(String[]::new));
            assertTrue(r.code() == 0, r.err());
        }
        return m;
    }

    @Test
    void safetensorsFiles() throws IOException {
        Tally t = new Tally("safetensors");
        Path model = trained("model.safetensors", "--save", dir.resolve("model.safetensors").toString());
        byte[] valid = Files.readAllBytes(model);
        SplittableRandom rng = new SplittableRandom(SEED);
        int headerLength = (int) ByteBuffer.wrap(valid).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0);
        String header = new String(valid, 8, headerLength, StandardCharsets.UTF_8);
        List<byte[]> bad = new ArrayList<>(mutations(valid, PER_FILE, rng, new int[] {0, 4}));
        for (byte[] h : textMutations(header, PER_FILE, rng)) {  // a damaged header with its length field fixed
            ByteBuffer b = ByteBuffer.allocate(8 + h.length + valid.length - 8 - headerLength)
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN);
            b.putLong(h.length).put(h).put(valid, 8 + headerLength, valid.length - 8 - headerLength);
            bad.add(b.array());
        }
        int n = 0;
        for (byte[] b : bad) {
            Path f = dir.resolve("st/" + n++ + ".safetensors");
            write(f, b);
            t.run("eval #" + n, "eval", "--data", "synthetic:6x3x60", "--load", f.toString(), "--threads", "1");
            if (n % 4 == 0) {
                t.run("train --load #" + n, train("--data", "synthetic:6x3x60", "--load", f.toString()));
            }
        }
        t.report();
    }

    @Test
    void checkpointManifests() throws IOException {
        Tally t = new Tally("manifest");
        Path ck = dir.resolve("ck");
        trained("ck", "--checkpoint-dir", ck.toString());
        Path step;
        try (Stream<Path> s = Files.list(ck)) {
            step = s.filter(p -> p.getFileName().toString().startsWith("step-")).findFirst().orElseThrow();
        }
        String manifest = Files.readString(step.resolve("manifest.json"));
        int n = 0;
        for (byte[] bad : textMutations(manifest, PER_FILE * 2, new SplittableRandom(SEED))) {
            Path copy = dir.resolve("cks/" + n++ + "/" + step.getFileName());
            Files.createDirectories(copy);
            for (String f : new String[] {"model.safetensors", "optimizer.safetensors"}) {
                Files.copy(step.resolve(f), copy.resolve(f));
            }
            write(copy.resolve("manifest.json"), bad);
            t.run("resume #" + n, "train", "--resume", copy.toString(), "--epochs", "2", "--threads", "1");
        }
        t.report();
    }

    @Test
    void configFiles() {
        Tally t = new Tally("config");
        String yaml = "data: synthetic:6x3x60\nmodel: mlp:4\nepochs: 1\nbatch: 8\nlr: 0.001\nthreads: 1\n"
                + "devices: cpu:1\nschedule: constant\n";
        int n = 0;
        for (byte[] bad : textMutations(yaml, PER_FILE * 2, new SplittableRandom(SEED))) {
            Path f = dir.resolve("cfg/" + n++ + (n % 5 == 0 ? ".json" : ".yaml"));
            write(f, bad);
            t.run("config #" + n, "train", "--config", f.toString());
        }
        t.report();
    }

    @Test
    void metricsFiles() {
        Tally t = new Tally("metrics");
        StringBuilder m = new StringBuilder();
        for (int e = 1; e <= 5; e++) {
            m.append("{\"epoch\":").append(e).append(",\"step\":").append(e * 10).append(",\"train_loss\":")
                    .append(1.0 / e).append(",\"test_loss\":").append(1.1 / e).append(",\"test_accuracy\":")
                    .append(0.5 + e * 0.05).append(",\"seconds\":1.5}\n");
        }
        int n = 0;
        for (byte[] bad : textMutations(m.toString(), PER_FILE * 2, new SplittableRandom(SEED))) {
            Path f = dir.resolve("metrics/" + n++ + ".jsonl");
            write(f, bad);
            t.run("plot #" + n, "plot", "--metrics", f.toString(), "--out", dir.resolve("metrics/" + n + ".png").toString(),
                    "--width", "400", "--height", "300");
        }
        t.report();
    }

    // ---------------------------------------------------------------- options

    private static final String[] BAD_NUMBERS = {"NaN", "Infinity", "-Infinity", "-1", "-0", "0", "1e-45",
        "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808", "1e309", "0x10", "", " ",
        "\u001b[31m", "1,5", "3.5"};

    private static final String[] BAD_TEXT = {"", " ", "\u001b]0;owned\u0007", "\u0000", "x".repeat(5000),
        "mlp:99999999999", "mlp:-4", "mlp:4--4", "gpt:layers=-1,heads=1,dim=8,ctx=8", "gpt:layers=1,heads=3,dim=8,ctx=8",
        "cpu:0", "cpu:-1", "cpu:garbage", "cuda:99", "step:0:0.5", "step:1:NaN", "cosine:-1", "crop:-1",
        "crop:99999999999", "1,2,3", "NaN,NaN", "0.9,1", "abort,skip", "0e", "-1e", "99999999999e"};

    private static final String[] TRAIN_NUMERIC = {"--epochs", "--steps", "--batch", "--lr", "--momentum",
        "--weight-decay", "--grad-accum", "--clip-norm", "--eval-every", "--eval-batches", "--seed", "--threads",
        "--keep-checkpoints", "--csv-label-column", "--csv-test-fraction", "--dropout", "--log-every"};

    private static final String[] TRAIN_TEXT = {"--data", "--model", "--activation", "--init", "--optimizer", "--betas",
        "--schedule", "--augment", "--devices", "--precision", "--strategy", "--checkpoint-every", "--on-nan"};

    /** Options that set how long a run trains, and values of them that are valid but run for days. */
    private static final java.util.Set<String> RUN_LENGTH = java.util.Set.of("--steps", "--epochs");
    private static final java.util.Set<String> LONG_RUNS = java.util.Set.of("2147483648", "9223372036854775807");

    @Test
    void trainOptions() {
        Tally t = new Tally("train opts");
        Path ck = dir.resolve("opt-ck");
        for (String o : TRAIN_NUMERIC) {
            for (String v : BAD_NUMBERS) {
                if (RUN_LENGTH.contains(o) && LONG_RUNS.contains(v)) {
                    continue; // a valid, very long run (refusals of these are in ValuesCommandLineTest)
                }
                t.run(o + " " + v, Stream.concat(Arrays.stream(train("--data", "synthetic:6x3x60", "--steps", "2")),
                        Stream.of(o, v)).toArray(String[]::new));
            }
        }
        for (String o : TRAIN_TEXT) {
            for (String v : BAD_TEXT) {
                String[] extra = o.equals("--checkpoint-every") ? new String[] {"--checkpoint-dir",
                    ck.resolve(Integer.toString(t.tried)).toString()} : new String[0];
                t.run(o + " " + v, Stream.of(Arrays.stream(train("--data", "synthetic:6x3x60", "--steps", "2")),
                        Stream.of(o, v), Arrays.stream(extra)).flatMap(Function.identity()).toArray(String[]::new));
            }
        }
        t.report();
    }

    @Test
    void evalSampleAndPlotOptions() {
        Tally t = new Tally("other opts");
        Path model = trained("model2.safetensors", "--save", dir.resolve("model2.safetensors").toString());
        for (String o : new String[] {"--batch", "--eval-batches", "--seed", "--threads"}) {
            for (String v : BAD_NUMBERS) {
                t.run("eval " + o + " " + v, "eval", "--data", "synthetic:6x3x60", "--load", model.toString(), o, v);
            }
        }
        for (String o : new String[] {"--data", "--model", "--activation", "--devices"}) {
            for (String v : BAD_TEXT) {
                t.run("eval " + o + " " + v, "eval", "--data", "synthetic:6x3x60", "--load", model.toString(),
                        "--threads", "1", o, v);
            }
        }
        for (String o : new String[] {"--tokens", "--temperature", "--top-k", "--seed", "--threads"}) {
            for (String v : BAD_NUMBERS) {
                t.run("sample " + o + " " + v, "sample", "--load", model.toString(), o, v);
            }
        }
        Path metrics = dir.resolve("good.jsonl");
        write(metrics, "{\"epoch\":1,\"step\":1,\"train_loss\":1.0,\"test_loss\":1.0}\n".getBytes(StandardCharsets.UTF_8));
        for (String o : new String[] {"--width", "--height"}) {
            for (String v : BAD_NUMBERS) {
                t.run("plot " + o + " " + v, "plot", "--metrics", metrics.toString(), "--out",
                        dir.resolve("p.png").toString(), o, v);
            }
        }
        t.report();
    }
}
