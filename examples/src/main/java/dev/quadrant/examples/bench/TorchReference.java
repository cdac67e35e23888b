package dev.quadrant.examples.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quadrant.device.UserInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs {@code bench/torch/gpt_char.py} (the PyTorch reference of the character-level GPT) as a child process and
 * reads the JSON line it ends with; {@link #runForJson} and {@link #version(String)} do the same for any reference
 * script (e.g. {@code bench/torch/convnet.py} of {@link ConvnetBenchmark}). The child's progress goes to this process's stderr, prefixed {@code [torch]}.
 * Not thread-safe; one run at a time.
 */
final class TorchReference {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What one PyTorch run reported; tokens/s counts training time only, evaluation excluded. */
    record Run(double tokensPerSecond, double secondsPerStep, double trainLoss, double valLoss, long params,
               String torch, String blas) {}

    private final GptBenchOptions o;

    TorchReference(GptBenchOptions o) {
        this.o = o;
    }

    /**
     * The PyTorch version behind {@code --python}, or a {@link UserInputException} saying how to install it when the
     * interpreter is missing or cannot import torch.
     */
    String version() throws InterruptedException {
        return version(o.python);
    }

    /**
     * The PyTorch version behind {@code python}, or a {@link UserInputException} saying how to install it when the
     * interpreter is missing or cannot import torch.
     */
    static String version(String python) throws InterruptedException {
        List<String> out = new ArrayList<>();
        int rc;
        try {
            rc = run(List.of(python, "-c", "import torch; print(torch.__version__)"), out, false, null);
        } catch (IOException e) {
            throw missing("cannot start " + python + " (" + e.getMessage() + ")");
        }
        if (rc != 0 || out.isEmpty()) {
            throw missing(python + " cannot import torch (exit status " + rc + (out.isEmpty() ? "" : ": "
                    + out.get(out.size() - 1)) + ")");
        }
        return out.get(out.size() - 1).trim();
    }

    /** One training run of {@code steps} steps of the benchmark's configuration, all of them timed. */
    Run train() throws InterruptedException {
        return train(0);
    }

    /**
     * One training run of {@code steps} steps of the benchmark's configuration; tokens/s and seconds per step count
     * the steps after the first {@code timedAfter} (a warm-up) only.
     */
    Run train(int timedAfter) throws InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(o.python, o.script.toString(), "--data", o.data.toString(),
                "--layers", str(o.layers), "--heads", str(o.heads), "--dim", str(o.dim), "--ctx", str(o.ctx),
                "--batch", str(o.batch), "--steps", str(o.steps), "--lr", "1e-3", "--betas", "0.9,0.99",
                "--weight-decay", "0.1", "--warmup", "100", "--min-lr", "1e-4", "--clip", "1", "--seed", "1337",
                "--threads", str(o.threads), "--device", o.device, "--eval-batches", str(o.evalBatches),
                "--log-every", str(Math.max(1, o.steps / 4))));
        if (timedAfter > 0) {
            cmd.addAll(List.of("--timed-after", str(timedAfter)));
        }
        JsonNode j = runForJson(cmd, "inherit".equals(o.ompWaitPolicy) ? null : o.ompWaitPolicy);
        try {
            return new Run(j.get("tokens_per_second").asDouble(), j.get("seconds_per_step").asDouble(),
                    j.get("train_loss").asDouble(), j.get("val_loss").asDouble(), j.get("params").asLong(),
                    j.path("torch").asText("?"), j.path("blas").asText("?"));
        } catch (NullPointerException e) {
            throw new IllegalStateException("the PyTorch reference's JSON line lacks a field: " + j, e);
        }
    }

    /**
     * Runs a reference script {@code cmd} (its progress echoed to stderr, prefixed {@code [torch]}) with
     * {@code OMP_WAIT_POLICY} set to {@code ompWaitPolicy} unless that is null, and returns the JSON object of its
     * last line; fails with the exit status and that line when it did not end with one.
     */
    static JsonNode runForJson(List<String> cmd, String ompWaitPolicy) throws InterruptedException {
        List<String> out = new ArrayList<>();
        int rc;
        try {
            rc = run(cmd, out, true, ompWaitPolicy);
        } catch (IOException e) {
            throw new IllegalStateException("running " + String.join(" ", cmd) + " failed: " + e.getMessage(), e);
        }
        String last = out.isEmpty() ? "" : out.get(out.size() - 1);
        if (rc != 0 || !last.startsWith("{")) {
            throw new IllegalStateException("the PyTorch reference exited with status " + rc + " and last printed '"
                    + last + "'; command: " + String.join(" ", cmd));
        }
        try {
            return JSON.readTree(last);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the PyTorch reference's JSON line '" + last + "': " + e, e);
        }
    }

    /**
     * Runs {@code cmd}, collecting its merged output lines into {@code out} (echoed to stderr when asked), with
     * {@code OMP_WAIT_POLICY} set to {@code ompWaitPolicy} unless that is null.
     */
    private static int run(List<String> cmd, List<String> out, boolean echo, String ompWaitPolicy)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (ompWaitPolicy != null) {
            pb.environment().put("OMP_WAIT_POLICY", ompWaitPolicy);
        }
        Process p = pb.start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                out.add(line);
                if (echo && !line.startsWith("{")) {
                    System.err.println("[torch] " + line);
                }
            }
            return p.waitFor();
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }

    private static UserInputException missing(String why) {
        return new UserInputException("PyTorch is needed for the reference half: " + why + ". Install it with "
                + "`apt-get install python3-torch` (Debian; the interpreter is then /usr/bin/python3, not a pyenv "
                + "shim) and, for fair GEMM speed, `apt-get install libopenblas0-openmp`; or pass --python EXE of an "
                + "interpreter that has torch");
    }

    private static String str(int v) {
        return Integer.toString(v);
    }
}
