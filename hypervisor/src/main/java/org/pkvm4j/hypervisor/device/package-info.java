/** Assignable devices: their reset callbacks and which protected VM holds each. */
package org.pkvm4j.hypervisor.device;
