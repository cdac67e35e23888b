package dev.quadrant.trainer.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.quadrant.device.UserInputException;

/**
 * Hardware to predict for: N devices joined by links of latency {@code alphaSeconds} and bandwidth
 * {@code bandwidthBytesPerSecond} (per direction, per device), each device computing at {@code deviceFlops} with
 * utilisation {@code utilisation} of it, or (deviceFlops 0) as fast as this machine's measured replica. The figures
 * of the named profiles and their sources are in the README ("The strategy lab").
 *
 * <p>A user profile is a JSON or YAML file ({@code --profile FILE}) with these keys:
 * <pre>
 * name: my-cluster
 * alpha_seconds: 2.0e-6
 * bandwidth_bytes_per_second: 2.5e10
 * device_flops: 6.7e13        # 0: this machine's measured compute
 * utilisation: 0.4
 * source: our nccl-tests run of 2026-11-30
 * </pre>
 */
public record HardwareProfile(String name, double alphaSeconds, double bandwidthBytesPerSecond, double deviceFlops,
                              double utilisation, String source) {

    public HardwareProfile {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a hardware profile needs a name");
        }
        if (!(alphaSeconds >= 0) || !(bandwidthBytesPerSecond > 0) || !(deviceFlops >= 0)
                || !(utilisation > 0 && utilisation <= 1)) {
            throw new IllegalArgumentException("hardware profile " + name + ": expected alpha_seconds >= 0, "
                    + "bandwidth_bytes_per_second > 0, device_flops >= 0 and utilisation in (0, 1], got " + alphaSeconds
                    + ", " + bandwidthBytesPerSecond + ", " + deviceFlops + ", " + utilisation);
        }
    }

    /** H100 SXM: 67 TFLOP/s FP32 (NVIDIA H100 datasheet), at 40% utilisation. */
    private static final double H100_FP32 = 67e12;

    /**
     * The named profiles: one GPU per device, H100 FP32 compute, and the links of an 8-GPU NVLink box, PCIe 4.0 and
     * 5.0 x16, 25 and 100 Gb/s Ethernet and InfiniBand HDR and NDR across hosts.
     */
    public static List<HardwareProfile> named() {
        return List.of(
                new HardwareProfile("nvlink-8gpu", 3e-6, 450e9, H100_FP32, 0.4,
                        "NVLink 4: 900 GB/s per H100, 450 GB/s each way (H100 datasheet); ~3 us per NCCL step"),
                new HardwareProfile("pcie4", 10e-6, 25e9, H100_FP32, 0.4,
                        "PCIe 4.0 x16: 31.5 GB/s each way raw (PCI-SIG), ~25 GB/s achieved; ~10 us per step"),
                new HardwareProfile("pcie5", 10e-6, 50e9, H100_FP32, 0.4,
                        "PCIe 5.0 x16: 63 GB/s each way raw (PCI-SIG), ~50 GB/s achieved; ~10 us per step"),
                new HardwareProfile("eth-25g", 30e-6, 3.125e9, H100_FP32, 0.4,
                        "25 Gb/s Ethernet (IEEE 802.3by) = 3.125 GB/s; ~30 us TCP message latency"),
                new HardwareProfile("eth-100g", 20e-6, 12.5e9, H100_FP32, 0.4,
                        "100 Gb/s Ethernet (IEEE 802.3ba) = 12.5 GB/s; ~20 us TCP message latency"),
                new HardwareProfile("ib-hdr", 1e-6, 25e9, H100_FP32, 0.4,
                        "InfiniBand HDR 200 Gb/s = 25 GB/s, ~0.6 us port latency (ConnectX-6 datasheet), 1 us per step"),
                new HardwareProfile("ib-ndr", 1e-6, 50e9, H100_FP32, 0.4,
                        "InfiniBand NDR 400 Gb/s = 50 GB/s (ConnectX-7 datasheet), 1 us per step"));
    }

    /** The textbook communication costs over this profile's links; communication overlaps backward. */
    public CostModel.Comm comm() {
        return new CostModel.Comm() {
            @Override
            public double seconds(Collective c, int n, double bytes) {
                return c.seconds(n, bytes, alphaSeconds, bandwidthBytesPerSecond);
            }

            @Override
            public boolean overlaps(int n) { return true; }
        };
    }

    /**
     * The compute of one device on {@code batch} samples: {@code flopsPerSample * batch / (deviceFlops *
     * utilisation)}, or {@code measured} when {@link #deviceFlops()} is 0.
     */
    public CostModel.Compute compute(double flopsPerSample, CostModel.Compute measured) {
        if (deviceFlops == 0) {
            return (b, n) -> measured.seconds(b, 1);
        }
        return (b, n) -> flopsPerSample * b / (deviceFlops * utilisation);
    }

    /**
     * Reads a profile from a JSON or YAML file (by the name's ending: {@code .json}, else YAML), with the keys of the
     * class comment.
     */
    public static HardwareProfile read(Path file) {
        ObjectMapper mapper = file.toString().toLowerCase(Locale.ROOT).endsWith(".json") ? new ObjectMapper()
                : new ObjectMapper(new YAMLFactory());
        mapper.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        Map<?, ?> m;
        try {
            m = mapper.readValue(Files.readString(file), Map.class);
        } catch (JsonProcessingException e) {
            throw new UserInputException("--profile " + file + ": not valid " + (mapper.getFactory() instanceof
                    YAMLFactory ? "YAML" : "JSON") + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UserInputException("--profile " + file + ": cannot read it: " + e, e);
        }
        if (m == null) {
            throw new UserInputException("--profile " + file + ": empty; expected the keys " + KEYS);
        }
        for (Object k : m.keySet()) {
            if (!KEYS.contains(String.valueOf(k))) {
                throw new UserInputException("--profile " + file + ": unknown key '" + k + "'; valid keys: " + KEYS);
            }
        }
        String name = m.get("name") == null ? file.getFileName().toString() : String.valueOf(m.get("name"));
        double alpha = number(file, m, "alpha_seconds", Double.NaN);
        double bw = number(file, m, "bandwidth_bytes_per_second", Double.NaN);
        double flops = number(file, m, "device_flops", 0);
        double util = number(file, m, "utilisation", 1);
        try {
            return new HardwareProfile(name, alpha, bw, flops, util,
                    m.get("source") == null ? "--profile " + file : String.valueOf(m.get("source")));
        } catch (IllegalArgumentException e) {
            throw new UserInputException("--profile " + file + ": " + e.getMessage(), e);
        }
    }

    private static final List<String> KEYS = List.of("name", "alpha_seconds", "bandwidth_bytes_per_second",
            "device_flops", "utilisation", "source");

    private static double number(Path file, Map<?, ?> m, String key, double absent) {
        Object v = m.get(key);
        if (v == null) {
            if (Double.isNaN(absent)) {
                throw new UserInputException("--profile " + file + ": missing key '" + key + "' (a number)");
            }
            return absent;
        }
        if (v instanceof Number x) {
            return x.doubleValue();
        }
        throw new UserInputException("--profile " + file + ": " + key + ": saw '" + v + "', expected a number");
    }

    /** The profile as the report writes it. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("alpha_seconds", alphaSeconds);
        m.put("bandwidth_bytes_per_second", bandwidthBytesPerSecond);
        m.put("device_flops", deviceFlops);
        m.put("utilisation", utilisation);
        m.put("source", source);
        return m;
    }

    /** The named profiles followed by the user's, if any. */
    static List<HardwareProfile> withUser(HardwareProfile user) {
        List<HardwareProfile> all = new ArrayList<>(named());
        if (user != null) {
            all.add(user);
        }
        return all;
    }
}
