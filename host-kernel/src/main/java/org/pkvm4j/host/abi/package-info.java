/**
 * The module API's ABI, the Java form of MODVERSIONS and of Android's KMI monitoring: a canonical
 * symbol table with a CRC per symbol ({@link org.pkvm4j.host.abi.AbiModel}), the offline diff that
 * classifies changes ({@link org.pkvm4j.tools.abi.AbiDiff}), the record a module's build stamps into
 * its file ({@link org.pkvm4j.host.abi.ModVersions}) and the load-time checks against the running
 * API ({@link org.pkvm4j.host.abi.SymbolCheck}).
 */
package org.pkvm4j.host.abi;
