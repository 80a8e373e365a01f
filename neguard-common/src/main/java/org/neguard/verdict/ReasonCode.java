package org.neguard.verdict;

/**
 * Stable, upper-case reason codes that scripts may match on. Never rename one: add a new code.
 *
 * <p>Each code belongs to one {@link Kind}: a {@code REFUSAL} is a negative security verdict
 * (exit 3), an {@code ERROR} prevented a verdict altogether (exit 1).
 */
public enum ReasonCode {
  // Signature and certificates.
  UNSIGNED(Kind.REFUSAL),
  SIGNATURE_INVALID(Kind.REFUSAL),
  CERT_UNTRUSTED(Kind.REFUSAL),
  CERT_VALIDITY(Kind.REFUSAL),
  KEY_USAGE(Kind.REFUSAL),
  CERT_REVOKED(Kind.REFUSAL),
  CRL_INVALID(Kind.REFUSAL),
  /** A signature, digest, key or curve outside the allow-list (docs/FORMAT.md, INT-2). */
  ALGORITHM_NOT_ALLOWED(Kind.REFUSAL),
  /** The manifest names a vendor its signer's trust anchor does not speak for (SRC-2). */
  VENDOR_MISMATCH(Kind.REFUSAL),
  // Bundle contents.
  DIGEST_MISMATCH(Kind.REFUSAL),
  UNSAFE_PATH(Kind.REFUSAL),
  STRUCTURE(Kind.REFUSAL),
  MALFORMED(Kind.REFUSAL),
  SIZE_LIMIT(Kind.REFUSAL),
  // Anti-virus scanning and the publication gate (AV-1..3).
  INFECTED(Kind.REFUSAL),
  NOT_SCANNED(Kind.REFUSAL),
  SCAN_REPORT_MISSING(Kind.REFUSAL),
  SCAN_REPORT_MISMATCH(Kind.REFUSAL),
  SCAN_POLICY(Kind.REFUSAL),
  // Hardening (HRD-1..6).
  FORBIDDEN_SERVICE(Kind.REFUSAL),
  UNDECLARED_SERVICE(Kind.REFUSAL),
  WRONG_INTERFACE(Kind.REFUSAL),
  SCAN_INCOMPLETE(Kind.REFUSAL),
  /** Two observations of one NE differ (a port added, removed or changed; HRD-6, drift). */
  PORTS_CHANGED(Kind.REFUSAL),
  // Server: authentication, authorization, storage, audit (SRC-1..3).
  NOT_AUTHENTICATED(Kind.REFUSAL),
  NOT_AUTHORIZED(Kind.REFUSAL),
  CONFLICT(Kind.REFUSAL),
  AUDIT_CHAIN_BROKEN(Kind.REFUSAL),
  // Errors: no verdict could be reached.
  IO_ERROR(Kind.ERROR),
  BAD_INPUT(Kind.ERROR),
  KEY_MISMATCH(Kind.ERROR),
  TRUST_CONFIG(Kind.ERROR),
  ENGINE_UNAVAILABLE(Kind.ERROR),
  ENGINE_ERROR(Kind.ERROR),
  POLICY_INVALID(Kind.ERROR),
  TARGET_UNREACHABLE(Kind.ERROR),
  SERVER_UNREACHABLE(Kind.ERROR),
  INTERNAL(Kind.ERROR);

  /** Whether a code is a negative verdict or an error that kept a verdict from being reached. */
  public enum Kind {
    REFUSAL,
    ERROR
  }

  private final Kind kind;

  ReasonCode(Kind kind) {
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
