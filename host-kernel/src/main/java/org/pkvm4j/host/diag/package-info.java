/**
 * Machine-readable diagnostics: the stable error code of every refusal ({@link
 * org.pkvm4j.host.diag.ErrorCode}), documented in {@code docs/error-codes.md}.
 */
package org.pkvm4j.host.diag;
