package org.neguard.order;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the server orders one device to install: the payload of a signed order
 * (docs/DEPLOYMENTS.md, "Signed deployment orders"). The constructor enforces every rule a field
 * has, so an order that exists is well-formed; whether it is meant for this device and valid now
 * is {@link OrderVerifier}'s question.
 *
 * @param formatVersion {@code major.minor}; a reader reads its own major version and every minor
 *     one, ignoring fields it does not know (see {@link #FORMAT_VERSION})
 * @param deviceId the one device the order is for
 * @param packageName the package's name, as in its manifest
 * @param packageVersion the package's version, as in its manifest
 * @param bundleSha256 SHA-256 of the bundle file, 64 lower-case hex digits: the identity the server
 *     stores it by
 * @param bundleLength the bundle file's length in bytes
 * @param deploymentId the deployment this order belongs to
 * @param approvals who approved the deployment and when; at least one, no approver twice
 * @param issuedAt when the server issued the order
 * @param notBefore the order is not valid before this instant
 * @param notAfter the order is not valid from this instant on; after {@code notBefore}
 * @param rollback whether the deployment was approved as a rollback (a lower security version)
 * @param attestation since format 1.1: the nonce for the completion evidence and the package's RIM
 *     (ATT-3, ATT-4); null in an order of format 1.0, or from a server that validates no platform
 */
public record DeploymentOrder(
    String formatVersion,
    String deviceId,
    String packageName,
    String packageVersion,
    String bundleSha256,
    long bundleLength,
    String deploymentId,
    List<Approval> approvals,
    Instant issuedAt,
    Instant notBefore,
    Instant notAfter,
    boolean rollback,
    @JsonInclude(JsonInclude.Include.NON_NULL) OrderAttestation attestation) {

  /**
   * The format this code writes. Its major version is the one it reads: fields added in a later
   * minor version (the expected measurements of issue 15) are ignored by an older reader; a
   * higher major version is a change an older reader cannot judge and is refused.
   */
  public static final String FORMAT_VERSION = "1.1";

  /** The major version of {@link #FORMAT_VERSION}. */
  public static final int FORMAT_MAJOR = 1;

  /** {@code major.minor}, each part a decimal without leading zeros. */
  static final Pattern VERSION = Pattern.compile("(0|[1-9][0-9]{0,8})\\.(0|[1-9][0-9]{0,8})");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  public DeploymentOrder {
    if (formatVersion == null || !VERSION.matcher(formatVersion).matches()) {
      throw new IllegalArgumentException(
          "formatVersion is not major.minor (e.g. " + FORMAT_VERSION + "): " + formatVersion);
    }
    requireText("deviceId", deviceId);
    requireText("packageName", packageName);
    requireText("packageVersion", packageVersion);
    if (bundleSha256 == null || !SHA256.matcher(bundleSha256).matches()) {
      throw new IllegalArgumentException(
          "bundleSha256 is not 64 lower-case hex digits: " + bundleSha256);
    }
    if (bundleLength <= 0) {
      throw new IllegalArgumentException("bundleLength is not positive: " + bundleLength);
    }
    requireText("deploymentId", deploymentId);
    if (approvals == null || approvals.isEmpty()) {
      throw new IllegalArgumentException(
          "approvals is empty: an order needs an approved deployment");
    }
    approvals = List.copyOf(approvals);
    Set<String> approvers = new HashSet<>();
    for (Approval a : approvals) {
      if (!approvers.add(a.approver())) {
        throw new IllegalArgumentException("approvals lists " + a.approver() + " twice");
      }
    }
    Objects.requireNonNull(issuedAt, "issuedAt");
    Objects.requireNonNull(notBefore, "notBefore");
    Objects.requireNonNull(notAfter, "notAfter");
    if (!notAfter.isAfter(notBefore)) {
      throw new IllegalArgumentException(
          "notAfter " + notAfter + " is not after notBefore " + notBefore);
    }
  }

  /** An order without platform validation (format 1.0's fields). */
  public DeploymentOrder(String formatVersion, String deviceId, String packageName,
      String packageVersion, String bundleSha256, long bundleLength, String deploymentId,
      List<Approval> approvals, Instant issuedAt, Instant notBefore, Instant notAfter,
      boolean rollback) {
    this(formatVersion, deviceId, packageName, packageVersion, bundleSha256, bundleLength,
        deploymentId, approvals, issuedAt, notBefore, notAfter, rollback, null);
  }

  private static void requireText(String name, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " is missing or blank");
    }
  }
}
