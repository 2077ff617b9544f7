package org.pkvm4j.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which EL2 symbol names the link check reads from EL1 code, and which it leaves alone. */
class El2LinkCheckTest {
    private static final String EL1 = """
            package v;

            import org.pkvm4j.api.el1.El2ModuleToken;
            import org.pkvm4j.api.el1.KernelModule;
            import org.pkvm4j.api.el1.ModuleContext;
            import org.pkvm4j.api.el1.Pkvm;

            public final class Mod implements KernelModule {
                private static final String HANDLER = "v_hvc";
                private El2ModuleToken token;

                @Override
                public void init(ModuleContext ctx) {
                    Pkvm pkvm = ctx.pkvm();
                    token = pkvm.loadEl2Module("v_init");
                    pkvm.registerEl2ModCall(HANDLER, token);
                    pkvm.registerEl2ModCall("v_typo", this.token);
                    pkvm.registerEl2ModCall(ctx.name() + "_computed", token);
                    String unrelated = "v_not_a_symbol";
                    ctx.printk(unrelated);
                }
            }
            """;

    private static final String EL2 = """
            package v.hyp;

            import org.pkvm4j.api.UserPtRegs;
            import org.pkvm4j.api.el2.El2Symbol;
            import org.pkvm4j.api.el2.ModuleOps;

            public final class Hyp {
                @El2Symbol("v_init")
                public static void init(ModuleOps ops) {
                }

                @El2Symbol("v_hvc")
                public static void hvc(UserPtRegs regs) {
                }
            }
            """;

    @Test
    void constantsPassedToPkvmAreCheckedAndComputedNamesAreNot(@TempDir Path dir) throws IOException {
        Map<String, byte[]> el1 = compile(dir.resolve("el1"), "v/Mod.java", EL1);
        Map<String, byte[]> el2 = compile(dir.resolve("el2"), "v/hyp/Hyp.java", EL2);
        assertEquals(Set.of("v_hvc", "v_init"), El2LinkCheck.defined(el2));
        assertEquals(List.of(new El2LinkCheck.Reference("v_init", "loadEl2Module", "v/Mod.java", 15),
                new El2LinkCheck.Reference("v_hvc", "registerEl2ModCall", "v/Mod.java", 16),
                new El2LinkCheck.Reference("v_typo", "registerEl2ModCall", "v/Mod.java", 17)), El2LinkCheck.references(el1));
    }

    /** Compiles one source file against the class path of this test and returns the class files by entry name. */
    private static Map<String, byte[]> compile(Path dir, String path, String source) throws IOException {
        Path src = dir.resolve("src").resolve(path);
        Files.createDirectories(src.getParent());
        Files.writeString(src, source);
        Path out = dir.resolve("classes");
        StringWriter log = new StringWriter();
        int code = ToolProvider.findFirst("javac").orElseThrow().run(new PrintWriter(log, true), new PrintWriter(log, true),
                "--release", "25", "-proc:none", "-cp", System.getProperty("java.class.path"), "-d", out.toString(), src.toString());
        assertEquals(0, code, log.toString());
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (Stream<Path> walk = Files.walk(out)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                entries.put(out.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
            }
        }
        return entries;
    }
}
