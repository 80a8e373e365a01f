package org.neguard.server.attest;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.neguard.api.attest.AttestationResult;
import org.neguard.api.device.AttestationChallenge;
import org.neguard.attest.Expectation;

/**
 * What deployments ask of the platform validation entity around each update (ATT-1 to ATT-4,
 * docs/ATTESTATION.md). Every method runs in the caller's transaction, so an order, its
 * attestation and the device's reference change together or not at all. Thread-safe.
 */
public interface PlatformValidation {

  /** Where a device stands for ATT-1. */
  enum Readiness {
    /** Passed an attestation asked for at or after the given instant: it may be updated. */
    PASSED,
    /** Evidence asked for and awaited (a BEFORE_UPDATE challenge is pending). */
    PENDING,
    /** Failed (or may not be updated at all: quarantined, untrusted, disabled). */
    FAILED
  }

  /**
   * @param readiness the answer
   * @param attestationId the attestation that decided it (or is awaited), null when none
   * @param reasonCode for FAILED: the reason code (ATTESTATION_FAILED, DEVICE_NOT_TRUSTED, ...)
   * @param message for FAILED and PENDING: what happened and what to do
   */
  record BeforeUpdate(Readiness readiness, String attestationId, String reasonCode,
      String message) {}

  /**
   * ATT-1: whether {@code deviceId} passed an attestation requested at or after {@code since}.
   * When it did not and none is pending, asks for one (reason BEFORE_UPDATE) and answers
   * PENDING. A device whose trust state is not {@code trusted} is FAILED at once.
   */
  BeforeUpdate beforeUpdate(String deviceId, Instant since, String deploymentId);

  /**
   * ATT-2: the components and TIM the device must measure after installing the package, from
   * signed RIMs and approved baselines only: the device's committed reference with the package's
   * component replaced by the RIM of the package's signed manifest in the store.
   *
   * @param recovery true for a recovery (REC-2): the reference is the approved baselines and the
   *     signed RIM alone, never what the device measured while it failed
   * @throws org.neguard.server.web.ApiException NO_REFERENCE when the package or a component has
   *     no signed RIM or approved baseline
   */
  Expectation expectedAfter(String deviceId, String packageName, String packageVersion,
      boolean recovery);

  /**
   * A fresh nonce for an order's completion evidence, recorded as an AFTER_UPDATE attestation
   * awaiting evidence until {@code expiresAt}.
   */
  String orderNonce(String deviceId, String deploymentId, String orderId, Instant expiresAt);

  /**
   * ATT-4: judges the completion evidence of an order against {@code expected}. On PASS the
   * device's committed reference becomes the measured list and, when {@code recovery}, the device
   * is readmitted ({@code trusted}); otherwise the device's failure policy runs (REC-1). Never
   * throws for bad evidence: that is a FAIL result with its reason codes.
   */
  AttestationResult afterUpdate(String deviceId, String orderId, String evidenceJws,
      Expectation expected, boolean recovery);

  /**
   * The challenge a device's poll carries: its oldest open one (not an order's completion
   * nonce, which travels in the order), if any.
   */
  Optional<AttestationChallenge> challenge(String deviceId);

  /** The reason codes of the failed attestations of {@code deploymentId}'s devices, by device. */
  List<AttestationResult> failures(String deploymentId);
}
