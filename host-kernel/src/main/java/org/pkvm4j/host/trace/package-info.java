/**
 * {@code pkvm boot --trace FILE}: the boot, its module loads, the EL2 handler runs per CPU and any
 * hyp panic, written as Chrome/Perfetto trace-event JSON (open it in ui.perfetto.dev or
 * chrome://tracing).
 */
package org.pkvm4j.host.trace;
