package org.pkvm4j.host.dev;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.MiscDevice;

/**
 * The misc devices modules registered: {@code /dev/<name>} for userspace.
 *
 * <p>Kernel counterpart: {@code misc_register} / {@code misc_deregister} and the {@code ioctl}
 * system call on the device file.
 */
public final class MiscDevices {
    private record Entry(String owner, MiscDevice device) {
    }

    private final Map<String, Entry> devices = new ConcurrentHashMap<>();

    /** A registry with no device in it. */
    public MiscDevices() {
    }

    /**
     * Registers {@code device} as {@code /dev/<name>} for module {@code owner}.
     *
     * @throws PkvmException {@code EEXIST} if the name is taken, {@code EINVAL} for a bad name
     */
    public void register(String owner, String name, MiscDevice device) {
        Objects.requireNonNull(device, "device");
        if (name == null || name.isBlank() || name.contains("/")) {
            throw new PkvmException(Errno.EINVAL, owner + ": '" + name + "' is not a device name");
        }
        Entry previous = devices.putIfAbsent(name, new Entry(owner, device));
        if (previous != null) {
            throw new PkvmException(Errno.EEXIST, owner + ": /dev/" + name + " is already registered by " + previous.owner());
        }
    }

    /**
     * Removes every device of {@code owner}, as a failed or unloaded module must.
     *
     * @return the names removed, sorted
     */
    public List<String> deregisterAll(String owner) {
        List<String> removed = new java.util.ArrayList<>();
        devices.entrySet().removeIf(e -> e.getValue().owner().equals(owner) && removed.add(e.getKey()));
        return removed.stream().sorted().toList();
    }

    /**
     * The devices whose implementation was defined by {@code loader}, as {@code /dev/<name>
     * (registered by <owner>)}: what keeps an unloaded module's classes alive through this table.
     */
    public List<String> implementedBy(ClassLoader loader) {
        return devices.entrySet().stream()
                .filter(e -> e.getValue().device().getClass().getClassLoader() == loader)
                .map(e -> "/dev/" + e.getKey() + " (registered by " + e.getValue().owner() + ")")
                .sorted()
                .toList();
    }

    /**
     * {@code ioctl(open("/dev/<name>"), cmd, arg)}.
     *
     * @throws PkvmException {@code ENOENT} if no such device; the device's own errno
     */
    public long ioctl(String name, int cmd, long arg) {
        Entry e = devices.get(name);
        if (e == null) {
            throw new PkvmException(Errno.ENOENT, "/dev/" + name + " does not exist");
        }
        return e.device().ioctl(cmd, arg);
    }

    /** Device names, sorted. */
    public List<String> names() {
        return devices.keySet().stream().sorted().toList();
    }

    /** The module that registered {@code name}, or null. */
    public String owner(String name) {
        Entry e = devices.get(name);
        return e == null ? null : e.owner();
    }
}
