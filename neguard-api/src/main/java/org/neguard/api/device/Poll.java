package org.neguard.api.device;

/**
 * {@code GET /api/device/v1/poll}: what the device must do now. Sent with an {@code ETag}; a poll
 * with that ETag in {@code If-None-Match} gets 304 and no body while nothing changed.
 *
 * @param order the order to carry out, or null when there is nothing to do
 * @param renewCertificate true when the device certificate should be renewed now
 * @param pollAfterSeconds when to poll next
 */
public record Poll(DeviceOrder order, boolean renewCertificate, int pollAfterSeconds) {}
