package org.neguard.server.tpm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.neguard.api.WireTime;
import org.neguard.api.attest.TpmActivation;
import org.neguard.api.attest.TpmBound;
import org.neguard.api.attest.TpmCredential;
import org.neguard.api.attest.TpmCredentialRequest;
import org.neguard.attest.Credential;
import org.neguard.attest.EkCertificate;
import org.neguard.attest.TpmPublic;
import org.neguard.measure.Sha256;
import org.neguard.server.ServerConfig;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Binding a device's TPM attestation key (docs/MEASUREMENT.md, "Binding the attestation key to
 * the TPM"), in two requests of the device:
 * <ol>
 *   <li>credential: the EK and AK public areas, read strictly in Java ({@link TpmPublic}); a
 *       credential ({@link Credential#make}) for the AK's name, computed here, around a fresh
 *       32-byte secret, of which only the SHA-256 is stored ({@code tpm_challenges}, one per
 *       device, for {@link #CREDENTIAL_TTL});
 *   <li>activate: the secret back, compared in constant time; the challenge is spent by the
 *       first attempt, right or wrong, so a secret cannot be guessed in many tries; a right one
 *       binds the AK ({@code device_tpm_bindings}) with the configured PCR
 *       ({@code attest.tpmPcr}, 14 by default).
 * </ol>
 * With EK trust anchors configured ({@code attest.ekTrustAnchors}) the credential step first
 * checks the EK's certificate ({@link EkCertificate}); without, the EK is bound UNVERIFIED and
 * the binding says so.
 * A bound device cannot bind another key by itself (CONFLICT): root malware on the NE could
 * otherwise replace the TPM's key by a software key and sign whatever it likes. An operator
 * releases the binding ({@link #release}). One TPM (its EK) is bound to one device only. Every
 * step leaves an audit row. Thread-safe; the device's row is locked for each step, so replicas
 * sharing one database agree.
 */
@Component
final class TpmEnrollments {
  static final Duration CREDENTIAL_TTL = Duration.ofMinutes(5);
  /** base64 of a public area of at most 1 KiB ({@link TpmPublic}), and of a 32-byte secret. */
  private static final int MAX_PUBLIC_BASE64 = 1400;
  private static final int MAX_SECRET_BASE64 = 88;

  private final JdbcClient jdbc;
  private final AuditLog audit;
  /** The PCR bound (attest.tpmPcr): non-resettable, 14 by default. */
  private final int pcr;
  /** The TPM manufacturers' CAs (attest.ekTrustAnchors); empty: EKs are taken unverified. */
  private final List<X509Certificate> ekAnchors;
  private final TransactionTemplate tx;
  private final SecureRandom random = new SecureRandom();
  private final Clock clock = Clock.tickMillis(ZoneOffset.UTC);

  TpmEnrollments(JdbcClient jdbc, AuditLog audit, PlatformTransactionManager transactions,
      ServerConfig config) {
    this.jdbc = jdbc;
    this.audit = audit;
    this.pcr = config.attest().tpmPcr();
    this.ekAnchors = anchors(config.attest().ekTrustAnchors());
    this.tx = new TransactionTemplate(transactions);
  }

  /** Reads the EK trust anchors' PEM files once, at start: a bad file stops the server. */
  private static List<X509Certificate> anchors(List<Path> files) {
    List<X509Certificate> out = new ArrayList<>();
    for (Path f : files) {
      try (InputStream in = Files.newInputStream(f)) {
        for (java.security.cert.Certificate c : CertificateFactory.getInstance("X.509")
            .generateCertificates(in)) {
          out.add((X509Certificate) c);
        }
      } catch (IOException | CertificateException e) {
        throw new IllegalArgumentException("attest.ekTrustAnchors: " + f + " is not readable"
            + " PEM certificates: " + e.getMessage(), e);
      }
    }
    if (!files.isEmpty() && out.stream().noneMatch(c -> c.getSubjectX500Principal()
        .equals(c.getIssuerX500Principal()))) {
      throw new IllegalArgumentException("attest.ekTrustAnchors " + files + " hold no"
          + " self-signed (root) CA certificate");
    }
    return List.copyOf(out);
  }

  static String actor(String deviceId) {
    return "device:" + deviceId;
  }

  static String target(String deviceId) {
    return "tpm of device " + deviceId;
  }

  /** Makes a credential for the AK the device names, under its EK. */
  TpmCredential credential(String deviceId, TpmCredentialRequest request) {
    return change(actor(deviceId), "TPM_CREDENTIAL", target(deviceId), () -> {
      if (request == null) {
        throw ApiException.badInput("give a body: {ekPublic, akPublic}, each a TPM2B_PUBLIC in"
            + " base64 (tpm2_createek -u, tpm2_createak -u)");
      }
      byte[] ekBytes = base64(request.ekPublic(), "ekPublic", MAX_PUBLIC_BASE64);
      byte[] akBytes = base64(request.akPublic(), "akPublic", MAX_PUBLIC_BASE64);
      TpmPublic ek;
      TpmPublic ak;
      try {
        ek = TpmPublic.endorsementKey(ekBytes);
        ak = TpmPublic.attestationKey(akBytes);
      } catch (RefusalException e) {
        throw ApiException.from(e);
      }
      String ekTrust = ekTrust(request.ekCertificate(), ek);
      lockDevice(deviceId);
      refuseIfBound(deviceId);
      String ekSha256 = Sha256.hex(ekBytes);
      refuseIfTpmBoundElsewhere(deviceId, ekSha256);
      byte[] secret = new byte[32];
      random.nextBytes(secret);
      byte[] credential = Credential.make(ek, ak.name(), secret, random);
      Instant expires = clock.instant().plus(CREDENTIAL_TTL);
      jdbc.sql("DELETE FROM tpm_challenges WHERE device_id = ?").param(deviceId).update();
      jdbc.sql("INSERT INTO tpm_challenges (device_id, ek_public, ak_public, secret_sha256,"
              + " expires_at, ek_trust) VALUES (?, ?, ?, ?, ?, ?)")
          .params(deviceId, ekBytes, akBytes, Sha256.hex(secret), utc(expires), ekTrust)
          .update();
      audit.append(AuditEvent.success(actor(deviceId), "TPM_CREDENTIAL", target(deviceId),
          "credential made for AK " + HexFormat.of().formatHex(ak.name()) + " under EK sha256 "
              + ekSha256 + " (" + describe(ekTrust) + "), until " + expires));
      return new TpmCredential(Base64.getEncoder().encodeToString(credential),
          WireTime.of(expires));
    });
  }

  /**
   * CERTIFIED when the EK's certificate chains to a configured manufacturer CA and certifies
   * this EK; UNVERIFIED when no anchor is configured (today's behaviour, said in the binding).
   */
  private String ekTrust(String certificateBase64, TpmPublic ek) {
    if (ekAnchors.isEmpty()) {
      return "UNVERIFIED";
    }
    byte[] der = certificateBase64 == null ? null
        : base64(certificateBase64, "ekCertificate", EkCertificate.MAX_BYTES * 4 / 3 + 4);
    try {
      EkCertificate.verify(der, ek, ekAnchors, Date.from(clock.instant()));
    } catch (RefusalException e) {
      throw ApiException.from(e);
    }
    return "CERTIFIED";
  }

  private static String describe(String ekTrust) {
    return ekTrust.equals("CERTIFIED") ? "EK certified by a configured TPM manufacturer CA"
        : "EK unverified: no EK trust anchor configured";
  }

  /** What one activation attempt came to, committed either way (the challenge is spent). */
  private record Outcome(TpmBound bound, ApiException refusal) {}

  /** Takes the secret back; the right one binds the AK. */
  TpmBound activate(String deviceId, TpmActivation activation) {
    String actor = actor(deviceId);
    String target = target(deviceId);
    Outcome o = change(actor, "TPM_ACTIVATE", target, () -> {
      if (activation == null) {
        throw ApiException.badInput("give a body: {secret}, base64 of what"
            + " tpm2_activatecredential gave back");
      }
      byte[] secret = base64(activation.secret(), "secret", MAX_SECRET_BASE64);
      lockDevice(deviceId);
      refuseIfBound(deviceId);
      Optional<Challenge> found = jdbc.sql("SELECT ek_public, ak_public, secret_sha256,"
              + " expires_at, ek_trust FROM tpm_challenges WHERE device_id = ?").param(deviceId)
          .query((rs, i) -> new Challenge(rs.getBytes(1), rs.getBytes(2), rs.getString(3),
              rs.getObject(4, OffsetDateTime.class).toInstant(), rs.getString(5)))
          .optional();
      if (found.isEmpty()) {
        throw ApiException.of(ReasonCode.CONFLICT, "no TPM credential of device " + deviceId
            + " is outstanding (each is good for one attempt): ask for a new one (POST"
            + " /api/device/v1/tpm/credential)");
      }
      Challenge c = found.get();
      // Spent now, whatever follows: one attempt per secret.
      jdbc.sql("DELETE FROM tpm_challenges WHERE device_id = ?").param(deviceId).update();
      Instant now = clock.instant();
      if (!now.isBefore(c.expiresAt())) {
        return new Outcome(null, ApiException.of(ReasonCode.CONFLICT, "the TPM credential"
            + " expired at " + c.expiresAt() + ": ask for a new one"));
      }
      byte[] got = Sha256.hex(secret).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      byte[] want = c.secretSha256().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      if (!MessageDigest.isEqual(got, want)) {
        return new Outcome(null, ApiException.of(ReasonCode.NOT_AUTHORIZED, "the secret is"
            + " not the credential's: the attestation key is not shown to live in the TPM of"
            + " that endorsement key; the credential is spent, ask for a new one"));
      }
      TpmPublic ak;
      try {
        ak = TpmPublic.attestationKey(c.akPublic());
      } catch (RefusalException e) {
        throw new IllegalStateException("a stored AK public area no longer reads", e);
      }
      String ekSha256 = Sha256.hex(c.ekPublic());
      refuseIfTpmBoundElsewhere(deviceId, ekSha256);
      jdbc.sql("INSERT INTO device_tpm_bindings (device_id, ek_public_sha256, ak_public, pcr,"
              + " bound_at, ek_trust) VALUES (?, ?, ?, ?, ?, ?)")
          .params(deviceId, ekSha256, c.akPublic(), pcr, utc(now), c.ekTrust()).update();
      String akName = HexFormat.of().formatHex(ak.name());
      audit.append(AuditEvent.success(actor, "TPM_BIND", target, "AK " + akName
          + " bound by credential activation under EK sha256 " + ekSha256 + " ("
          + describe(c.ekTrust()) + "); PCR " + pcr));
      return new Outcome(new TpmBound(deviceId, pcr, akName, ekSha256, WireTime.of(now),
          c.ekTrust()), null);
    });
    if (o.refusal() != null) {
      record(actor, "TPM_ACTIVATE", target, o.refusal());
      throw o.refusal();
    }
    return o.bound();
  }

  /**
   * An operator releases a device's binding (a replaced TPM, a re-provisioned NE): the device
   * may then bind a new AK, and until it does its evidence rests on its software key alone.
   *
   * @return whether there was a binding
   */
  boolean release(String actor, String deviceId) {
    return change(actor, "TPM_RELEASE", target(deviceId), () -> {
      int n = jdbc.sql("DELETE FROM device_tpm_bindings WHERE device_id = ?").param(deviceId)
          .update();
      jdbc.sql("DELETE FROM tpm_challenges WHERE device_id = ?").param(deviceId).update();
      if (n == 0) {
        throw ApiException.notFound("device " + deviceId + " has no TPM binding");
      }
      audit.append(AuditEvent.success(actor, "TPM_RELEASE", target(deviceId), "the TPM"
          + " binding is released: the device may bind a new attestation key"));
      return true;
    });
  }

  private record Challenge(byte[] ekPublic, byte[] akPublic, String secretSha256,
      Instant expiresAt, String ekTrust) {}

  private void lockDevice(String deviceId) {
    // Serializes one device's steps (and replicas): its row exists, it is authenticated.
    jdbc.sql("SELECT id FROM devices WHERE id = ? FOR UPDATE").param(deviceId)
        .query(String.class).optional().orElseThrow(() -> ApiException.of(
            ReasonCode.NOT_AUTHENTICATED, "no device " + deviceId));
  }

  private void refuseIfBound(String deviceId) {
    Optional<String> bound = jdbc.sql("SELECT bound_at FROM device_tpm_bindings WHERE"
        + " device_id = ?").param(deviceId).query(String.class).optional();
    if (bound.isPresent()) {
      throw ApiException.of(ReasonCode.CONFLICT, "device " + deviceId + "'s TPM attestation"
          + " key is bound already (since " + bound.get() + "); a device cannot bind another"
          + " key by itself: an operator must release the binding first (DELETE"
          + " /api/devices/" + deviceId + "/tpm-binding)");
    }
  }

  private void refuseIfTpmBoundElsewhere(String deviceId, String ekSha256) {
    Optional<String> other = jdbc.sql("SELECT device_id FROM device_tpm_bindings WHERE"
        + " ek_public_sha256 = ? AND device_id <> ?").params(ekSha256, deviceId)
        .query(String.class).optional();
    if (other.isPresent()) {
      throw ApiException.of(ReasonCode.CONFLICT, "this TPM (EK sha256 " + ekSha256 + ") is"
          + " bound to device " + other.get() + ": one TPM attests for one device");
    }
  }

  private static byte[] base64(String text, String field, int max) {
    if (text == null || text.isEmpty()) {
      throw ApiException.badInput(field + " is missing");
    }
    if (text.length() > max) {
      throw ApiException.of(ReasonCode.SIZE_LIMIT, field + " has " + text.length()
          + " characters: at most " + max);
    }
    try {
      return Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw ApiException.badInput(field + " is not base64: " + e.getMessage());
    }
  }

  private static OffsetDateTime utc(Instant i) {
    return i.atOffset(ZoneOffset.UTC);
  }

  /**
   * Runs {@code work} in a transaction; a refusal thrown inside rolls it back and is recorded
   * after, in its own row.
   */
  private <T> T change(String actor, String action, String target, Supplier<T> work) {
    try {
      return tx.execute(s -> work.get());
    } catch (ApiException e) {
      record(actor, action, target, e);
      throw e;
    } catch (DuplicateKeyException e) {
      // The device's row lock serializes its own requests: this is another device that
      // activated with the same EK at the same moment (V11's unique index).
      ApiException conflict = ApiException.of(ReasonCode.CONFLICT, "this TPM (its"
          + " endorsement key) was bound to another device at the same time: one TPM attests"
          + " for one device");
      record(actor, action, target, conflict);
      throw conflict;
    }
  }

  private void record(String actor, String action, String target, ApiException e) {
    Reason first = e.reasons().get(0);
    String why = first.code() + ": " + first.message();
    audit.append(first.code().kind() == ReasonCode.Kind.REFUSAL
        ? AuditEvent.denied(actor, action, target, why)
        : AuditEvent.failure(actor, action, target, why));
  }
}
