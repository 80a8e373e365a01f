package org.neguard.server.deploy;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.neguard.api.attest.AttestationResult;
import org.neguard.api.problem.ProblemReason;
import org.neguard.attest.Evidence;
import org.neguard.attest.Expectation;
import org.neguard.measure.PlatformTim;
import org.neguard.server.attest.PlatformValidation;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.ReasonCode;

/**
 * A stand-in for the validation entity, the engine's collaborator, for the engine's own tests
 * (what the engine does with each answer); the tests of the flow with a real device's evidence
 * use the server's own entity. By default every device passes; a test scripts the answers.
 */
final class FakeValidation implements PlatformValidation {
  final Map<String, BeforeUpdate> before = new ConcurrentHashMap<>();
  final Map<String, AttestationResult> after = new ConcurrentHashMap<>();
  final Map<String, String> noReference = new ConcurrentHashMap<>();
  final List<String> calls = new CopyOnWriteArrayList<>();
  final List<AttestationResult> failures = new CopyOnWriteArrayList<>();

  @Override
  public BeforeUpdate beforeUpdate(String deviceId, Instant since, String deploymentId) {
    calls.add("before " + deviceId + " " + deploymentId);
    return before.getOrDefault(deviceId, new BeforeUpdate(Readiness.PASSED, "a-1", null, null));
  }

  @Override
  public Expectation expectedAfter(String deviceId, String packageName, String packageVersion,
      boolean recovery) {
    calls.add("expected " + deviceId + " " + packageName + " " + recovery);
    if (noReference.containsKey(deviceId)) {
      throw ApiException.of(ReasonCode.NO_REFERENCE, noReference.get(deviceId));
    }
    return Expectation.of(List.of(new Evidence.Component(packageName,
        PlatformTim.Reference.VENDOR_SIGNED, "ab".repeat(32), List.of())));
  }

  @Override
  public String orderNonce(String deviceId, String deploymentId, String orderId,
      Instant expiresAt) {
    byte[] n = new byte[32];
    new SecureRandom().nextBytes(n);
    return HexFormat.of().formatHex(n);
  }

  @Override
  public AttestationResult afterUpdate(String deviceId, String orderId, String evidenceJws,
      Expectation expected, boolean recovery) {
    calls.add("after " + deviceId + " " + recovery + " " + expected.tim());
    AttestationResult r = after.getOrDefault(deviceId, result(deviceId, "PASS", List.of()));
    if (!"PASS".equals(r.result())) {
      failures.add(r);
    }
    return r;
  }

  @Override
  public java.util.Optional<org.neguard.api.device.AttestationChallenge> challenge(
      String deviceId) {
    return java.util.Optional.empty();
  }

  @Override
  public List<AttestationResult> failures(String deploymentId) {
    return new ArrayList<>(failures);
  }

  static AttestationResult result(String device, String result, List<ProblemReason> reasons) {
    return new AttestationResult("att-" + device, device, "AFTER_UPDATE", result, "SOFTWARE_KEY",
        null, "PASS".equals(result) ? "trusted" : "quarantined", "2026-12-04T00:00:00Z",
        "2026-12-04T00:00:01Z", reasons);
  }

  /** A FAIL naming one changed file of one component. */
  static AttestationResult changed(String device, String component, String file) {
    return result(device, "FAIL", List.of(new ProblemReason("MEASUREMENT_MISMATCH",
        "after the update, component " + component + " is changed: changed " + file
            + " (expected TIM " + Integer.toHexString(device.hashCode()) + "ab)", component)));
  }
}
