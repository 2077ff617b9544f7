package org.pkvm4j.host.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.module.ModuleDescriptor;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Refusal;

/** Names a vendor module may not take, for EL1 and EL2 parts alike. */
class ReservedNamesTest {

    private static String refused(String level, ModuleDescriptor d) {
        Refusal r = assertThrows(Refusal.class, () -> ReservedNames.check("x", level, d));
        assertEquals(ErrorCode.LOAD_RESERVED_NAME, r.code());
        assertEquals(Errno.EPERM, r.errno());
        return r.getMessage();
    }

    @Test
    void pkvm4jNamesAreReservedForEl1AndEl2() {
        for (String level : new String[] {"EL1", "EL2"}) {
            String module = refused(level, TestClasses.descriptor("org.pkvm4j.host", "acme.x"));
            assertEquals("EPERM: x: " + level + " module org.pkvm4j.host is named a reserved name (org.pkvm4j.* belongs to pkvm4j)", module);
            String pkg = refused(level, TestClasses.descriptor("acme.x.hyp", "acme.x.hyp", "org.pkvm4j.hypervisor.module"));
            assertTrue(pkg.contains(level + " module acme.x.hyp has package org.pkvm4j.hypervisor.module, a reserved name"), pkg);
            refused(level, TestClasses.descriptor("org.pkvm4j", "acme.x"));
        }
    }

    @Test
    void namesOfTheJvmsModulesAndPackagesAndWhatLiesInsideThemAreReserved() {
        assertTrue(refused("EL1", TestClasses.descriptor("java.base", "acme.x")).contains("(java.base, a name the JVM's own"));
        assertTrue(refused("EL2", TestClasses.descriptor("java.base.evil", "acme.x")).contains("inside java.base"));
        assertTrue(refused("EL2", TestClasses.descriptor("acme.x", "java.lang")).contains("has package java.lang,"));
        assertTrue(refused("EL2", TestClasses.descriptor("acme.x", "java.lang.evil")).contains("inside java.lang"));
        assertTrue(refused("EL1", TestClasses.descriptor("acme.x", "org.apache.logging.log4j")).contains("org.apache.logging.log4j"));
        assertTrue(refused("EL1", TestClasses.descriptor("jdk.compiler", "acme.x")).contains("jdk.compiler"),
                "a system module the boot layer did not resolve is reserved too");
    }

    @Test
    void vendorNamesPass() {
        ReservedNames.check("x", "EL1", TestClasses.descriptor("acme.pkvm_driver", "acme.pkvm_driver"));
        ReservedNames.check("x", "EL2", TestClasses.descriptor("acme.pkvm_driver.hyp", "acme.pkvm_driver.hyp", "acme.java.lang"));
    }
}
