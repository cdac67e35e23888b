package dev.quadrant.trainer.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quadrant.device.DType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interoperability with numpy through a minimal independent parser and writer in Python (header JSON +
 * {@code np.frombuffer}). Skipped where {@code python3} with numpy is not installed.
 */
class SafeTensorsNumpyTest {
    @TempDir
    Path dir;

    private static final String READER = String.join("\n",
            "import json, struct, sys",
            "import numpy as np",
            "raw = open(sys.argv[1], 'rb').read()",
            "n = struct.unpack('<Q', raw[:8])[0]",
            "assert n % 8 == 0, n",
            "header = json.loads(raw[8:8 + n].decode('utf-8'))",
            "data = raw[8 + n:]",
            "out = {'__metadata__': header.pop('__metadata__', {})}",
            "for name, info in header.items():",
            "    b, e = info['data_offsets']",
            "    dt = {'F32': '<f4', 'I32': '<i4'}[info['dtype']]",
            "    a = np.frombuffer(data[b:e], dtype=dt).reshape(info['shape'])",
            "    out[name] = {'dtype': info['dtype'], 'shape': list(a.shape),",
            "                 'values': [repr(float(v)) if dt == '<f4' else int(v) for v in a.ravel()]}",
            "print(json.dumps(out))");

    private static final String WRITER = String.join("\n",
            "import json, struct, sys",
            "import numpy as np",
            "w = np.arange(12, dtype=np.float32).reshape(3, 4) / 8 - 0.5",
            "idx = np.array([[7, -1], [0, 2**31 - 1]], dtype=np.int32)",
            "h = (np.array([1.0, -2.5, 3.140625], dtype=np.float32).view(np.uint32) >> 16).astype('<u2')",
            "blobs = [('w', 'F32', w.astype('<f4')), ('idx', 'I32', idx.astype('<i4')), ('h', 'BF16', h)]",
            "header, data, off = {'__metadata__': {'format': 'np'}}, b'', 0",
            "for name, dt, a in blobs:",
            "    raw = a.tobytes()",
            "    header[name] = {'dtype': dt, 'shape': list(a.shape), 'data_offsets': [off, off + len(raw)]}",
            "    data += raw",
            "    off += len(raw)",
            "hb = json.dumps(header).encode('utf-8')",
            "hb += b' ' * (-len(hb) % 8)",
            "open(sys.argv[1], 'wb').write(struct.pack('<Q', len(hb)) + hb + data)");

    @BeforeAll
    static void needsNumpy() {
        assumeTrue(run("import numpy").exitCode == 0, "python3 with numpy is not available");
    }

    @Test
    void numpyReadsWhatWeWrite() throws IOException {
        float[] w = {1.5f, -2f, 0.1f, 3.4028235e38f, 1e-45f, -0f};
        int[] ids = {Integer.MIN_VALUE, -1, 0, 7};
        Path f = dir.resolve("w.safetensors");
        SafeTensors.write(f, List.of(NamedTensor.ofFloats("layer.w", w, 2, 3), NamedTensor.ofInts("ids", ids, 4)),
                Map.of("strategy", "gossip"));
        Result r = run(READER, f.toString());
        assertEquals(0, r.exitCode, r.output);
        JsonNode out = new ObjectMapper().readTree(r.output);
        assertEquals("gossip", out.get("__metadata__").get("strategy").asText());
        JsonNode lw = out.get("layer.w");
        assertEquals("[2,3]", lw.get("shape").toString());
        for (int i = 0; i < w.length; i++) {
            float got = (float) Double.parseDouble(lw.get("values").get(i).asText());
            assertEquals(Float.floatToIntBits(w[i]), Float.floatToIntBits(got),
                    "element " + i + ": numpy read " + got + ", wrote " + w[i]);
        }
        for (int i = 0; i < ids.length; i++) {
            assertEquals(ids[i], out.get("ids").get("values").get(i).asInt(), "ids element " + i);
        }
    }

    @Test
    void weReadWhatNumpyWrites() throws IOException {
        Path f = dir.resolve("np.safetensors");
        Result r = run(WRITER, f.toString());
        assertEquals(0, r.exitCode, r.output);
        SafeTensorsFile st = SafeTensors.read(f);
        assertEquals(Map.of("format", "np"), st.metadata());
        float[] w = st.tensor("w").floats();
        for (int i = 0; i < 12; i++) {
            assertEquals(i / 8f - 0.5f, w[i], 0f, "w element " + i);
        }
        assertArrayEquals(new int[] {3, 4}, st.tensor("w").shape());
        assertArrayEquals(new int[] {7, -1, 0, Integer.MAX_VALUE}, st.tensor("idx").ints());
        assertEquals(DType.BF16, st.tensor("h").dtype());
        assertArrayEquals(new float[] {1f, -2.5f, 3.140625f}, st.tensor("h").floats());
    }

    private record Result(int exitCode, String output) {}

    private static Result run(String script, String... args) {
        String[] cmd = new String[3 + args.length];
        cmd[0] = "python3";
        cmd[1] = "-c";
        cmd[2] = script;
        System.arraycopy(args, 0, cmd, 3, args.length);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "python3 did not finish in 60 s");
            }
            return new Result(p.exitValue(), output);
        } catch (IOException e) {
            return new Result(-1, "cannot start python3: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }
}
