package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.diag.ErrorCode;

/** Each kind of refusal, produced for real, carries its stable code. */
class ErrorCodesIT {

    private static SecurityState.Insecure bootInsecure(String fixture) {
        Path initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "pkvm_driver");
        Devices.addBundled(initramfs, "kvstore");
        String name = Devices.addFixture(initramfs, fixture);
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver," + name
                + ",kvstore", initramfs);
        return assertInstanceOf(SecurityState.Insecure.class, kernel.securityState());
    }

    /** Scenario: a protected module's load is refused; the insecure state names the refusal's code, and so does its line. */
    @ParameterizedTest
    @CsvSource({
        "unknown-symbol, unknown_symbol, PKVM-LOAD-UNKNOWN-SYMBOL",
        "el2-requires-more, el2_requires_more, PKVM-LOAD-FORBIDDEN-REQUIRES",
        "el2-reflection, el2_reflection, PKVM-LOAD-EL2-POLICY",
        "el2-init-fails, el2_init_fails, PKVM-LOAD-INIT-FAILED",
        "el1-init-fails, el1_init_fails, PKVM-LOAD-INIT-FAILED",
        "handler-flood, handler_flood, PKVM-LOAD-HCALL-TABLE-FULL",
    })
    void loadRefusalsCarryTheirCode(String fixture, String failed, String code) {
        SecurityState.Insecure insecure = bootInsecure(fixture);
        assertEquals(failed, insecure.module());
        assertEquals(code, insecure.code().code(), insecure::reason);
        assertTrue(insecure.describe().endsWith("[" + code + "]"), insecure::describe);
    }

    /** Scenario: a listed module missing from the initramfs; a late pKVM load; a call to an id nobody registered. */
    @Test
    void missingModuleLateLoadAndUnknownHvc() {
        Path initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "pkvm_driver");
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver,ghost", initramfs);
        assertEquals(ErrorCode.LOAD_NOT_FOUND, assertInstanceOf(SecurityState.Insecure.class, kernel.securityState()).code());

        HostKernel ok = Devices.bootBundled("pkvm_driver");
        PkvmException late = assertThrows(PkvmException.class, () -> ok.modprobe("pkvm_driver_again"));
        assertEquals(ErrorCode.LOAD_NOT_FOUND, ErrorCode.ofLoad(late));
        PkvmException unknown = assertThrows(PkvmException.class,
                () -> ok.gateway().el2ModCall(Smccc.kvmHostSmcccId(200), 0, 0, 0));
        assertEquals(ErrorCode.HVC_NOT_SUPPORTED, ErrorCode.of(unknown));
    }
}
