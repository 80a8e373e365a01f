/**
 * Devices (SRC-1, OBJ-1; docs/DEPLOYMENTS.md, "Devices and enrollment"): one-time enrollment
 * tokens, enrollment of a device key pair into a device certificate from the device CA, renewal,
 * the device list, disabling, and the authentication of every request on the agents' port by its
 * client certificate, checked against the database each time. The order-signing keys' endpoints
 * live here too: devices and users read them, admins rotate them.
 */
package org.neguard.server.device;
