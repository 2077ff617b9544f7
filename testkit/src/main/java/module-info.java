/**
 * The module authors' test kit: boot a fresh pKVM device per JUnit 5 test, inject it, and check
 * what it did.
 *
 * <p>{@link org.pkvm4j.testkit.PkvmBoot} on a test class or method, {@link
 * org.pkvm4j.testkit.PkvmAssertions} for boot reports and the kernel log, {@link
 * org.pkvm4j.testkit.PkvmConditions} for Awaitility. The host kernel must run as a named module (on
 * the module path); tests and the kit may sit on the class path.
 */
module org.pkvm4j.testkit {
    // Tests see the host kernel's types (HostKernel, BootReport, KernelLog) in the kit's signatures.
    requires transitive org.pkvm4j.host;
    requires transitive org.junit.jupiter.api;
    // KernelLog records carry a Log4j Level.
    requires org.apache.logging.log4j;
    // ModuleFileBuilder stamps modversions with the author tools' modpost.
    requires org.pkvm4j.tools;
    // ModuleFileBuilder compiles module sources in memory.
    requires java.compiler;

    exports org.pkvm4j.testkit;
}
