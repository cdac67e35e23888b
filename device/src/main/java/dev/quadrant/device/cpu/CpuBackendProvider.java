package dev.quadrant.device.cpu;

import java.util.List;

import dev.quadrant.bindings.Dnnl;
import dev.quadrant.bindings.OpenBlas;
import dev.quadrant.device.Backend;
import dev.quadrant.device.BackendProvider;
import dev.quadrant.device.Device;
import dev.quadrant.device.UserInputException;

/**
 * The {@link BackendProvider} of {@link CpuBackend}, registered in
 * {@code META-INF/services/dev.quadrant.device.BackendProvider}. Always available, with one device, {@code cpu:0}
 * (every CPU replica shares the host; each gets its own backend and thread budget). Stateless and thread-safe.
 *
 * <pre>{@code
 * try (Backend be = BackendProvider.of(Device.Kind.CPU).create(Device.cpu(), 2)) { ... }
 * }</pre>
 */
public final class CpuBackendProvider implements BackendProvider {

    @Override
    public Device.Kind kind() {
        return Device.Kind.CPU;
    }

    /** Always usable; the reason names the host's processor count and GEMM library ({@link CpuBlas#choose()}'s auto). */
    @Override
    public Availability availability() {
        String why = Dnnl.probe();
        return Availability.yes("host CPU, " + Runtime.getRuntime().availableProcessors() + " processors, GEMMs on "
                + (why == null ? "oneDNN" : "OpenBLAS (oneDNN: " + why + ")"));
    }

    @Override
    public List<Device> devices() {
        return List.of(Device.cpu());
    }

    /**
     * A new {@link CpuBackend} with a budget of {@code threads} CPU threads.
     *
     * @throws UserInputException if {@code device} is not {@code cpu:0} or {@code threads < 1}
     * @throws dev.quadrant.bindings.NativeException if OpenBLAS cannot be loaded
     */
    @Override
    public Backend create(Device device, int threads) {
        OpenBlas.load();
        return new CpuBackend(device, threads);
    }
}
