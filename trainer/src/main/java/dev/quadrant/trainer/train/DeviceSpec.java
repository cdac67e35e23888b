package dev.quadrant.trainer.train;

import java.util.ArrayList;
import java.util.List;

import dev.quadrant.device.BackendProvider;
import dev.quadrant.device.Device;
import dev.quadrant.device.UserInputException;

/**
 * The {@code --devices} option: one {@link Device} per replica.
 * <ul>
 *   <li>{@code auto}: every GPU when CUDA is usable, else one CPU replica;</li>
 *   <li>{@code cpu} or {@code cpu:N}: N replicas on the host (threads divided between them);</li>
 *   <li>{@code cuda:0}, {@code cuda:0,1}, {@code cuda:all}, {@code cuda:0x4} (4 replicas on GPU 0),
 *       {@code cuda:0x2,1x2}.</li>
 * </ul>
 */
public final class DeviceSpec {
    private DeviceSpec() {}

    /** Parses {@code text} and checks that the devices exist; errors name {@code --devices}. */
    public static List<Device> parse(String text) {
        String t = text.trim();
        if (t.equals("auto")) {
            BackendProvider cuda = cudaProvider();
            if (cuda != null && cuda.availability().usable() && !cuda.devices().isEmpty()) {
                return cuda.devices();
            }
            return List.of(Device.cpu());
        }
        if (t.equals("cpu")) {
            return List.of(Device.cpu());
        }
        if (t.startsWith("cpu:")) {
            int n = parseCount(text, t.substring(4));
            OptionChecks.checkCpuReplicas(text, n);
            List<Device> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                out.add(Device.cpu());
            }
            return out;
        }
        if (t.startsWith("cuda")) {
            return parseCuda(text, t.equals("cuda") ? "all" : t.startsWith("cuda:") ? t.substring(5) : null);
        }
        throw bad(text, "");
    }

    private static List<Device> parseCuda(String text, String list) {
        if (list == null) {
            throw bad(text, "");
        }
        BackendProvider cuda = cudaProvider();
        if (cuda == null) {
            throw new UserInputException("--devices " + text + ": this build of Quadrant has no CUDA backend on its class path");
        }
        BackendProvider.Availability a = cuda.availability();
        if (!a.usable()) {
            throw new UserInputException("--devices " + text + ": CUDA is not usable here: " + a.reason());
        }
        List<Device> present = cuda.devices();
        if (list.equals("all")) {
            return present;
        }
        List<Device> out = new ArrayList<>();
        for (String part : list.split(",", -1)) {
            String[] gx = part.trim().split("x", -1);
            if (gx.length > 2) {
                throw bad(text, "'" + part + "' ");
            }
            int gpu;
            try {
                gpu = Integer.parseInt(gx[0]);
            } catch (NumberFormatException e) {
                throw bad(text, "'" + part + "' ");
            }
            if (gpu < 0 || gpu >= present.size()) {
                throw new UserInputException("--devices " + text + ": there is no GPU " + gpu + "; this machine has "
                        + present.size() + " (cuda:0 to cuda:" + (present.size() - 1) + ")");
            }
            int copies = gx.length == 2 ? parseCount(text, gx[1]) : 1;
            for (int i = 0; i < copies; i++) {
                out.add(Device.cuda(gpu));
            }
        }
        return out;
    }

    private static BackendProvider cudaProvider() {
        for (BackendProvider p : BackendProvider.all()) {
            if (p.kind() == Device.Kind.CUDA) {
                return p;
            }
        }
        return null;
    }

    private static int parseCount(String text, String n) {
        try {
            int v = Integer.parseInt(n.trim());
            if (v >= 1 && v <= 1024) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UserInputException("--devices " + text + ": replica count '" + n + "' must be an integer in 1..1024");
    }

    private static UserInputException bad(String text, String part) {
        return new UserInputException("--devices '" + text + "' " + part + "is not understood: expected auto, cpu:N, "
                + "cuda:all, cuda:0, cuda:0,1 or cuda:0x4 (4 replicas on GPU 0)");
    }
}
