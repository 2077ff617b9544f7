/**
 * The module author's tools, shared by the {@code pkvm} CLI and the Maven plugin: what a kernel
 * tree's {@code scripts/} and libabigail do for a C module.
 *
 * <p>{@link org.pkvm4j.tools.abi} dumps and diffs the module API's ABI ({@code abidiff}), {@link
 * org.pkvm4j.tools.modpost} stamps a module's modversions ({@code scripts/mod/modpost}), {@link
 * org.pkvm4j.tools.verify} runs modprobe's checks offline and reports every finding, {@link
 * org.pkvm4j.tools.initramfs} packs and signs initramfs images ({@code sign-file}). A library: it
 * parses no command line and prints nothing; the CLI and the plugin do.
 */
module org.pkvm4j.tools {
    requires transitive org.pkvm4j.host;

    exports org.pkvm4j.tools.abi;
    exports org.pkvm4j.tools.modpost;
    exports org.pkvm4j.tools.verify;
    exports org.pkvm4j.tools.initramfs;
}
