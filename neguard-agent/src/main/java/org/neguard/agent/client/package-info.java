/**
 * The device side of the agents' API (docs/DEPLOYMENTS.md, "Devices and enrollment"): the
 * device's identity (a key pair generated on the device, its certificate, the device CA) and a
 * client that enrolls, polls, downloads bundles with resume, reports feedback, renews its
 * certificate and reads the order keys, over mutual TLS that trusts the device CA only. The
 * agent and {@code neguard sim agents} use it; no Spring, no thread of its own.
 */
package org.neguard.agent.client;
