/** Character devices modules offer to userspace ({@code drivers/char/misc.c}). */
package org.pkvm4j.host.dev;
