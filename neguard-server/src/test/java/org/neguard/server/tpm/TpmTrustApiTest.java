package org.neguard.server.tpm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.agent.TpmEnrollment;
import org.neguard.agent.TpmQuoter;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.api.attest.TpmBound;
import org.neguard.api.attest.TpmCredentialRequest;
import org.neguard.attest.EventLog;
import org.neguard.attest.Evidence;
import org.neguard.attest.TpmPublic;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeDigest;
import org.neguard.pki.CertificateIssuer;
import org.neguard.server.NeguardServer;
import org.neguard.server.ServerConfig;
import org.neguard.server.TestServer;
import org.neguard.server.device.TestDevice;
import org.neguard.sign.Certificates;
import org.neguard.testing.SoftwareTpm;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * ATT-1 ATT-4 (issue 15) over the real server with software TPMs (swtpm; missing, the test
 * fails): the endorsement key's certificate against the configured manufacturer CA (swtpm_setup
 * --create-ek-cert with a local CA of its own per TPM), and the TPM boots the validation entity
 * records from the quotes it accepts.
 */
@DisplayName("ATT-1 ATT-4 EK certificates at TPM enrollment, TPM boots across quotes")
class TpmTrustApiTest {
  static Path dir;
  static TestServer s;
  /** Its EK certificate issued by the CA the server trusts. */
  static SoftwareTpm good;
  /** Its EK certificate issued by another CA. */
  static SoftwareTpm otherCa;
  /** No EK certificate. */
  static SoftwareTpm plain;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("neguard-tpm-trust-test-");
    good = SoftwareTpm.startWithEkCertificate(dir.resolve("tpm-good"));
    otherCa = SoftwareTpm.startWithEkCertificate(dir.resolve("tpm-other"));
    plain = SoftwareTpm.start(dir.resolve("tpm-plain"));
    s = TestServer.start(null, b -> b.attest(ServerConfig.Attest.defaults()
        .withTpm(14, good.ekCaCertificates())));
  }

  @AfterAll
  static void stop() throws Exception {
    for (SoftwareTpm t : new SoftwareTpm[] {good, otherCa, plain}) {
      if (t != null) {
        t.close();
      }
    }
    if (s != null) {
      s.close();
    }
    org.neguard.io.FileTrees.deleteTree(dir);
  }

  static DeviceApiException refusal(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(call);
    assertThat(t).isInstanceOf(DeviceApiException.class);
    return (DeviceApiException) t;
  }

  static long bindings(String deviceId) throws Exception {
    return count("SELECT COUNT(*) FROM device_tpm_bindings WHERE device_id"
        + " = ?", deviceId);
  }

  /**
   * The EK trust {@code GET /api/attestation/devices} lists for {@code deviceId} on
   * {@code server} (what the integrity evidence reads), null when it lists none (the server
   * leaves out a null field).
   */
  static String listedEkTrust(TestServer server, String deviceId) {
    for (com.fasterxml.jackson.databind.JsonNode d : server.http.get("/api/attestation/devices",
        server.token(TestServer.Role.AUDITOR)).json()) {
      if (d.path("deviceId").asText().equals(deviceId)) {
        return d.path("ekTrust").isTextual() ? d.path("ekTrust").asText() : null;
      }
    }
    throw new AssertionError("GET /api/attestation/devices lists no device " + deviceId);
  }

  @Test
  @DisplayName("ATT-1 an EK whose certificate chains to the configured manufacturer CA binds,"
      + " CERTIFIED, and the binding's audit row and GET /api/attestation/devices say so")
  void bind_ekCertifiedByTrustedCa_bindsCertified() throws Exception {
    TestDevice d = TestDevice.enroll(s, "ek-good", "henb");
    assertThat(listedEkTrust(s, "ek-good")).isNull();
    TpmBound bound = TpmEnrollment.of(good.tcti(), dir.resolve("state-good")).bind(d.client);
    assertThat(bound.ekTrust()).isEqualTo("CERTIFIED");
    assertThat(listedEkTrust(s, "ek-good")).isEqualTo("CERTIFIED");
    assertThat(bound.pcr()).isEqualTo(14);
    assertThat(count("SELECT COUNT(*) FROM audit_log WHERE action ="
        + " 'TPM_BIND' AND target = 'tpm of device ek-good' AND detail LIKE '%EK certified%'"))
        .isEqualTo(1);
  }

  @Test
  @DisplayName("ATT-1 an EK certificate from another CA is refused CERT_UNTRUSTED at enrollment;"
      + " nothing is bound")
  void bind_ekCertificateOfOtherCa_refusedCertUntrusted() throws Exception {
    TestDevice d = TestDevice.enroll(s, "ek-other", "henb");
    TpmEnrollment e = TpmEnrollment.of(otherCa.tcti(), dir.resolve("state-other"));
    assertThat(e.ekCertificate()).isPresent();
    DeviceApiException r = refusal(() -> e.bind(d.client));
    assertThat(r.code()).isEqualTo(ReasonCode.CERT_UNTRUSTED.name());
    assertThat(r.getMessage()).contains("does not chain");
    assertThat(bindings("ek-other")).isZero();
    assertThat(listedEkTrust(s, "ek-other")).isNull();
  }

  @Test
  @DisplayName("ATT-1 a genuine EK certificate of another TPM sent with this TPM's EK is refused"
      + " DEVICE_MISMATCH; no certificate at all, CERT_UNTRUSTED")
  void bind_ekCertificateOfAnotherEk_refusedDeviceMismatch() throws Exception {
    TestDevice d = TestDevice.enroll(s, "ek-swap", "henb");
    TpmEnrollment.Keys keys = TpmEnrollment.of(plain.tcti(), dir.resolve("state-plain")).keys();
    byte[] genuine = TpmEnrollment.of(good.tcti(), dir.resolve("state-good-cert"))
        .ekCertificate().orElseThrow();
    Base64.Encoder b64 = Base64.getEncoder();
    DeviceApiException r = refusal(() -> d.client.tpmCredential(new TpmCredentialRequest(
        b64.encodeToString(keys.ekPublic()), b64.encodeToString(keys.akPublic()),
        b64.encodeToString(genuine))));
    assertThat(r.code()).isEqualTo(ReasonCode.DEVICE_MISMATCH.name());
    assertThat(r.getMessage()).contains("another key");
    DeviceApiException none = refusal(() -> d.client.tpmCredential(new TpmCredentialRequest(
        b64.encodeToString(keys.ekPublic()), b64.encodeToString(keys.akPublic()))));
    assertThat(none.code()).isEqualTo(ReasonCode.CERT_UNTRUSTED.name());
    assertThat(bindings("ek-swap")).isZero();
    assertThat(count("SELECT COUNT(*) FROM tpm_challenges WHERE device_id ="
        + " 'ek-swap'")).isZero();
  }

  @Test
  @DisplayName("ATT-1 a certificate of this very EK, chaining to the trusted manufacturer CA but"
      + " without the EK certificate's extended key usage (2.23.133.8.1): a TLS server"
      + " certificate, or none, refused CERT_UNTRUSTED naming the OID; nothing is bound")
  void bind_chainValidCertificateWithoutEkUsage_refusedCertUntrusted() throws Exception {
    TestDevice d = TestDevice.enroll(s, "ek-tls", "henb");
    TpmEnrollment.Keys keys = TpmEnrollment.of(good.tcti(), dir.resolve("state-good-tls")).keys();
    PublicKey ek = TpmPublic.endorsementKey(keys.ekPublic()).key();
    // The CA that issued the good TPM's EK certificate, which the server trusts, issues others.
    X509Certificate ca = Certificates.read(good.ekCaCertificates().get(1)).get(0);
    PrivateKey caKey;
    try (PEMParser pem = new PEMParser(Files.newBufferedReader(good.dir().resolve(
        "ca/signkey.pem")))) {
      caKey = new JcaPEMKeyConverter().getKeyPair((PEMKeyPair) pem.readObject()).getPrivate();
    }
    Base64.Encoder b64 = Base64.getEncoder();
    for (CertificateIssuer issuer : List.of(
        CertificateIssuer.forSubject("CN=ek-tls", ek).serverAuth(),
        CertificateIssuer.forSubject("CN=ek-tls", ek).keyUsage(KeyUsage.keyEncipherment))) {
      byte[] der = issuer.issuedBy(ca, caKey).getEncoded();
      DeviceApiException r = refusal(() -> d.client.tpmCredential(new TpmCredentialRequest(
          b64.encodeToString(keys.ekPublic()), b64.encodeToString(keys.akPublic()),
          b64.encodeToString(der))));
      assertThat(r.code()).isEqualTo(ReasonCode.CERT_UNTRUSTED.name());
      assertThat(r.getMessage()).contains("2.23.133.8.1", "not an EK certificate",
          "NV index 0x01c00002");
    }
    assertThat(bindings("ek-tls")).isZero();
    assertThat(count("SELECT COUNT(*) FROM tpm_challenges WHERE device_id ="
        + " 'ek-tls'")).isZero();
  }

  @Test
  @DisplayName("ATT-4 the validation entity records each accepted quote's TPM boot: a TPM reset"
      + " (a new log) is accepted; a quote of an earlier boot, or a log shorter than one"
      + " accepted in the same boot, is refused MEASUREMENT_MISMATCH")
  void accept_tpmBoots_resetAcceptedEarlierBootRefused() throws Exception {
    TestDevice.enroll(s, "boots", "henb");
    TpmQuoter q = bindDirectly(s.db(), plain, dir.resolve("state-boots"), "boots", null);
    Evidence first = evidence(q, component('a'));
    Evidence second = evidence(q, component('b'));
    accept(s.server, "boots", first);
    accept(s.server, "boots", second);
    RefusalException shorter = catchRefusal(() -> accept(s.server, "boots", first));
    assertThat(shorter.code()).isEqualTo(ReasonCode.MEASUREMENT_MISMATCH);
    assertThat(shorter.getMessage()).contains("entries were dropped");
    plain.reset();
    Evidence rebooted = evidence(q, component('b'));
    assertThat(EventLog.parse(rebooted.quote().get().eventLog()).events()).hasSize(1);
    accept(s.server, "boots", rebooted);
    RefusalException back = catchRefusal(() -> accept(s.server, "boots", second));
    assertThat(back.code()).isEqualTo(ReasonCode.MEASUREMENT_MISMATCH);
    assertThat(back.getMessage()).contains("resetCount went back");
  }

  /**
   * Binds device {@code id} (enrolled) to {@code tpm}'s keys in {@code state} as activation
   * leaves the binding (the credential round is TpmBindingApiTest's), in the database of
   * {@code db} (closed after), and gives the quoter of that state.
   *
   * @param ekSha256 the binding's EK hash (unique per binding): null, the EK's own
   */
  static TpmQuoter bindDirectly(java.sql.Connection db, SoftwareTpm tpm, Path state, String id,
      String ekSha256) throws Exception {
    TpmEnrollment.Keys keys = TpmEnrollment.of(tpm.tcti(), state).keys();
    try (db; java.sql.PreparedStatement ps = db.prepareStatement("INSERT INTO"
        + " device_tpm_bindings (device_id, ek_public_sha256, ak_public, pcr, bound_at)"
        + " VALUES (?, ?, ?, 14, CURRENT_TIMESTAMP)")) {
      ps.setString(1, id);
      ps.setString(2, ekSha256 != null ? ekSha256
          : org.neguard.measure.Sha256.hex(keys.ekPublic()));
      ps.setBytes(3, keys.akPublic());
      ps.executeUpdate();
    }
    Files.writeString(state.resolve("tpm/bound.json"), "{\"deviceId\":\"" + id + "\","
        + "\"pcr\":14,\"akName\":\"x\",\"ekPublicSha256\":\"y\",\"boundAt\":\"z\"}");
    return TpmQuoter.of(tpm.tcti(), state);
  }

  /**
   * {@link TpmBindings#accept} of {@code server} in a transaction of its own, as the judging
   * transaction runs it (outside one it refuses to run).
   */
  static void accept(NeguardServer server, String deviceId, Evidence e) throws Exception {
    TpmBindings b = TestServer.bean(server, TpmBindings.class);
    RefusalException refused = new TransactionTemplate(TestServer.bean(server,
        PlatformTransactionManager.class)).execute(st -> {
          try {
            b.accept(deviceId, e);
            return null;
          } catch (RefusalException r) {
            return r;
          }
        });
    if (refused != null) {
      throw refused;
    }
  }

  static long count(String sql, Object... params) throws Exception {
    try (java.sql.Connection conn = s.db();
        java.sql.PreparedStatement ps = conn.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  static Evidence.Component component(char fill) {
    List<TreeDigest.Leaf> leaves = List.of(new TreeDigest.Leaf("bin/henb",
        String.valueOf(fill).repeat(64), 0755));
    return new Evidence.Component("core", PlatformTim.Reference.VENDOR_SIGNED,
        TreeDigest.of(leaves), leaves);
  }

  static Evidence evidence(TpmQuoter q, Evidence.Component c) throws Exception {
    byte[] nonce = new byte[32];
    new SecureRandom().nextBytes(nonce);
    Evidence.Quote quote = q.quote(nonce, List.of(c.chained()));
    return Evidence.of("boots", nonce, Instant.now(), List.of(c), Optional.of(quote));
  }

  static RefusalException catchRefusal(
      org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(call);
    assertThat(t).isInstanceOf(RefusalException.class);
    return (RefusalException) t;
  }

}
