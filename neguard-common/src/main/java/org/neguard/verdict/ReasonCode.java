package org.neguard.verdict;

import java.util.Collection;

/**
 * Stable, upper-case reason codes that scripts may match on. Never rename one: add a new code.
 *
 * <p>Each code belongs to one {@link Kind}: a {@code REFUSAL} is a negative security verdict
 * (exit 3), an {@code ERROR} prevented a verdict altogether (exit 1). Each code also names the
 * HTTP status the server answers it with ({@link #httpStatus}).
 */
public enum ReasonCode {
  // Signature and certificates.
  UNSIGNED(Kind.REFUSAL, 422),
  SIGNATURE_INVALID(Kind.REFUSAL, 422),
  CERT_UNTRUSTED(Kind.REFUSAL, 422),
  CERT_VALIDITY(Kind.REFUSAL, 422),
  KEY_USAGE(Kind.REFUSAL, 422),
  CERT_REVOKED(Kind.REFUSAL, 422),
  CRL_INVALID(Kind.REFUSAL, 422),
  /** A signature, digest, key or curve outside the allow-list (docs/FORMAT.md, INT-2). */
  ALGORITHM_NOT_ALLOWED(Kind.REFUSAL, 422),
  /** The manifest names a vendor its signer's trust anchor does not speak for (SRC-2). */
  VENDOR_MISMATCH(Kind.REFUSAL, 422),
  // Bundle contents.
  DIGEST_MISMATCH(Kind.REFUSAL, 422),
  UNSAFE_PATH(Kind.REFUSAL, 422),
  STRUCTURE(Kind.REFUSAL, 422),
  MALFORMED(Kind.REFUSAL, 422),
  SIZE_LIMIT(Kind.REFUSAL, 413),
  // Anti-virus scanning and the publication gate (AV-1..3).
  INFECTED(Kind.REFUSAL, 422),
  NOT_SCANNED(Kind.REFUSAL, 422),
  SCAN_REPORT_MISSING(Kind.REFUSAL, 422),
  SCAN_REPORT_MISMATCH(Kind.REFUSAL, 422),
  SCAN_POLICY(Kind.REFUSAL, 422),
  // Hardening (HRD-1..6).
  FORBIDDEN_SERVICE(Kind.REFUSAL, 422),
  UNDECLARED_SERVICE(Kind.REFUSAL, 422),
  WRONG_INTERFACE(Kind.REFUSAL, 422),
  SCAN_INCOMPLETE(Kind.REFUSAL, 422),
  /** An allowed service answers in a protocol version its policy does not allow (HRD-1, HRD-5). */
  PROTOCOL_VERSION(Kind.REFUSAL, 422),
  /** Two observations of one NE differ (a port added, removed or changed; HRD-6, drift). */
  PORTS_CHANGED(Kind.REFUSAL, 422),
  // Server: authentication, authorization, storage, audit (SRC-1..3).
  NOT_AUTHENTICATED(Kind.REFUSAL, 401),
  NOT_AUTHORIZED(Kind.REFUSAL, 403),
  CONFLICT(Kind.REFUSAL, 409),
  AUDIT_CHAIN_BROKEN(Kind.REFUSAL, 422),
  /** A client sent more requests of a kind than its budget allows: it waits, then retries. */
  RATE_LIMITED(Kind.REFUSAL, 429),
  // Signed deployment orders (SRC-1, SRC-2; docs/DEPLOYMENTS.md).
  /** A document of a major format version this reader does not read (an older agent). */
  FORMAT_VERSION(Kind.REFUSAL, 422),
  /** An order addressed to another device (replayed by a device it was not issued to). */
  DEVICE_MISMATCH(Kind.REFUSAL, 422),
  /** An order outside its validity window (expired, or not yet valid), clock skew allowed. */
  ORDER_VALIDITY(Kind.REFUSAL, 422),
  // Devices and deployments (SRC-1, OBJ-1; docs/DEPLOYMENTS.md).
  /** The creator of a deployment may not approve it; an approval needs a second person. */
  FOUR_EYES(Kind.REFUSAL, 403),
  /** The deployment's state does not allow this (approving a cancelled one, resuming a done one). */
  DEPLOYMENT_STATE(Kind.REFUSAL, 409),
  /** The package is for another NE type than the device's. */
  NE_TYPE_MISMATCH(Kind.REFUSAL, 422),
  /** A lower security version than the device runs, without an approved rollback. */
  ROLLBACK_REFUSED(Kind.REFUSAL, 422),
  /** The NE agent: the new version failed its restart or health check and was rolled back. */
  HEALTH_CHECK_FAILED(Kind.REFUSAL, 422),
  /**
   * The NE agent: a package hook (docs/FORMAT.md "Package hooks") failed, hung past its timeout
   * or could not be run; before the switch nothing was switched, after it the NE was rolled back.
   */
  HOOK_FAILED(Kind.REFUSAL, 422),
  /** The device is disabled (or its certificate revoked): it is refused until re-enrolled. */
  DEVICE_DISABLED(Kind.REFUSAL, 403),
  // The TUF repository of published packages (OBJ-1, SRC-2; docs/REPOSITORY.md).
  /** A role's threshold of valid signatures is not met, or a new root is not signed by the
   *  previous root's threshold (and its own). */
  REPO_SIGNATURE(Kind.REFUSAL, 422),
  /** Metadata of a lower version than trusted (rollback), or a fast-forward. */
  REPO_ROLLBACK(Kind.REFUSAL, 422),
  /** Metadata past its expiry: an indefinite freeze. */
  REPO_EXPIRED(Kind.REFUSAL, 422),
  /** A metadata file's version, length or hash differ from what the role above it says
   *  (mix-and-match). */
  REPO_MISMATCH(Kind.REFUSAL, 422),
  // Platform attestation (ATT-1..4, OBJ-2; docs/MEASUREMENT.md).
  /** Evidence over another nonce than the verifier sent: replayed or stale. */
  NONCE_MISMATCH(Kind.REFUSAL, 422),
  /** Measurements (a TIM, a quoted PCR, a component) differ from their reference. */
  MEASUREMENT_MISMATCH(Kind.REFUSAL, 422),
  /** Software or a platform component without a vendor-signed RIM or approved baseline. */
  NO_REFERENCE(Kind.REFUSAL, 422),
  /** The NE failed its platform validation: not updated, its failure policy runs. */
  ATTESTATION_FAILED(Kind.REFUSAL, 422),
  /** The NE is not trusted (unknown, untrusted, quarantined): only a recovery reaches it. */
  DEVICE_NOT_TRUSTED(Kind.REFUSAL, 403),
  // Vulnerability assessment (HRD-3; docs/VULNERABILITIES.md).
  /** An installed package is affected by a known vulnerability its version does not fix. */
  KNOWN_VULNERABILITY(Kind.REFUSAL, 422),
  // Errors: no verdict could be reached.
  IO_ERROR(Kind.ERROR, 500),
  BAD_INPUT(Kind.ERROR, 400),
  KEY_MISMATCH(Kind.ERROR, 500),
  TRUST_CONFIG(Kind.ERROR, 503),
  ENGINE_UNAVAILABLE(Kind.ERROR, 503),
  ENGINE_ERROR(Kind.ERROR, 500),
  POLICY_INVALID(Kind.ERROR, 500),
  TARGET_UNREACHABLE(Kind.ERROR, 500),
  SERVER_UNREACHABLE(Kind.ERROR, 500),
  /**
   * The NE agent was interrupted (a crash, kill -9, a power cut) after switching to a new version
   * and before its health check confirmed it: the version was never judged, so the agent
   * switched back to last-known-good (docs/AGENT.md "Crash safety: the journal").
   */
  AGENT_INTERRUPTED(Kind.ERROR, 500),
  INTERNAL(Kind.ERROR, 500);

  /** Whether a code is a negative verdict or an error that kept a verdict from being reached. */
  public enum Kind {
    REFUSAL,
    ERROR;

    /**
     * The one rule for a list of reasons: any error means no verdict was reached ({@code ERROR},
     * exit 1), else the reasons are a negative verdict ({@code REFUSAL}, exit 3). The CLI's exit
     * code, the server's {@code verdict} field and {@link RefusalException#isError} all ask here.
     *
     * @throws IllegalArgumentException if {@code reasons} is empty: no reason is no refusal
     */
    public static Kind of(Collection<Reason> reasons) {
      if (reasons.isEmpty()) {
        throw new IllegalArgumentException("reasons is empty: a refusal has at least one reason");
      }
      return reasons.stream().anyMatch(r -> r.code().kind() == ERROR) ? ERROR : REFUSAL;
    }
  }

  private final Kind kind;
  private final int httpStatus;

  /** Every code chooses its HTTP status here, so that a new code cannot forget it. */
  ReasonCode(Kind kind, int httpStatus) {
    this.kind = kind;
    this.httpStatus = httpStatus;
  }

  public Kind kind() {
    return kind;
  }

  /**
   * The HTTP status the server answers with when this code is the first reason of a refusal:
   * 4xx for what the client can change, 5xx for what the server must fix (docs/SERVER.md).
   */
  public int httpStatus() {
    return httpStatus;
  }
}
