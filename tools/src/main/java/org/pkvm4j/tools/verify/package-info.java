/** modprobe's checks run offline on a module file, every finding reported ({@code pkvm verify}, the build). */
package org.pkvm4j.tools.verify;
