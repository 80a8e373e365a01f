package org.neguard.api.device;

/**
 * An order as a device receives it. Only {@link #jws} is authoritative: the agent verifies it
 * (docs/DEPLOYMENTS.md, "Verifying an order") and must not act on the other fields alone.
 *
 * @param orderId the order's id, named in feedback
 * @param jws the signed order, compact JWS
 * @param bundleUrl where to download the bundle, relative to the agents' API base URL
 */
public record DeviceOrder(String orderId, String deploymentId, String jws, String bundleUrl) {}
