/**
 * JSON output for the CLI's {@code --json} modes, the attestation log and the trace file: a small
 * streaming writer, so the host kernel needs no JSON library.
 */
package org.pkvm4j.host.json;
