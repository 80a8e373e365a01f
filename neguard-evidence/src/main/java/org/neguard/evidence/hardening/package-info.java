/** The fleet's hardening evidence: the NEs' reported inventories judged against policies. */
package org.neguard.evidence.hardening;
