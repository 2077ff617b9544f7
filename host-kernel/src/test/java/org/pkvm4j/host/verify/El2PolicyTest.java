package org.pkvm4j.host.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.pkvm4j.host.verify.El2Policy.Decision;
import org.pkvm4j.host.verify.El2Policy.Kind;

class El2PolicyTest {

    private static boolean allows(El2Policy policy, String subject) {
        return policy.decide(Kind.REFERENCE, subject).allowed();
    }

    @Test
    void firstMatchWinsAndNothingMatchedIsRefused() {
        El2Policy p = El2Policy.parse("t", """
                # comments and blank lines are skipped

                allow java.lang.Thread.onSpinWait()V   # a trailing comment
                deny java.lang.Thread.** : no threads: none at all
                allow java.lang.**
                """);
        assertTrue(allows(p, "java.lang.Thread.onSpinWait()V"));
        Decision d = p.decide(Kind.REFERENCE, "java.lang.Thread.sleep(J)V");
        assertEquals(new Decision(false, "no threads: none at all", 4), d);
        assertTrue(allows(p, "java.lang.String.length()I"));
        assertEquals(new Decision(false, El2Policy.DEFAULT_REASON, 0), p.decide(Kind.REFERENCE, "java.io.File"));
        assertEquals(3, p.rules().size());
        assertEquals("deny java.lang.Thread.** : no threads: none at all", p.rules().get(1).toString());
    }

    @ParameterizedTest(name = "{0} ~ {1}: {2}")
    @CsvSource(delimiter = '|', value = {
        "java.lang.Thread.sleep*     | java.lang.Thread.sleep(J)V                       | true",
        "java.lang.Thread.sleep*     | java.lang.Thread.sleep(Ljava/time/Duration;)V    | true",
        "java.lang.Thread.sleep*     | java.lang.Thread.sleepy                          | true",
        "java.lang.Thread.sleep*     | java.lang.Thread                                 | false",
        "java.lang.Thread.*          | java.lang.Thread.Builder.x                       | false",
        "java.lang.Thread.**         | java.lang.Thread                                 | true",
        "java.lang.Thread.**         | java.lang.Thread.start()V                        | true",
        "java.lang.Thread.**         | java.lang.ThreadLocal                            | false",
        "java.lang.Thread*.**        | java.lang.Thread$Builder.start()V                | true",
        "java.lang.*Exception.**     | java.lang.RuntimeException.<init>()V             | true",
        "java.lang.*Exception.**     | java.lang.reflect.UndeclaredThrowableException   | false",
        "java.util.*.parallelStream* | java.util.List.parallelStream()Ljava/util/stream/Stream; | true",
        "**.printStackTrace*         | java.lang.Error.printStackTrace()V               | true",
        "java.lang.System.out        | java.lang.System.out                             | true",
        "java.lang.System.out        | java.lang.System.outx                            | false",
        "java.util.**                | java.util.concurrent.locks.Lock                  | true",
    })
    void patterns(String pattern, String subject, boolean matches) {
        El2Policy p = El2Policy.parse("t", "allow " + pattern);
        assertEquals(matches, allows(p, subject));
    }

    @Test
    void pseudoRulesAndBootstrapsAreTheirOwnKinds() {
        El2Policy p = El2Policy.parse("t", """
                allow <bootstrap> java.lang.invoke.LambdaMetafactory.*
                deny <bootstrap> ** : not javac's
                deny <monitor> : no sleeping locks
                allow **
                """);
        assertTrue(p.decide(Kind.BOOTSTRAP, "java.lang.invoke.LambdaMetafactory.metafactory(x)y").allowed());
        assertEquals("not javac's", p.decide(Kind.BOOTSTRAP, "acme.Foo.bsm()V").reason());
        assertEquals("no sleeping locks", p.decide(Kind.MONITOR, "").reason());
        // 'allow **' is about references only: a kind with no rule is refused.
        assertFalse(p.decide(Kind.NATIVE, "").allowed());
        assertTrue(allows(p, "java.lang.invoke.LambdaMetafactory.metafactory(x)y"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "permit java.lang.**                      | line 2: expected allow or deny, found 'permit'",
        "deny java.lang.Thread.**                 | line 2: deny needs a reason",
        "deny java.lang.Thread.** :               | line 2: deny needs a reason",
        "allow java.lang.** : because             | line 2: allow takes no reason",
        "allow                                    | line 2: missing pattern after allow",
        "allow java.lang.String java.lang.Math    | line 2: unexpected 'java.lang.Math'",
        "deny <monitor> java.lang.** : x          | line 2: unexpected 'java.lang.**'; expected no pattern after <monitor>",
        "deny <lock> : x                          | line 2: unknown kind <lock>",
        "allow java.lang.***                      | line 2: '***' in pattern",
        "allow java.lang..String                  | line 2: empty name in pattern",
        "allow java.lang.Str?ng                   | line 2: bad character '?' in pattern",
        "deny <bootstrap> : x                     | line 2: missing pattern after deny",
    })
    void parseErrorsNameTheLine(String line, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> El2Policy.parse("my.conf", "allow org.pkvm4j.api.**\n" + line + "\nallow java.lang.String.**\n"));
        assertTrue(e.getMessage().startsWith("my.conf " + message), e.getMessage());
    }

    @Test
    void readsAPolicyFile(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("p.conf"), "allow **\r\ndeny <monitor> : spin\r\n");
        El2Policy p = El2Policy.read(file);
        assertEquals(file.toString(), p.source());
        assertTrue(allows(p, "java.io.File"));
        assertEquals("spin", p.decide(Kind.MONITOR, "").reason());
        Files.writeString(file, "allow **\nnonsense\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> El2Policy.read(file));
        assertTrue(e.getMessage().startsWith(file + " line 2: "), e.getMessage());
    }

    @Test
    void theBundledPolicyParsesAndKeepsItsPromises() {
        El2Policy p = El2Policy.bundled();
        assertTrue(p.source().endsWith(El2Policy.BUNDLED));
        assertTrue(p.rules().size() > 100, "rules: " + p.rules().size());
        assertTrue(allows(p, "org.pkvm4j.api.el2.ModuleOps.puts(Ljava/lang/String;)V"));
        assertTrue(allows(p, "java.lang.Thread.onSpinWait()V"));
        assertTrue(allows(p, "java.util.concurrent.atomic.AtomicBoolean.compareAndSet(ZZ)Z"));
        assertTrue(allows(p, "java.util.concurrent.atomic.AtomicLongArray.lazySet(IJ)V"));
        assertTrue(allows(p, "java.lang.RuntimeException.<init>(Ljava/lang/String;)V"));
        assertTrue(allows(p, "java.util.HashMap"));
        assertTrue(p.decide(Kind.BOOTSTRAP, "java.lang.invoke.StringConcatFactory.makeConcatWithConstants("
                + "Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/invoke/MethodType;Ljava/lang/String;"
                + "[Ljava/lang/Object;)Ljava/lang/invoke/CallSite;").allowed());
        assertFalse(p.decide(Kind.MONITOR, "").allowed());
        assertFalse(allows(p, "org.pkvm4j.machine.Machine"));
        assertFalse(allows(p, "org.pkvm4j.hypervisor.module.El2Modules.forget()V"));
        // Runtime is refused, RuntimeException is not: * stops at the end of a name.
        assertFalse(allows(p, "java.lang.Runtime.getRuntime()Ljava/lang/Runtime;"));
        // java.util.** is allowed, but not the packages under it that block, lock, load or do I/O.
        assertFalse(allows(p, "java.util.concurrent.locks.ReentrantLock"));
        assertFalse(allows(p, "java.util.logging.Logger"));
        assertFalse(allows(p, "java.util.zip.ZipFile"));
        assertFalse(allows(p, "java.util.concurrent.LinkedBlockingQueue.take()Ljava/lang/Object;"));
    }
}
