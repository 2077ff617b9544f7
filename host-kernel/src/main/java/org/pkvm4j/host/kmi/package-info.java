/**
 * KMI generations: the four GKI branches a device can boot as ({@link org.pkvm4j.host.kmi.Kmi}),
 * each with its {@code struct pkvm_module_ops} layout kept as a table in this package's resources
 * ({@link org.pkvm4j.host.kmi.KmiTable}), the load-time checks that refuse a module built for
 * another KMI or using a member its KMI lacks ({@link org.pkvm4j.host.kmi.KmiCheck}), and the diff
 * of two layouts by the KABI rules ({@link org.pkvm4j.host.kmi.KmiDiff}).
 */
package org.pkvm4j.host.kmi;
