package dev.quadrant.bundle;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quadrant.bindings.OpenBlas;
import dev.quadrant.device.cuda.CudaInfo;

/**
 * A smoke test of the bundle's runtime and jars, run by {@code QUADRANT_MAIN=dev.quadrant.bundle.BundleCheck
 * bin/quadrant}: the Java version, an OpenBLAS GEMM through the stripped native glue, a JSON round trip (the JDK
 * modules the jars need are in the runtime), a progress-bar class (jline, java.logging), and the CUDA report. Exits
 * with status 1 if a check fails. Stateless.
 */
public final class BundleCheck {
    private BundleCheck() {}

    public static void main(String[] args) throws Exception {
        System.out.println("java " + System.getProperty("java.version") + " at " + System.getProperty("java.home"));
        FloatBuffer a = direct(new float[] {1, 2, 3, 4});
        FloatBuffer b = direct(new float[] {5, 6, 7, 8});
        FloatBuffer c = direct(new float[4]);
        OpenBlas.sgemm(false, false, 2, 2, 2, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2);
        boolean blasOk = c.get(0) == 19f && c.get(3) == 50f;
        System.out.println("openblas " + OpenBlas.version() + " sgemm " + (blasOk ? "ok" : "WRONG " + c.get(0) + "," + c.get(3)));
        ObjectMapper json = new ObjectMapper();
        String s = json.writeValueAsString(Map.of("layers", new int[] {784, 128, 10}));
        boolean jsonOk = json.readTree(s).get("layers").get(2).asInt() == 10;
        System.out.println("jackson " + (jsonOk ? "ok " + s : "WRONG " + s));
        Class.forName("me.tongfei.progressbar.ProgressBar");
        Class.forName("org.jline.terminal.TerminalBuilder");
        System.out.println("progressbar/jline classes ok");
        CudaInfo.describe().forEach(System.out::println);
        if (!blasOk || !jsonOk) {
            System.exit(1);
        }
        System.out.println("BUNDLE CHECK OK");
    }

    private static FloatBuffer direct(float[] v) {
        FloatBuffer f = ByteBuffer.allocateDirect(4 * v.length).order(ByteOrder.nativeOrder()).asFloatBuffer();
        f.put(v).flip();
        return f;
    }
}
