/** modpost: the modversions record a module's build stamps into its file ({@code scripts/mod/modpost}). */
package org.pkvm4j.tools.modpost;
