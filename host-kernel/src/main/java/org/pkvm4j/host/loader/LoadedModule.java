package org.pkvm4j.host.loader;

import java.util.List;
import java.util.Optional;
import org.pkvm4j.api.el1.El2ModuleToken;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.host.initramfs.Modinfo;
import org.pkvm4j.host.initramfs.ModuleSignature;

/**
 * A module the loader loaded: what {@code lsmod} shows.
 *
 * @param name the module name
 * @param modinfo its record
 * @param sha256 the digest of its file, as it was read
 * @param el1Module the EL1 JPMS module name
 * @param token the token of its EL2 part, if it loaded one (a pKVM module)
 * @param hvcs the EL2 handlers it registered, in order
 * @param loadNanos how long modprobe took, including dependencies it loaded
 * @param signature the signature it inherited from a verified initramfs image, if any
 */
public record LoadedModule(String name, Modinfo modinfo, String sha256, String el1Module,
        Optional<El2ModuleToken> token, List<HvcNumber> hvcs, long loadNanos, Optional<ModuleSignature> signature) {

    /** A module loaded without a signature. */
    public LoadedModule(String name, Modinfo modinfo, String sha256, String el1Module,
            Optional<El2ModuleToken> token, List<HvcNumber> hvcs, long loadNanos) {
        this(name, modinfo, sha256, el1Module, token, hvcs, loadNanos, Optional.empty());
    }

    /** Copies the list. */
    public LoadedModule {
        hvcs = List.copyOf(hvcs);
    }

    /** Whether it extended the hypervisor (loaded an EL2 part). */
    public boolean isPkvmModule() {
        return token.isPresent();
    }

    /** The {@code sig:} line of {@code lsmod} and {@code modinfo}: its inherited signature, or none. */
    public String describeSignature() {
        return signature.map(ModuleSignature::describe).orElse("none");
    }
}
