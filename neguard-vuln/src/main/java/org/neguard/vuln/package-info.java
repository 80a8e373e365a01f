/**
 * Vulnerability assessment (HRD-3's second half; docs/VULNERABILITIES.md): each ecosystem's
 * version rules, installed-package lists, offline advisory feeds, and matching them so that a
 * fix a distribution backported is not reported.
 */
package org.neguard.vuln;
