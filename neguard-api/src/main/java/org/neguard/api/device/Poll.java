package org.neguard.api.device;

/**
 * {@code GET /api/device/v1/poll}: what the device must do now. Sent with an {@code ETag}; a poll
 * with that ETag in {@code If-None-Match} gets 304 and no body while nothing changed.
 *
 * @param order the order to carry out, or null when there is nothing to do
 * @param renewCertificate true when the device certificate should be renewed now
 * @param pollAfterSeconds when to poll next
 * @param attestation the validation entity's challenge: measure and answer it with evidence
 *     ({@code POST /api/device/v1/evidence}) before anything else; null when none is pending
 */
public record Poll(DeviceOrder order, boolean renewCertificate, int pollAfterSeconds,
    AttestationChallenge attestation) {

  /** A poll answer without a challenge. */
  public Poll(DeviceOrder order, boolean renewCertificate, int pollAfterSeconds) {
    this(order, renewCertificate, pollAfterSeconds, null);
  }
}
