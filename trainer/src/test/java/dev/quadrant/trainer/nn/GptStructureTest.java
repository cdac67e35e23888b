package dev.quadrant.trainer.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UserInputException;
import dev.quadrant.device.reference.ReferenceBackend;

/** The GPT's parameter layout (nanoGPT names, shapes, count, decay flags), its GPT-2 initialisation and its checks. */
class GptStructureTest {

    @Test
    void namesAndShapesAreNanoGpts() {
        Model m = new Model(Gpt.build(2, 2, 8, 5, 11, 0f, true), new int[] {5}, DType.INT32);
        List<String> want = new ArrayList<>();
        List<int[]> shapes = new ArrayList<>();
        add(want, shapes, "transformer.wte.weight", 11, 8);
        add(want, shapes, "transformer.wpe.weight", 5, 8);
        for (int i = 0; i < 2; i++) {
            String h = "transformer.h." + i + ".";
            add(want, shapes, h + "ln_1.weight", 8);
            add(want, shapes, h + "ln_1.bias", 8);
            add(want, shapes, h + "attn.c_attn.weight", 24, 8);
            add(want, shapes, h + "attn.c_attn.bias", 24);
            add(want, shapes, h + "attn.c_proj.weight", 8, 8);
            add(want, shapes, h + "attn.c_proj.bias", 8);
            add(want, shapes, h + "ln_2.weight", 8);
            add(want, shapes, h + "ln_2.bias", 8);
            add(want, shapes, h + "mlp.c_fc.weight", 32, 8);
            add(want, shapes, h + "mlp.c_fc.bias", 32);
            add(want, shapes, h + "mlp.c_proj.weight", 8, 32);
            add(want, shapes, h + "mlp.c_proj.bias", 8);
        }
        add(want, shapes, "transformer.ln_f.weight", 8);
        add(want, shapes, "transformer.ln_f.bias", 8);
        List<ParamLayout.Entry> got = m.layout().entries();
        assertEquals(want, got.stream().map(ParamLayout.Entry::name).toList());
        for (int i = 0; i < got.size(); i++) {
            assertArrayEquals(shapes.get(i), got.get(i).shape(), got.get(i).name());
            assertEquals(got.get(i).shape().length == 2, got.get(i).decay(), got.get(i).name() + " decay flag");
        }
        assertArrayEquals(new int[] {5, 11}, m.outputShape());

        Model untied = new Model(Gpt.build(2, 2, 8, 5, 11, 0.1f, false), new int[] {5}, DType.INT32);
        List<ParamLayout.Entry> u = untied.layout().entries();
        assertEquals(got.size() + 1, u.size());
        ParamLayout.Entry head = u.get(u.size() - 1);
        assertEquals("lm_head.weight", head.name());
        assertArrayEquals(new int[] {11, 8}, head.shape());
        assertTrue(head.decay());
        assertEquals(m.layout().totalSize() + 11 * 8, untied.layout().totalSize(), "dropout adds no parameters");
    }

    private static void add(List<String> names, List<int[]> shapes, String name, int... shape) {
        names.add(name);
        shapes.add(shape);
    }

    @Test
    void parameterCountIsGpt2s() {
        int l = 4;
        int d = 128;
        int t = 64;
        int v = 65;
        // per block: ln_1, ln_2 2D each; c_attn 3D^2 + 3D; attn c_proj D^2 + D; c_fc 4D^2 + 4D; mlp c_proj 4D^2 + D
        long perBlock = 2 * d + (3L * d * d + 3 * d) + ((long) d * d + d) + 2 * d + (4L * d * d + 4 * d)
                + (4L * d * d + d);
        assertEquals(12L * d * d + 13 * d, perBlock);
        long want = l * perBlock + (long) v * d + (long) t * d + 2 * d;   // + wte, wpe, ln_f; the head is tied
        assertEquals(809_856, want);
        Model m = new Model(Gpt.build(l, 4, d, t, v, 0f, true), new int[] {t}, DType.INT32);
        assertEquals(want, m.layout().totalSize());
        Model untied = new Model(Gpt.build(l, 4, d, t, v, 0f, false), new int[] {t}, DType.INT32);
        assertEquals(want + (long) v * d, untied.layout().totalSize());
    }

    @Test
    void initialisationIsGpt2s() {
        int layers = 4;
        Model m = new Model(Gpt.build(layers, 4, 128, 64, 65, 0f, false), new int[] {64}, DType.INT32);
        float[] p = m.initialValues(1, Initializer.HE);
        assertArrayEquals(p, m.initialValues(1, Initializer.XAVIER), "--init does not apply to a GPT");
        assertArrayEquals(p, m.initialValues(1, Initializer.HE), "deterministic");
        double residStd = 0.02 / Math.sqrt(2 * layers);
        for (ParamLayout.Entry e : m.layout().entries()) {
            int from = Math.toIntExact(e.offset());
            int n = Math.toIntExact(e.size());
            double sum = 0;
            double sq = 0;
            for (int i = from; i < from + n; i++) {
                sum += p[i];
                sq += (double) p[i] * p[i];
            }
            double mean = sum / n;
            double std = Math.sqrt(sq / n - mean * mean);
            String name = e.name();
            if (name.contains("ln_") && name.endsWith(".weight")) {
                assertEquals(1.0, mean, 0, name);
                assertEquals(0.0, std, 0, name);
            } else if (name.endsWith(".bias")) {
                assertEquals(0.0, sq, 0, name);
            } else {
                double want = name.endsWith("c_proj.weight") ? residStd : 0.02;
                assertEquals(want, std, want * 0.06, name + " std over " + n);   // >= 8192 samples: 1.6% std error
                assertEquals(0.0, mean, want * 0.06, name + " mean");
            }
        }
    }

    @Test
    void argumentsAreChecked() {
        assertMessage("heads=5 does not divide dim=128", () -> Gpt.build(2, 5, 128, 64, 65, 0f, true));
        assertMessage("layers=0", () -> Gpt.build(0, 2, 8, 5, 11, 0f, true));
        assertMessage("heads=0", () -> Gpt.build(1, 0, 8, 5, 11, 0f, true));
        assertMessage("dim=-8", () -> Gpt.build(1, 2, -8, 5, 11, 0f, true));
        assertMessage("ctx=0", () -> Gpt.build(1, 2, 8, 0, 11, 0f, true));
        assertMessage("vocab=0", () -> Gpt.build(1, 2, 8, 5, 0, 0f, true));
        assertMessage("dropout=1.0", () -> Gpt.build(1, 2, 8, 5, 11, 1f, true));
        assertMessage("heads=4 does not divide dim=6", () -> new CausalSelfAttention(6, 4, 0f, 0.02));
        String msg = assertMessage("T == ctx=5", () -> new Model(Gpt.build(1, 2, 8, 5, 11, 0f, true), new int[] {4},
                DType.INT32));
        assertTrue(msg.contains("T=4"), msg);
        assertMessage("[T] per sample", () -> new Model(Gpt.build(1, 2, 8, 5, 11, 0f, true), new int[] {5, 8},
                DType.INT32));
        try (ReferenceBackend ref = new ReferenceBackend()) {
            Model m = new Model(Gpt.build(1, 2, 8, 5, 11, 0f, true), new int[] {5}, DType.FLOAT32);
            try (Parameters p = new Parameters(ref, m.layout()); Tensor x = ref.allocate(DType.FLOAT32, 2, 5)) {
                m.bind(ref, p, 2);
                assertMessage("must be INT32 token ids", () -> m.forward(x, ForwardContext.eval()));
                m.close();
            }
        }
        assertMessage("tied weight transformer.wte.weight is [7, 6], the head needs [vocab=9, D=6]",
                () -> new Model(new Sequential(List.of("transformer.wte", "lm_head"), List.of(new Embedding(7, 6,
                        0.02), LmHead.tied("transformer.wte.weight", 9))), new int[] {3}, DType.INT32));
    }

    private static String assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
        UserInputException x = assertThrows(UserInputException.class, e);
        assertTrue(x.getMessage().contains(part), "message '" + x.getMessage() + "' should contain '" + part + "'");
        return x.getMessage();
    }

    /** Every buffer comes from the plan: after bind, training steps allocate nothing; the plan is linear in rows. */
    @Test
    void forwardAndBackwardAllocateNothing() {
        AtomicInteger allocations = new AtomicInteger();
        try (ReferenceBackend ref = new ReferenceBackend()) {
            Backend counting = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(),
                    new Class<?>[] {Backend.class}, (proxy, method, args) -> {
                        if (method.getName().equals("allocate")) {
                            allocations.incrementAndGet();
                        }
                        try {
                            return method.invoke(ref, args);
                        } catch (InvocationTargetException ex) {
                            throw ex.getCause();
                        }
                    });
            try (ModuleCheck c = new ModuleCheck(counting, Gpt.build(2, 3, 6, 5, 7, 0.2f, false), new int[] {5},
                    DType.INT32, 7, 3, ModuleCheck.Objective.CROSS_ENTROPY, 1)) {
                c.context = new ForwardContext(true, 9, 0);
                int before = allocations.get();
                c.gradients(false);
                c.gradients(false);
                assertEquals(before, allocations.get(), "allocations during forward and backward");
                ActivationPlan one = c.model.plan(1);
                ActivationPlan three = c.model.boundPlan();
                assertEquals(3 * one.bytes(), three.bytes());
                assertTrue(one.bytes(ActivationPlan.Kind.SCRATCH) > 0, "attention's head buffers are scratch");
            }
        }
    }
}
