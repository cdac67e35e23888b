package dev.quadrant.device.cuda;

import java.util.ArrayList;
import java.util.List;

import dev.quadrant.bindings.cuda.CudaProbe;
import dev.quadrant.device.Backend;
import dev.quadrant.device.BackendProvider;
import dev.quadrant.device.Device;

/**
 * Provides {@link CudaBackend}s. {@link #availability()} asks {@link CudaProbe}, which never throws and touches no
 * CUDA class on a machine without the NVIDIA driver or the CUDA libraries, so listing providers is safe anywhere.
 * Stateless and thread-safe.
 *
 * <pre>{@code
 * BackendProvider p = new CudaBackendProvider();
 * if (p.availability().usable()) try (Backend b = p.create(Device.cuda(0), 1)) { ... }
 * }</pre>
 */
public final class CudaBackendProvider implements BackendProvider {

    @Override
    public Device.Kind kind() { return Device.Kind.CUDA; }

    @Override
    public Availability availability() {
        try {
            CudaProbe.Result r = CudaProbe.get();
            return r.usable() ? Availability.yes(r.reason()) : Availability.no(r.reason());
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {   // the contract: never throw
            return Availability.no("CUDA probe failed: " + t);
        }
    }

    @Override
    public List<Device> devices() {
        List<Device> out = new ArrayList<>();
        if (availability().usable()) {
            for (int i = 0; i < CudaProbe.get().deviceCount(); i++) {
                out.add(Device.cuda(i));
            }
        }
        return out;
    }

    /** A backend with fp32 GEMMs; {@code threads} is unused (the host side of a CUDA backend is one thread). */
    @Override
    public Backend create(Device device, int threads) {
        return create(device, Precision.FP32);
    }

    /** A backend with GEMMs in {@code precision} ({@code --precision}). */
    public CudaBackend create(Device device, Precision precision) {
        Availability a = availability();
        if (!a.usable()) {
            throw new dev.quadrant.device.UserInputException("--devices " + device + ": CUDA is not usable here: " + a.reason());
        }
        return CudaBackend.open(device, precision);
    }
}
