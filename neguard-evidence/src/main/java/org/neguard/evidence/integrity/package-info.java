/**
 * The platform integrity evidence (ATT-1..4, REC-1..4, OBJ-2) judged from a server's records,
 * for {@code neguard evidence integrity} and the console's Evidence page.
 */
package org.neguard.evidence.integrity;
