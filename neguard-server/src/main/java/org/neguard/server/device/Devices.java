package org.neguard.server.device;

import java.security.PublicKey;
import java.security.cert.CertificateEncodingException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.neguard.api.WireTime;
import org.neguard.api.device.CertificateIssued;
import org.neguard.api.device.Device;
import org.neguard.api.device.EnrollRequest;
import org.neguard.api.device.Enrolled;
import org.neguard.api.device.EnrollmentToken;
import org.neguard.api.device.EnrollmentTokenRequest;
import org.neguard.api.device.InstalledPackage;
import org.neguard.measure.Sha256;
import org.neguard.server.DeviceListener;
import org.neguard.server.access.CurrentDevice;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.keys.ServerKeys;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Devices: enrollment tokens, enrollment, renewal, the list, disabling, and the admission of a
 * device request (SRC-1, OBJ-1). Every change and its audit row commit in one transaction; every
 * refusal rolls back whatever the transaction did and is recorded in its own (nothing changes on
 * a refusal, and no refusal goes unrecorded). Thread-safe.
 */
@Component
public final class Devices {
  static final Duration DEFAULT_TOKEN_TTL = Duration.ofMinutes(60);
  static final Duration MAX_TOKEN_TTL = Duration.ofMinutes(10_080);
  /**
   * The longest a certificate replaced by a renewal stays admitted when the device never uses
   * the new one: long enough for an NE to come back from a crash or a power cut and finish the
   * renewal, short enough that a stolen old key is not worth much (the usual end is the
   * device's next request, seconds after the renewal).
   */
  static final Duration RENEWAL_GRACE = Duration.ofHours(24);
  static final int MAX_INSTALLED = 256;
  static final int MAX_REASON = 2000;
  /** enrollment_tokens.labels: the labels joined by commas. */
  static final int MAX_TOKEN_LABELS = 2000;
  private static final Pattern PACKAGE_NAME = Pattern.compile("[A-Za-z0-9._+-]{1,128}");
  /** What a client is told for an unknown, spent or expired token: the audit row says which. */
  static final String TOKEN_REFUSED = "the enrollment token is unknown, already used or expired;"
      + " ask an admin or operator for a new one ('neguard device enroll-token')";

  private final JdbcClient jdbc;
  private final EnrollmentTokens tokens;
  private final DeviceCertificates certificates;
  private final ServerKeys keys;
  private final AuditLog audit;
  private final TransactionTemplate tx;
  private final DeviceListener listener;
  private final Clock clock = Clock.tickMillis(ZoneOffset.UTC);

  Devices(JdbcClient jdbc, EnrollmentTokens tokens, DeviceCertificates certificates,
      ServerKeys keys, AuditLog audit, PlatformTransactionManager transactions,
      DeviceListener listener) {
    this.jdbc = jdbc;
    this.tokens = tokens;
    this.certificates = certificates;
    this.keys = keys;
    this.audit = audit;
    this.tx = new TransactionTemplate(transactions);
    this.listener = listener;
  }

  /**
   * A refusal whose audit row says more than the client is told (an unknown, spent or expired
   * token all answer alike).
   */
  static final class Refusal extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient ApiException answer;
    final String detail;

    Refusal(ApiException answer, String detail) {
      super(detail);
      this.answer = answer;
      this.detail = detail;
    }
  }

  private static Refusal refuse(ReasonCode code, String message, String detail) {
    return new Refusal(ApiException.of(code, message), code + ": " + detail);
  }

  /**
   * Runs {@code work} in a transaction; a refusal inside rolls it all back and is recorded,
   * after the rollback, in its own row: {@code denied} for a refusal, {@code failure} for an
   * error such as bad input.
   */
  private <T> T change(String actor, String action, String target, Supplier<T> work) {
    try {
      return tx.execute(s -> work.get());
    } catch (Refusal r) {
      record(actor, action, target, r.answer, r.detail);
      throw r.answer;
    } catch (ApiException e) {
      record(actor, action, target, e, null);
      throw e;
    } catch (DuplicateKeyException e) {
      // A concurrent enrollment of the same id won: this one changed nothing.
      ApiException conflict = ApiException.of(ReasonCode.CONFLICT,
          target + " was enrolled at the same time by another request");
      record(actor, action, target, conflict, null);
      throw conflict;
    }
  }

  private void record(String actor, String action, String target, ApiException e,
      String detail) {
    Reason first = e.reasons().get(0);
    String why = detail != null ? detail : first.code() + ": " + first.message();
    audit.append(first.code().kind() == ReasonCode.Kind.REFUSAL
        ? AuditEvent.denied(actor, action, target, why)
        : AuditEvent.failure(actor, action, target, why));
  }

  // --- enrollment tokens ---------------------------------------------------------------------

  /** A new token; a null request is one with every default (unbound, 60 minutes). */
  EnrollmentToken createToken(String actor, EnrollmentTokenRequest given) {
    EnrollmentTokenRequest request =
        given != null ? given : new EnrollmentTokenRequest(null, null, null, null);
    return change(actor, "ENROLLMENT_TOKEN", "enrollment token", () -> {
      String deviceId = request.deviceId() == null ? null : Shapes.deviceId(request.deviceId());
      String neType = request.neType() == null ? null : Shapes.neType(request.neType());
      List<String> labels = Shapes.labels(request.labels());
      if (String.join(",", labels).length() > MAX_TOKEN_LABELS) {
        throw ApiException.badInput("the token's labels take more than " + MAX_TOKEN_LABELS
            + " characters together");
      }
      Duration ttl = request.ttlMinutes() == null ? DEFAULT_TOKEN_TTL
          : Duration.ofMinutes(request.ttlMinutes());
      if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TOKEN_TTL) > 0) {
        throw ApiException.badInput("ttlMinutes must be 1 to " + MAX_TOKEN_TTL.toMinutes()
            + ", not " + request.ttlMinutes());
      }
      if (deviceId != null && exists(deviceId)) {
        throw ApiException.of(ReasonCode.CONFLICT, "device " + deviceId
            + " is already enrolled; a token bound to it could never be used");
      }
      Instant now = clock.instant();
      EnrollmentTokens.Issued issued =
          tokens.create(actor, now, now.plus(ttl), deviceId, neType, labels);
      audit.append(AuditEvent.success(actor, "ENROLLMENT_TOKEN",
          "enrollment token " + issued.token().id(),
          "expires " + issued.token().expiresAt()
              + (deviceId == null ? "" : "; bound to device " + deviceId)
              + (neType == null ? "" : "; bound to NE type " + neType)
              + (labels.isEmpty() ? "" : "; labels " + String.join(",", labels))));
      ServerKeys.DeviceCa ca = keys.deviceCa();
      return new EnrollmentToken(issued.secret(), issued.token().id(),
          WireTime.of(issued.token().expiresAt()), deviceId, neType, labels,
          listener.url() == null ? null : listener.url().toString(),
          ServerKeys.pem(ca.certificate()), caSha256(ca));
    });
  }

  static String caSha256(ServerKeys.DeviceCa ca) {
    try {
      return Sha256.hex(ca.certificate().getEncoded());
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException("the device CA certificate cannot be encoded", e);
    }
  }

  // --- enrollment and renewal ----------------------------------------------------------------

  Enrolled enroll(EnrollRequest request) {
    if (request == null) {
      throw ApiException.badInput("give a body: {token, deviceId, neType, labels?, csr,"
          + " installed?}");
    }
    String claimed = request.deviceId() != null
        && Shapes.DEVICE_ID.matcher(request.deviceId()).matches() ? request.deviceId() : "?";
    String actor = EnrollmentTokens.idOf(request.token()).map(id -> "token " + id)
        .orElse("anonymous");
    Enrolled enrolled = change(actor, "ENROLL", "device " + claimed, () -> {
      String deviceId = Shapes.deviceId(request.deviceId());
      String neType = Shapes.neType(request.neType());
      List<String> declared = Shapes.labels(request.labels());
      List<InstalledPackage> installed = installed(request.installed());
      Instant now = clock.instant();
      EnrollmentTokens.Token token = tokens.find(request.token()).orElseThrow(() -> refuse(
          ReasonCode.NOT_AUTHENTICATED, TOKEN_REFUSED,
          EnrollmentTokens.idOf(request.token()).isPresent()
              ? "no enrollment token with this id and secret"
              : "not an enrollment token (net_<16 hex>_<64 hex>)"));
      String t = "token " + token.id();
      if (token.usedAt() != null) {
        return askedAgain(actor, request, token, deviceId, now);
      }
      if (!token.expiresAt().isAfter(now)) {
        throw refuse(ReasonCode.NOT_AUTHENTICATED, TOKEN_REFUSED, t + " expired at "
            + token.expiresAt());
      }
      if (token.deviceId() != null && !token.deviceId().equals(deviceId)) {
        throw refuse(ReasonCode.NOT_AUTHORIZED, "this enrollment token is bound to another"
            + " device id", t + " is bound to device " + token.deviceId() + ", not " + deviceId);
      }
      if (token.neType() != null && !token.neType().equals(neType)) {
        throw refuse(ReasonCode.NOT_AUTHORIZED, "this enrollment token is bound to the NE type "
            + token.neType() + ", not " + neType, t + " is bound to NE type " + token.neType()
            + ", not " + neType);
      }
      List<String> unbound = declared.stream().filter(l -> !token.labels().contains(l)).toList();
      if (!unbound.isEmpty()) {
        // Labels select a deployment's targets: a device naming its own would put itself into
        // deployments meant for others. They come from the token, which an operator wrote.
        throw refuse(ReasonCode.NOT_AUTHORIZED, "labels are set by the enrollment token, which"
            + " does not carry " + String.join(", ", unbound) + "; ask for a token with"
            + " --label", t + " does not carry the labels " + String.join(", ", unbound)
            + " the device declared");
      }
      if (exists(deviceId)) {
        // This request may be the agent's retry of one that committed since the token was read.
        EnrollmentTokens.Token spent = tokens.find(request.token()).orElse(token);
        if (spent.usedAt() != null && deviceId.equals(spent.usedByDevice())) {
          return askedAgain(actor, request, spent, deviceId, now);
        }
        throw ApiException.of(ReasonCode.CONFLICT, "device " + deviceId + " is already"
            + " enrolled; a device id is enrolled once (disable it and enroll another id)");
      }
      // The CSR only after the token: a caller without one spends no signature check.
      PublicKey key = DeviceCertificates.checkCsr(request.csr(), deviceId);
      if (!tokens.spend(token.id(), deviceId, now)) {
        // Spent by a request that held the token's row till now: this one's first attempt,
        // if this is the agent's retry of an enrollment whose answer it has not had yet.
        EnrollmentTokens.Token spent = tokens.find(request.token()).orElse(token);
        if (spent.usedAt() != null && deviceId.equals(spent.usedByDevice())) {
          return askedAgain(actor, request, spent, deviceId, now);
        }
        throw refuse(ReasonCode.NOT_AUTHENTICATED, TOKEN_REFUSED, t
            + " was spent by a concurrent enrollment, or expired just now");
      }
      DeviceCertificates.Issued cert = certificates.issue(deviceId, key, now);
      // Attested at once (first contact, REC-3): unknown until its evidence matches the signed
      // RIMs of what it says it runs.
      jdbc.sql("INSERT INTO devices (id, ne_type, trust_state, enrolled_at, enrollment_token,"
              + " cert_serial, cert_not_after, cert_key_sha256, next_attestation_at,"
              + " trust_changed_at, trust_reason) VALUES (?, ?, 'unknown', ?, ?, ?, ?, ?, ?, ?,"
              + " ?)")
          .params(deviceId, neType, utc(now), token.id(), cert.serial(), utc(cert.notAfter()),
              keySha256(key), utc(now), utc(now), "enrolled; awaiting its first attestation")
          .update();
      List<String> labels = token.labels();
      for (String l : labels) {
        jdbc.sql("INSERT INTO device_labels (device_id, label) VALUES (?, ?)")
            .params(deviceId, l).update();
      }
      for (InstalledPackage p : installed) {
        jdbc.sql("INSERT INTO device_packages (device_id, name, version, security_version)"
                + " VALUES (?, ?, ?, ?)")
            .params(deviceId, p.name(), p.version(), p.securityVersion()).update();
      }
      insertCertificate(cert, deviceId, now);
      audit.append(AuditEvent.success(actor, "ENROLL", "device " + deviceId,
          "enrolled with " + t + " (created by " + token.createdBy() + "); NE type " + neType
              + "; labels " + String.join(",", labels) + "; certificate " + cert.serial()
              + " until " + cert.notAfter()));
      ServerKeys.DeviceCa ca = keys.deviceCa();
      return new Enrolled(deviceId, ServerKeys.pem(cert.certificate()),
          ServerKeys.pem(ca.certificate()), WireTime.of(cert.notAfter()), null);
    });
    // After the commit: the first order key may be created now, and a replica racing to create
    // it must not abort the enrollment's transaction (PostgreSQL aborts it on the lost insert).
    return new Enrolled(enrolled.deviceId(), enrolled.certificate(), enrolled.caCertificate(),
        enrolled.notAfter(), keys.orderKeys());
  }

  /**
   * Renews the certificate the device authenticated with, for the key of {@code csr}.
   *
   * <p>Crash-safe (docs/DEPLOYMENTS.md, "Renewal"): the replaced certificate is not revoked here
   * but kept as the device's previous one, admitted until the device first authenticates with
   * the new certificate ({@link #admit}, which then revokes it) or until {@link #RENEWAL_GRACE}
   * has passed (never past its own end), whichever comes first. A device that lost the answer
   * (a crash, a full disk, a power cut before it saved the certificate) still authenticates
   * with the previous certificate and renews again ({@link #renewAgain}): only for the key the
   * new certificate certifies (the agent reuses its pending key), which is certified again; the
   * grace keeps its end. Another key is refused, so that a stolen previous key gets no
   * certificate of its own and lives no longer than the grace. A disable revokes both at once.
   */
  CertificateIssued renew(CurrentDevice device, String csr) {
    String actor = "device " + device.deviceId();
    return change(actor, "RENEW_CERTIFICATE", actor, () -> {
      PublicKey key = DeviceCertificates.checkCsr(csr, device.deviceId());
      // The device's row lock, held to the commit, orders this renewal with a disable: one that
      // committed first is seen here; one that comes later waits, then revokes what this issued.
      Instant disabledAt = jdbc.sql("SELECT disabled_at FROM devices WHERE id = ? FOR UPDATE")
          .param(device.deviceId())
          .query((rs, i) -> Optional.ofNullable(at(rs.getObject(1, OffsetDateTime.class))))
          .single().orElse(null);
      if (disabledAt != null) {
        throw refuse(ReasonCode.DEVICE_DISABLED, "device " + device.deviceId() + " is disabled;"
            + " it is refused until re-enrolled under a new id", "device disabled at "
            + disabledAt + " while its renewal was under way");
      }
      Instant now = clock.instant();
      record Current(Instant issued, Instant notAfter) {}
      Current current = jdbc.sql("SELECT issued_at, not_after FROM device_certificates"
              + " WHERE serial = ?")
          .param(device.certificateSerial())
          .query((rs, i) -> new Current(at(rs.getObject(1, OffsetDateTime.class)),
              at(rs.getObject(2, OffsetDateTime.class))))
          .optional().orElseThrow(() -> refuse(ReasonCode.NOT_AUTHENTICATED, "this certificate"
              + " is not known", "certificate " + device.certificateSerial() + " not found"));
      record Serials(String current, String previous, String currentKey, Instant graceEnd) {}
      Serials serials = jdbc.sql("SELECT cert_serial, prev_cert_serial, cert_key_sha256,"
              + " prev_cert_until FROM devices WHERE id = ?")
          .param(device.deviceId())
          .query((rs, i) -> new Serials(rs.getString(1), rs.getString(2), rs.getString(3),
              at(rs.getObject(4, OffsetDateTime.class)))).single();
      if (device.certificateSerial().equals(serials.previous())) {
        if (!keySha256(key).equals(serials.currentKey())) {
          // A device that lost the answer sends its pending key again: another key is someone
          // else holding the previous key (or a device that lost its pending key, which the
          // grace cannot save either way).
          throw refuse(ReasonCode.NOT_AUTHORIZED, "a renewal with the certificate a renewal"
              + " replaced is taken only for the key of the certificate that renewal issued"
              + " (the agent's pending key); a device that lost that key needs a new enrollment"
              + " (an admin disables this id, an operator creates a token, the device enrolls"
              + " under a new id)", "certificate " + device.certificateSerial() + " (in its"
              + " grace until " + serials.graceEnd() + ") asked to certify key sha256 "
              + keySha256(key) + ", not the key sha256 " + serials.currentKey() + " of the"
              + " unused certificate " + serials.current() + ": refused, a stolen previous"
              + " key?");
        }
        return renewAgain(device, key, serials.current(), now);
      }
      if (!ServerKeys.renewalDue(current.issued(), current.notAfter(), now)) {
        Duration lifetime = Duration.between(current.issued(), current.notAfter());
        throw ApiException.of(ReasonCode.CONFLICT, "certificate " + device.certificateSerial()
            + " may be renewed from " + current.notAfter().minus(lifetime.dividedBy(3))
            + ", in the last third of its lifetime; the poll says when (renewCertificate)");
      }
      DeviceCertificates.Issued cert = certificates.issue(device.deviceId(), key, now);
      Instant graceEnd = now.plus(RENEWAL_GRACE);
      if (current.notAfter().isBefore(graceEnd)) {
        graceEnd = current.notAfter();
      }
      // Conditional on the serial the device authenticated with: of two renewals racing with
      // one certificate, one wins; the other finds it no longer current.
      int updated = jdbc.sql("UPDATE devices SET cert_serial = ?, cert_not_after = ?,"
              + " cert_key_sha256 = ?, prev_cert_serial = ?, prev_cert_until = ?"
              + " WHERE id = ? AND cert_serial = ? AND disabled_at IS NULL")
          .params(cert.serial(), utc(cert.notAfter()), keySha256(key),
              device.certificateSerial(), utc(graceEnd), device.deviceId(),
              device.certificateSerial())
          .update();
      if (updated != 1) {
        throw refuse(ReasonCode.NOT_AUTHENTICATED, "this certificate is no longer the device's"
            + " current one", "certificate " + device.certificateSerial()
            + " was replaced or revoked by a concurrent request");
      }
      insertCertificate(cert, device.deviceId(), now);
      audit.append(AuditEvent.success(actor, "RENEW_CERTIFICATE", actor,
          "certificate " + cert.serial() + " until " + cert.notAfter() + " issued; "
              + device.certificateSerial() + " admitted until the first use of the new one,"
              + " at the latest " + graceEnd));
      return new CertificateIssued(ServerKeys.pem(cert.certificate()), cert.serial(),
          WireTime.of(cert.notAfter()));
    });
  }

  /**
   * A renewal by the previous certificate, in its grace, for the key of {@code unused} (checked
   * by the caller): the device never received (or never saved) the certificate of its first
   * renewal. The same key is certified again, {@code unused} revoked; the grace keeps its end.
   */
  private CertificateIssued renewAgain(CurrentDevice device, PublicKey key, String unused,
      Instant now) {
    String actor = "device " + device.deviceId();
    DeviceCertificates.Issued cert = certificates.issue(device.deviceId(), key, now);
    int updated = jdbc.sql("UPDATE devices SET cert_serial = ?, cert_not_after = ?"
            + " WHERE id = ? AND cert_serial = ? AND prev_cert_serial = ? AND disabled_at IS NULL")
        .params(cert.serial(), utc(cert.notAfter()), device.deviceId(), unused,
            device.certificateSerial())
        .update();
    if (updated != 1) {
      throw refuse(ReasonCode.NOT_AUTHENTICATED, "this certificate is no longer admitted",
          "certificate " + device.certificateSerial() + ": its renewal was completed or"
              + " replaced by a concurrent request");
    }
    jdbc.sql("UPDATE device_certificates SET revoked_at = ?,"
            + " revocation_reason = 'replaced before use' WHERE serial = ? AND revoked_at IS NULL")
        .params(utc(now), unused).update();
    insertCertificate(cert, device.deviceId(), now);
    audit.append(AuditEvent.success(actor, "RENEW_CERTIFICATE", actor,
        "renewed again with " + device.certificateSerial() + " (the answer to its renewal was"
            + " lost): the key of " + unused + " certified again, certificate " + cert.serial() + " until " + cert.notAfter() + " issued; "
            + unused + " revoked (replaced before use); the grace of "
            + device.certificateSerial() + " keeps its end"));
    return new CertificateIssued(ServerKeys.pem(cert.certificate()), cert.serial(),
        WireTime.of(cert.notAfter()));
  }

  /** SHA-256 (hex) of a public key's SubjectPublicKeyInfo DER: {@code devices.cert_key_sha256}. */
  private static String keySha256(PublicKey key) {
    return Sha256.hex(key.getEncoded());
  }

  /** Why a certificate was revoked when its enrollment was answered again. */
  static final String ENROLLED_AGAIN = "enrollment answered again";

  /**
   * An enrollment with a spent {@code token} (read in this transaction): answered again for a
   * device that lost the answer (a connection cut after the commit), else refused as any spent
   * token is, the audit row saying why it was not answered again. Only the caller that holds
   * the token (its secret verified) gets here, and only then is the CSR's signature checked.
   * Answered again when the token was spent by {@code deviceId} and is still valid, the CSR is
   * well formed and its key is the one the device enrolled with (the CSR proves the caller
   * holds it), and the device is not disabled and has nothing but what its enrollment gave it:
   * its current certificate, and certificates revoked by this rule (never renewed). The same key
   * is certified again and the certificate before revoked; labels, NE type and installed
   * packages stay as the first enrollment recorded them.
   *
   * @throws Refusal 401 {@link #TOKEN_REFUSED}, as for any spent token
   */
  private Enrolled askedAgain(String actor, EnrollRequest request, EnrollmentTokens.Token token,
      String deviceId, Instant now) {
    String t = "token " + token.id();
    String spent = t + " was already used by device " + token.usedByDevice() + " at "
        + token.usedAt();
    if (!deviceId.equals(token.usedByDevice())) {
      throw refuse(ReasonCode.NOT_AUTHENTICATED, TOKEN_REFUSED, spent);
    }
    String whyNot;
    if (!token.expiresAt().isAfter(now)) {
      whyNot = "the token expired at " + token.expiresAt();
    } else {
      try {
        PublicKey key = DeviceCertificates.checkCsr(request.csr(), deviceId);
        Again again = enrollAgain(deviceId, key, now);
        DeviceCertificates.Issued cert = again.cert();
        if (cert != null) {
          audit.append(AuditEvent.success(actor, "ENROLL", "device " + deviceId,
              "enrolled again with " + t + " (the answer to its enrollment was lost): the key"
                  + " it enrolled with certified again, certificate " + cert.serial() + " until "
                  + cert.notAfter() + "; the one before revoked (" + ENROLLED_AGAIN + ")"));
          return new Enrolled(deviceId, ServerKeys.pem(cert.certificate()),
              ServerKeys.pem(keys.deviceCa().certificate()), WireTime.of(cert.notAfter()), null);
        }
        whyNot = again.whyNot();
      } catch (ApiException e) {
        // Refused as any spent token: a holder of a spent token learns nothing more from a bad
        // CSR (not which device the token enrolled).
        whyNot = "its CSR was refused: " + e.getMessage();
      }
    }
    throw refuse(ReasonCode.NOT_AUTHENTICATED, TOKEN_REFUSED, spent + "; not answered again: "
        + whyNot);
  }

  /** What {@link #enrollAgain} did: the certificate it issued, or why it issued none. */
  private record Again(DeviceCertificates.Issued cert, String whyNot) {}

  /**
   * Certifies {@code key} again for {@code deviceId} and revokes the certificate before, under
   * the device's row lock (held to the commit: two such requests, on two replicas too, take
   * turns, and the second certifies again what the first issued), when the device may ask again
   * ({@link #askedAgain}).
   */
  private Again enrollAgain(String deviceId, PublicKey key, Instant now) {
    record Enrollment(String serial, String keySha256, boolean disabled) {}
    Optional<Enrollment> row = jdbc.sql("SELECT cert_serial, cert_key_sha256, disabled_at"
            + " FROM devices WHERE id = ? FOR UPDATE")
        .param(deviceId)
        .query((rs, i) -> new Enrollment(rs.getString(1), rs.getString(2),
            rs.getObject(3) != null))
        .optional();
    if (row.isEmpty()) {
      return new Again(null, "no device " + deviceId);
    }
    if (row.get().disabled()) {
      return new Again(null, "the device is disabled");
    }
    if (!keySha256(key).equals(row.get().keySha256())) {
      return new Again(null, "the CSR's key sha256 " + keySha256(key) + " is not the enrolled"
          + " key sha256 " + row.get().keySha256() + ": a leaked token?");
    }
    // A pending renewal leaves the certificate before unrevoked; a completed one revokes it
    // (superseded), a renewal asked again its unused one (replaced before use).
    long other = jdbc.sql("SELECT COUNT(*) FROM device_certificates WHERE device_id = ?"
            + " AND serial <> ? AND (revoked_at IS NULL OR revocation_reason IS NULL"
            + " OR revocation_reason <> ?)")
        .params(deviceId, row.get().serial(), ENROLLED_AGAIN)
        .query(Long.class).single();
    if (other != 0) {
      return new Again(null, "the device renewed its certificate since (it had its answer)");
    }
    DeviceCertificates.Issued cert = certificates.issue(deviceId, key, now);
    jdbc.sql("UPDATE devices SET cert_serial = ?, cert_not_after = ? WHERE id = ?")
        .params(cert.serial(), utc(cert.notAfter()), deviceId).update();
    jdbc.sql("UPDATE device_certificates SET revoked_at = ?, revocation_reason = ?"
            + " WHERE serial = ? AND revoked_at IS NULL")
        .params(utc(now), ENROLLED_AGAIN, row.get().serial()).update();
    insertCertificate(cert, deviceId, now);
    return new Again(cert, null);
  }

  private void insertCertificate(DeviceCertificates.Issued cert, String deviceId, Instant now) {
    jdbc.sql("INSERT INTO device_certificates (serial, device_id, issued_at, not_after)"
            + " VALUES (?, ?, ?, ?)")
        .params(cert.serial(), deviceId, utc(now), utc(cert.notAfter())).update();
  }

  private static List<InstalledPackage> installed(List<InstalledPackage> list) {
    if (list == null) {
      return List.of();
    }
    if (list.size() > MAX_INSTALLED) {
      throw ApiException.badInput("at most " + MAX_INSTALLED + " installed packages");
    }
    Set<String> names = new HashSet<>();
    for (InstalledPackage p : list) {
      if (p == null || p.name() == null || !PACKAGE_NAME.matcher(p.name()).matches()
          || p.version() == null || !PACKAGE_NAME.matcher(p.version()).matches()
          || p.securityVersion() < 0) {
        throw ApiException.badInput("an installed package needs a name and version of 1 to 128"
            + " of A-Z a-z 0-9 . _ + - and a securityVersion of 0 or more: " + p);
      }
      if (!names.add(p.name())) {
        throw ApiException.badInput("package " + p.name() + " is listed twice in installed");
      }
    }
    return List.copyOf(list);
  }

  // --- the list, disabling -------------------------------------------------------------------

  private boolean exists(String deviceId) {
    return jdbc.sql("SELECT COUNT(*) FROM devices WHERE id = ?").param(deviceId)
        .query(Long.class).single() > 0;
  }

  /** Devices, by id; {@code label} and {@code neType} filter when not null. */
  public List<Device> list(String label, String neType) {
    StringBuilder sql = new StringBuilder("SELECT * FROM devices d WHERE 1 = 1");
    List<Object> params = new ArrayList<>();
    if (neType != null) {
      sql.append(" AND d.ne_type = ?");
      params.add(Shapes.neType(neType));
    }
    if (label != null) {
      sql.append(" AND EXISTS (SELECT 1 FROM device_labels l WHERE l.device_id = d.id"
          + " AND l.label = ?)");
      params.add(Shapes.labels(List.of(label)).get(0));
    }
    sql.append(" ORDER BY d.id");
    return read(jdbc.sql(sql.toString()).params(params), null);
  }

  /** @throws ApiException 404 for an unknown id */
  public Device get(String id) {
    List<Device> one = read(jdbc.sql("SELECT * FROM devices d WHERE d.id = ?").param(id), id);
    if (one.isEmpty()) {
      throw ApiException.notFound("no device " + Shapes.quoted(id) + "; 'neguard device list'"
          + " shows the enrolled ones");
    }
    return one.get(0);
  }

  private record Row(String id, String neType, String trustState, Instant enrolledAt,
      Instant lastSeen, String serial, Instant notAfter, Instant disabledAt,
      String disabledBy) {}

  /** The devices {@code spec} selects, with their labels and packages (three queries). */
  private List<Device> read(JdbcClient.StatementSpec spec, String onlyId) {
    List<Row> rows = spec.query((rs, i) -> new Row(rs.getString("id"), rs.getString("ne_type"),
        rs.getString("trust_state"), at(rs.getObject("enrolled_at", OffsetDateTime.class)),
        at(rs.getObject("last_seen", OffsetDateTime.class)), rs.getString("cert_serial"),
        at(rs.getObject("cert_not_after", OffsetDateTime.class)),
        at(rs.getObject("disabled_at", OffsetDateTime.class)), rs.getString("disabled_by")))
        .list();
    if (rows.isEmpty()) {
      return List.of();
    }
    String where = onlyId == null ? "" : " WHERE device_id = ?";
    Map<String, List<String>> labels = new HashMap<>();
    Map<String, List<InstalledPackage>> packages = new HashMap<>();
    JdbcClient.StatementSpec l = jdbc.sql("SELECT device_id, label FROM device_labels" + where
        + " ORDER BY device_id, label");
    JdbcClient.StatementSpec p = jdbc.sql("SELECT device_id, name, version, security_version"
        + " FROM device_packages" + where + " ORDER BY device_id, name");
    if (onlyId != null) {
      l = l.param(onlyId);
      p = p.param(onlyId);
    }
    l.query(rs -> {
      labels.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2));
    });
    p.query(rs -> {
      packages.computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
          .add(new InstalledPackage(rs.getString(2), rs.getString(3), rs.getLong(4)));
    });
    return rows.stream().map(r -> new Device(r.id(), r.neType(),
        labels.getOrDefault(r.id(), List.of()), packages.getOrDefault(r.id(), List.of()),
        r.trustState(), WireTime.of(r.enrolledAt()), WireTime.of(r.lastSeen()), r.serial(),
        WireTime.of(r.notAfter()), WireTime.of(r.disabledAt()), r.disabledBy())).toList();
  }

  /**
   * Disables a device: it is refused from its next request on (the admission reads the
   * database every time), its certificate is revoked, its trust state is {@code disabled}.
   */
  public Device disable(String actor, String id, String reason) {
    String target = "device " + Shapes.quoted(id);
    change(actor, "DISABLE_DEVICE", target, () -> {
      if (reason != null && reason.length() > MAX_REASON) {
        throw ApiException.badInput("reason is longer than " + MAX_REASON + " characters");
      }
      record Lock(Instant disabledAt, String disabledBy) {}
      Lock row = jdbc.sql("SELECT disabled_at, disabled_by FROM devices WHERE id = ? FOR UPDATE")
          .param(id)
          .query((rs, i) -> new Lock(at(rs.getObject(1, OffsetDateTime.class)),
              rs.getString(2)))
          .optional()
          .orElseThrow(() -> ApiException.notFound("no device " + Shapes.quoted(id)));
      if (row.disabledAt() != null) {
        throw ApiException.of(ReasonCode.CONFLICT, "device " + id + " was already disabled at "
            + row.disabledAt() + " by " + row.disabledBy());
      }
      Instant now = clock.instant();
      // Disabled for good: no next attestation either, so the scheduler's read of due devices
      // (in next_attestation_at order) does not step over the disabled ones every round.
      jdbc.sql("UPDATE devices SET disabled_at = ?, disabled_by = ?, trust_state = 'disabled',"
              + " next_attestation_at = NULL WHERE id = ?")
          .params(utc(now), actor, id).update();
      int revoked = jdbc.sql("UPDATE device_certificates SET revoked_at = ?,"
              + " revocation_reason = 'device disabled' WHERE device_id = ? AND revoked_at IS NULL")
          .params(utc(now), id).update();
      audit.append(AuditEvent.success(actor, "DISABLE_DEVICE", "device " + id,
          "disabled; " + revoked + " certificate(s) revoked"
              + (reason == null || reason.isBlank() ? "" : "; reason: " + reason)));
      return null;
    });
    return get(id);
  }

  // --- admission -----------------------------------------------------------------------------

  /**
   * Whether the device named {@code deviceId} may make a request with the certificate of
   * {@code serial} (which TLS already chained to the device CA): the device exists and is not
   * disabled, and the serial is its current one and not revoked, or its previous one (replaced
   * by a renewal, {@link #renew}) while the device has not used the current one and the grace
   * has not ended. The first request with the current certificate ends the previous one's
   * grace: it is revoked ({@code superseded}) then, in one transaction with its audit row.
   *
   * @return null when admitted, else the refusal (the caller answers and records it)
   */
  Refusal admit(String deviceId, String serial) {
    return admit(deviceId, serial, null).refused();
  }

  /**
   * Values a caller reads in the admission's own statement, so that a request pays one round
   * trip to the database rather than one per question (the poll's 304 path: the device, its
   * certificate, its live order and its open challenge in one). In scope in {@link #columns}
   * and {@link #joins}: {@code dev}, the device's row, and {@code crt}, the row of the
   * certificate presented when it is this device's (else nulls). Only read: what is joined
   * decides nothing about the admission.
   */
  public interface Joined<T> {
    /** The select list's tail, each column after a comma. */
    String columns();

    /** LEFT JOINs only, so that the device's row is there whatever they find. */
    String joins();

    /** The parameters of {@link #joins}, in order, for {@code deviceId}. */
    List<Object> params(String deviceId);

    /** The joined values of the device's row, the first in column {@code first}. */
    T read(java.sql.ResultSet rs, int first) throws java.sql.SQLException;
  }

  /** An admission: {@code refused} null when admitted, {@code joined} then what was read. */
  record Admission<T>(Refusal refused, T joined) {}

  /** As {@link #admit(String, String)}, reading {@code joined} (may be null) in the same statement. */
  <T> Admission<T> admit(String deviceId, String serial, Joined<T> joined) {
    record Row<J>(Columns columns, J joined) {}
    List<Object> params = new ArrayList<>();
    params.add(serial);
    if (joined != null) {
      params.addAll(joined.params(deviceId));
    }
    params.add(deviceId);
    Row<T> a = jdbc.sql("SELECT dev.cert_serial, dev.disabled_at, crt.serial, crt.revoked_at,"
            + " dev.prev_cert_serial, dev.prev_cert_until"
            + (joined == null ? "" : joined.columns())
            + " FROM devices dev LEFT JOIN device_certificates crt ON crt.serial = ?"
            + " AND crt.device_id = dev.id" + (joined == null ? "" : joined.joins())
            + " WHERE dev.id = ?")
        .params(params)
        .query((rs, i) -> new Row<>(new Columns(rs.getString(1),
            at(rs.getObject(2, OffsetDateTime.class)), rs.getString(3),
            at(rs.getObject(4, OffsetDateTime.class)), rs.getString(5),
            at(rs.getObject(6, OffsetDateTime.class))),
            joined == null ? null : joined.read(rs, 7)))
        .optional().orElse(null);
    Refusal refused = decide(deviceId, serial, a == null ? null : a.columns());
    return new Admission<>(refused, refused == null ? a.joined() : null);
  }

  /** The admission's columns of the device's row. */
  private record Columns(String current, Instant disabledAt, String known, Instant revokedAt,
      String previous, Instant previousUntil) {}

  private Refusal decide(String deviceId, String serial, Columns a) {
    String cert = "certificate " + serial;
    if (a == null) {
      return refuse(ReasonCode.NOT_AUTHENTICATED, "no device " + deviceId + " is enrolled",
          cert + " names device " + deviceId + ", which is not enrolled");
    }
    if (a.disabledAt() != null) {
      return refuse(ReasonCode.DEVICE_DISABLED, "device " + deviceId + " is disabled; it is"
          + " refused until re-enrolled under a new id", "device disabled at " + a.disabledAt());
    }
    boolean previous = serial.equals(a.previous()) && a.known() != null;
    if (!previous && (!serial.equals(a.current()) || a.known() == null)) {
      return refuse(ReasonCode.NOT_AUTHENTICATED, "this certificate is not the device's current"
          + " one (renewed since?)", cert + " is not current (" + a.current() + " is)");
    }
    if (a.revokedAt() != null) {
      return refuse(ReasonCode.NOT_AUTHENTICATED, "this certificate was revoked",
          cert + " revoked at " + a.revokedAt());
    }
    if (previous) {
      if (a.previousUntil() == null || !clock.instant().isBefore(a.previousUntil())) {
        return refuse(ReasonCode.NOT_AUTHENTICATED, "this certificate was replaced by a renewal"
            + " whose certificate the device never used, and its grace ended at "
            + a.previousUntil() + "; the device needs a new enrollment (an admin disables this"
            + " id, an operator creates a token, the device enrolls under a new id)", cert
            + " superseded by " + a.current() + ", grace ended at " + a.previousUntil());
      }
      return null;
    }
    if (a.previous() != null) {
      endGrace(deviceId, serial, a.previous());
    }
    return null;
  }

  /** The renewed certificate's first use: its predecessor is revoked now, not at grace's end. */
  private void endGrace(String deviceId, String serial, String previous) {
    String actor = "device " + deviceId;
    tx.executeWithoutResult(s -> {
      // Conditional: of two first requests on two replicas, one revokes and audits.
      int updated = jdbc.sql("UPDATE devices SET prev_cert_serial = NULL, prev_cert_until = NULL"
              + " WHERE id = ? AND cert_serial = ? AND prev_cert_serial = ?")
          .params(deviceId, serial, previous).update();
      if (updated != 1) {
        return;
      }
      jdbc.sql("UPDATE device_certificates SET revoked_at = ?, revocation_reason = 'superseded'"
              + " WHERE serial = ? AND revoked_at IS NULL")
          .params(utc(clock.instant()), previous).update();
      audit.append(AuditEvent.success(actor, "RENEW_CERTIFICATE", actor, "certificate " + serial
          + " used for the first time; " + previous + " revoked (superseded)"));
    });
  }

  static OffsetDateTime utc(Instant i) {
    return EnrollmentTokens.utc(i);
  }

  static Instant at(OffsetDateTime t) {
    return EnrollmentTokens.instant(t);
  }
}
