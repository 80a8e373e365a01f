/**
 * Devices (NEs) and the agents' API (SRC-1, OBJ-1): enrollment tokens and the device list of
 * {@code /api/devices} (users), and the bodies of {@code /api/device/v1} (devices, over mutual
 * TLS; docs/DEPLOYMENTS.md, "The agents' API").
 */
package org.neguard.api.device;
