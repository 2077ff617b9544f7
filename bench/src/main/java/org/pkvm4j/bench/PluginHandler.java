package org.pkvm4j.bench;

import org.pf4j.ExtensionPoint;

/**
 * The PF4J extension point of the peer benchmarks ({@link AdmissionHarness}, {@link TrapVsPf4jBench}):
 * what a module author who used PF4J instead of pkvm4j would call where pkvm4j's author traps. Its
 * one method has the body of the benchmark modules' EL2 handler: {@code x1 + 1}.
 */
public interface PluginHandler extends ExtensionPoint {
    /**
     * The handler.
     *
     * @param x1 the argument
     * @return {@code x1 + 1}
     */
    long handle(long x1);
}
