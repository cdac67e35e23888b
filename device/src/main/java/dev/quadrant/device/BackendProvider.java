package dev.quadrant.device;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Creates backends of one kind. Providers are found through {@link ServiceLoader}
 * ({@code META-INF/services/dev.quadrant.device.BackendProvider}), so that CPU-only code never touches CUDA classes:
 * a provider's {@link #availability()} must not throw and must not load native code that can poison a class.
 *
 * <pre>{@code
 * for (BackendProvider p : BackendProvider.all()) {
 *     if (p.availability().usable()) try (Backend b = p.create(p.devices().get(0), 2)) { ... }
 * }
 * }</pre>
 */
public interface BackendProvider {

    /** Whether this kind of backend can run here, and if not, why. */
    record Availability(boolean usable, String reason) {
        public static Availability yes(String what) { return new Availability(true, what); }

        public static Availability no(String why) { return new Availability(false, why); }
    }

    /** The device kind this provider creates backends for. */
    Device.Kind kind();

    /** Whether the backend can be used on this machine; never throws. */
    Availability availability();

    /** The devices of this kind present here (empty when not available). */
    List<Device> devices();

    /**
     * Lines for {@code quadrant devices}: one per device with what a user wants to know (name, memory, versions), or
     * the reason this kind is unusable.
     */
    default List<String> describeDevices() {
        Availability a = availability();
        if (!a.usable()) {
            return List.of(kind().name().toLowerCase(java.util.Locale.ROOT) + ": not usable: " + a.reason());
        }
        return devices().stream().map(d -> d + ": " + a.reason()).toList();
    }

    /**
     * A new backend on {@code device}. {@code threads} is the CPU thread budget of the replica that owns it (the CPU
     * backend uses it for its loops and OpenBLAS; the CUDA backend for host-side work).
     */
    Backend create(Device device, int threads);

    /** Every provider on the class path, CPU first. */
    static List<BackendProvider> all() {
        List<BackendProvider> list = new ArrayList<>();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            list.add(p);
        }
        list.sort((a, b) -> a.kind().compareTo(b.kind()));
        return list;
    }

    /** The provider for {@code kind}, or an exception saying which kinds are on the class path. */
    static BackendProvider of(Device.Kind kind) {
        List<BackendProvider> all = all();
        for (BackendProvider p : all) {
            if (p.kind() == kind) {
                return p;
            }
        }
        throw new UserInputException("no backend for " + kind.name().toLowerCase(java.util.Locale.ROOT)
                + " devices on the class path (found: " + all.stream().map(p -> p.kind().toString()).toList() + ")");
    }
}
