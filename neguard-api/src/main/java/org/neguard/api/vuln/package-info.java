/**
 * Known vulnerabilities of what the NEs run (issue 16, HRD-3; docs/VULNERABILITIES.md, "What an
 * NE runs"): {@code GET /api/devices/{id}/vulnerabilities} and {@code GET /api/vulnerabilities}.
 */
package org.neguard.api.vuln;
