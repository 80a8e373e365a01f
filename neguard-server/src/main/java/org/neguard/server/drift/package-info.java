/**
 * Port drift (issue 14 item 8, HRD-1, HRD-4; docs/SERVER.md, "Port drift"): the hardening
 * policies per NE type, uploaded by admins and versioned; the agents' socket inventories, judged
 * against the policy in force with the hardening audit's evaluator; the findings they open and
 * resolve, each an audit row and, when the server has one, a webhook alert.
 */
package org.neguard.server.drift;
