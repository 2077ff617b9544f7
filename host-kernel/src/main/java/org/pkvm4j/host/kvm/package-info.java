/**
 * A KVM-style host API for guests under pKVM: {@link org.pkvm4j.host.kvm.Kvm#createVm} ({@code
 * KVM_CREATE_VM}), memslots ({@code KVM_SET_USER_MEMORY_REGION}), vCPUs ({@code KVM_CREATE_VCPU}) and
 * {@code KVM_RUN}, with guest code supplied as a {@link org.pkvm4j.host.kvm.GuestProgram}.
 *
 * <p>Kernel counterpart: {@code arch/arm64/kvm/pkvm.c} (host side of pKVM guests) and the generic
 * KVM ioctls.
 */
package org.pkvm4j.host.kvm;
