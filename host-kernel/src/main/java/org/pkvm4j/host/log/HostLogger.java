package org.pkvm4j.host.log;

import org.apache.logging.log4j.CloseableThreadContext;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A host class's Log4j logger, looked up at its first use, and never when Log4j's output is off
 * ({@code -Dpkvm4j.log.level=off}, as {@code ./pkvm} starts the kernel without {@code PKVM4J_LOG}).
 *
 * <p>Why: the Log4j API's own start (provider discovery, its property sources reading every system
 * property and environment variable, the status logger's configuration, some fifty call sites to
 * link) was a tenth of a cold boot's thread (ADR 0018, third session), paid for a logger that, with
 * the output off, drops every event. With the property unset (tests, an embedding application)
 * every event reaches Log4j as before; the kernel log ({@link KernelLog}) keeps every line either way.
 */
public final class HostLogger {
    /** The system property whose value {@code off} keeps Log4j unstarted (the level of conf/log4j2.xml's root). */
    public static final String LEVEL_PROPERTY = "pkvm4j.log.level";

    private static final boolean FORWARDING = !"off".equalsIgnoreCase(System.getProperty(LEVEL_PROPERTY));

    private final String name;
    private final boolean forward;
    private volatile Logger logger;

    /** A logger that reaches Log4j if {@code forward}: {@link #forwarding()} but in tests. */
    HostLogger(String name, boolean forward) {
        this.name = name;
        this.forward = forward;
    }

    /**
     * The logger named after {@code owner}, as {@code LogManager.getLogger()} in it names it.
     *
     * @param owner the class that logs
     * @return its logger, not yet looked up
     */
    public static HostLogger of(Class<?> owner) {
        return new HostLogger(owner.getName(), FORWARDING);
    }

    /**
     * The logger of that name.
     *
     * @param name a Log4j logger name
     * @return its logger, not yet looked up
     */
    public static HostLogger named(String name) {
        return new HostLogger(name, FORWARDING);
    }

    /**
     * Whether events reach Log4j in this JVM.
     *
     * @return false if {@value #LEVEL_PROPERTY} is {@code off}
     */
    public static boolean forwarding() {
        return FORWARDING;
    }

    /**
     * Puts {@code key = value} in Log4j's thread context until the returned instance is closed, for
     * the appenders; nothing when Log4j's output is off ({@link #forwarding()}), which would start it.
     *
     * @param key the context key
     * @param value its value
     * @return the instance to close, or null when nothing was put (try-with-resources skips it)
     */
    public static CloseableThreadContext.Instance threadContext(String key, String value) {
        return FORWARDING ? CloseableThreadContext.put(key, value) : null;
    }

    /**
     * The Log4j logger, looked up on the first call.
     *
     * @return it, or null when Log4j's output is off ({@link #forwarding()})
     */
    public Logger log4j() {
        if (!forward) {
            return null;
        }
        Logger l = logger;
        if (l == null) {
            l = LogManager.getLogger(name);
            logger = l;
        }
        return l;
    }

    /** Its name. */
    @Override
    public String toString() {
        return name;
    }
}
