/**
 * What the NEs run (issue 16, HRD-3; docs/VULNERABILITIES.md "What an NE runs"): the agents'
 * package reports validated and kept, assessed against the vulnerability database of {@code
 * --vulndb DIR} (opened lazily, reopened when its feeds.json changes), findings per NE with the
 * listening socket each is reachable through, and the fleet view.
 */
package org.neguard.server.vuln;
