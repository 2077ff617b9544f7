package org.pkvm4j.maven;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * What the sample projects in src/it printed when maven-invoker-plugin built them (it checks that
 * the good one passed and the others failed; this checks why).
 */
class SampleProjectsIT {
    private static String log(String project) throws IOException {
        return Files.readString(Path.of(System.getProperty("pkvm4j.it.projects"), project, "build.log"));
    }

    /** Scenario: the good module is packed, checked and its two device tests pass. */
    @Test
    void theGoodModuleBuildsChecksAndPassesItsTestsOnADevice() throws IOException {
        String log = log("good-module");
        assertTrue(log.contains("modinfo: hello_pkvm 1.0.0-SNAPSHOT against org.pkvm4j.api "), log);
        assertTrue(log.contains("compile-hyp: 2 source files -> target/classes/META-INF/pkvm/hyp.jar"), log);
        assertTrue(log.contains("check: hello_pkvm: descriptors and EL2 symbols ok"), log);
        assertTrue(log.contains("check: every EL2 symbol the EL1 code names links (2 references)"), log);
        assertTrue(log.contains("Tests run: 2, Failures: 0, Errors: 0, Skipped: 0"), log);
        assertTrue(log.contains("BUILD SUCCESS"), log);
    }

    /** Scenario: a misspelt EL2 symbol fails the build at package, naming the symbol, the file and the line. */
    @Test
    void aMisspeltEl2SymbolFailsTheBuildNamingItAndTheFile() throws IOException {
        String log = log("misspelt-symbol");
        assertTrue(log.contains("src/main/java/example/hello_pkvm/HelloPkvm.java:23: undefined EL2 symbol 'hello_pkvm_hyp_hcv'"
                + " (Pkvm.registerEl2ModCall); the EL2 part defines: hello_pkvm_hyp_hvc, hello_pkvm_hyp_init"), log);
        assertTrue(log.contains("BUILD FAILURE"), log);
    }

    /** Scenario: EL2 code off the allow-list (a blocking call) fails the build with the violation and its code. */
    @Test
    void el2CodeTheChecksRefuseFailsTheBuild() throws IOException {
        String log = log("refused-el2");
        assertTrue(log.contains("java.lang.Thread.sleep"), log);
        assertTrue(log.contains("not on the EL2 allow-list"), log);
        assertTrue(log.contains("[PKVM-EL2-POLICY-VIOLATION]"), log);
        assertTrue(log.contains("BUILD FAILURE"), log);
    }
}
