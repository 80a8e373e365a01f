package org.neguard.server.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.agent.TpmEnrollment;
import org.neguard.agent.TpmQuoter;
import org.neguard.api.attest.TpmActivation;
import org.neguard.api.attest.TpmBound;
import org.neguard.api.attest.TpmCredential;
import org.neguard.api.attest.TpmCredentialRequest;
import org.neguard.attest.Evidence;
import org.neguard.attest.EvidenceSigner;
import org.neguard.attest.EvidenceVerifier;
import org.neguard.attest.TpmBinding;
import org.neguard.attest.TpmPublic;
import org.neguard.measure.PlatformTim;
import org.neguard.server.TestServer;
import org.neguard.server.device.TestDevice;
import org.neguard.testing.SoftwareTpm;

/**
 * Binding a device's TPM attestation key over the real server (agents' port, mutual TLS, the
 * real DeviceClient) with real software TPMs (swtpm, started here; a missing swtpm fails in CI):
 * the agent's {@link TpmEnrollment} against the server's credential and activation, then its
 * {@link TpmQuoter}'s quote verified with the key {@link TpmBindings} gives the validation entity.
 */
@DisplayName("ATT-1 OBJ-2 binding the TPM attestation key by credential activation")
class TpmBindingApiTest {
  static Path dir;
  static TestServer s;
  static SoftwareTpm tpmA;
  static SoftwareTpm tpmB;
  static SoftwareTpm tpmC;
  static TestDevice a;
  static TestDevice b;
  static TestDevice c;
  static TestDevice d;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("neguard-tpm-binding-test-");
    tpmA = SoftwareTpm.start(dir.resolve("tpm-a"));
    tpmB = SoftwareTpm.start(dir.resolve("tpm-b"));
    tpmC = SoftwareTpm.start(dir.resolve("tpm-c"));
    s = TestServer.start();
    a = TestDevice.enroll(s, "tpm-a", "henb");
    b = TestDevice.enroll(s, "tpm-b", "henb");
    c = TestDevice.enroll(s, "tpm-c", "henb");
    d = TestDevice.enroll(s, "tpm-d", "henb");
  }

  @AfterAll
  static void stop() throws Exception {
    for (SoftwareTpm t : new SoftwareTpm[] {tpmA, tpmB, tpmC}) {
      if (t != null) {
        t.close();
      }
    }
    if (s != null) {
      s.close();
    }
    org.neguard.io.FileTrees.deleteTree(dir);
  }

  static long count(String sql, Object... params) throws Exception {
    try (Connection conn = s.db(); PreparedStatement ps = conn.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  static void sql(String sql, Object... params) throws Exception {
    try (Connection conn = s.db(); PreparedStatement ps = conn.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      ps.executeUpdate();
    }
  }

  static TpmCredentialRequest request(TpmEnrollment.Keys k) {
    return request(k.ekPublic(), k.akPublic());
  }

  static TpmCredentialRequest request(byte[] ek, byte[] ak) {
    Base64.Encoder b64 = Base64.getEncoder();
    return new TpmCredentialRequest(b64.encodeToString(ek), b64.encodeToString(ak));
  }

  static DeviceApiException refusal(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(call);
    assertThat(t).isInstanceOf(DeviceApiException.class);
    return (DeviceApiException) t;
  }

  static byte[] credential(TpmCredential cred) {
    return Base64.getDecoder().decode(cred.credential());
  }

  static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  @Test
  @DisplayName("ATT-1 ATT-4 the agent binds its AK through the real server; the validation"
      + " entity's binding then verifies the agent's quote; a second binding, by itself, is"
      + " refused CONFLICT until an operator releases it")
  void bind_endToEnd_thenQuoteVerifies_rebindRefused_untilReleased() throws Exception {
    Path state = dir.resolve("state-a");
    TpmEnrollment enrollment = TpmEnrollment.of(tpmA.tcti(), state);
    TpmBound bound = enrollment.bind(a.client);
    TpmEnrollment.Keys keys = enrollment.keys();
    TpmPublic ak = TpmPublic.attestationKey(keys.akPublic());
    assertThat(bound.deviceId()).isEqualTo("tpm-a");
    assertThat(bound.pcr()).isEqualTo(14);
    // No EK trust anchor configured: bound as before, and the binding says the EK is unverified.
    assertThat(bound.ekTrust()).isEqualTo("UNVERIFIED");
    // The users' API (and the integrity evidence reading it) says so too; no binding, nothing.
    assertThat(TpmTrustApiTest.listedEkTrust(s, "tpm-a")).isEqualTo("UNVERIFIED");
    assertThat(TpmTrustApiTest.listedEkTrust(s, "tpm-d")).isNull();
    assertThat(bound.akName()).isEqualTo(HexFormat.of().formatHex(ak.name()));
    assertThat(enrollment.bound()).contains(bound);
    try (Connection conn = s.db(); PreparedStatement ps = conn.prepareStatement(
        "SELECT ak_public, pcr, ek_public_sha256 FROM device_tpm_bindings WHERE device_id = ?")) {
      ps.setString(1, "tpm-a");
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getBytes(1)).isEqualTo(keys.akPublic());
        assertThat(rs.getInt(2)).isEqualTo(14);
        assertThat(rs.getString(3)).isEqualTo(org.neguard.measure.Sha256.hex(keys.ekPublic()));
      }
    }
    assertThat(count("SELECT COUNT(*) FROM tpm_challenges WHERE device_id = 'tpm-a'")).isZero();
    assertThat(count("SELECT COUNT(*) FROM audit_log WHERE actor = 'device:tpm-a' AND action ="
        + " 'TPM_BIND' AND outcome = 'success'")).isEqualTo(1);

    // The validation entity's side: the bound key and PCR verify the agent's quote.
    Optional<TpmBinding> binding = s.bean(TpmBindings.class).binding("tpm-a");
    assertThat(binding).isPresent();
    assertThat(binding.get().attestationKey()).isEqualTo(ak.key());
    assertThat(binding.get().pcr()).isEqualTo(14);
    assertThat(s.bean(TpmBindings.class).binding("tpm-d")).isEmpty();
    byte[] nonce = new byte[32];
    new SecureRandom().nextBytes(nonce);
    List<Evidence.Component> components = List.of(new Evidence.Component("core",
        PlatformTim.Reference.VENDOR_SIGNED, org.neguard.measure.TreeDigest.of(List.of(
            new org.neguard.measure.TreeDigest.Leaf("bin/henb", "ab".repeat(32), 0755))),
        List.of(new org.neguard.measure.TreeDigest.Leaf("bin/henb", "ab".repeat(32), 0755))));
    Evidence.Quote q = TpmQuoter.of(tpmA.tcti(), state).quote(nonce,
        Evidence.of("tpm-a", nonce, Instant.now(), components, Optional.empty()).chain());
    String jws = EvidenceSigner.of(a.identity().keyPair().getPrivate()).sign(
        Evidence.of("tpm-a", nonce, Instant.now(), components, Optional.of(q)));
    Evidence e = EvidenceVerifier.verify(jws, a.identity().certificate().getPublicKey(),
        "tpm-a", nonce, binding);
    assertThat(e.trustBase()).isEqualTo(Evidence.TrustBase.TPM);

    // Root malware on the NE binding a key of its own instead: refused, audited.
    tpmA.ok("tpm2_createek", "-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub");
    tpmA.ok("tpm2_createak", "-C", "ek.ctx", "-c", "ak2.ctx", "-G", "ecc", "-g", "sha256",
        "-s", "ecdsa", "-u", "ak2.pub", "-n", "ak2.name");
    byte[] ak2 = Files.readAllBytes(tpmA.dir().resolve("ak2.pub"));
    DeviceApiException rebind = refusal(() -> a.client.tpmCredential(
        request(keys.ekPublic(), ak2)));
    assertThat(rebind.status()).isEqualTo(409);
    assertThat(rebind.code()).isEqualTo("CONFLICT");
    assertThat(rebind.getMessage()).contains("operator");
    assertThat(count("SELECT COUNT(*) FROM audit_log WHERE actor = 'device:tpm-a' AND action ="
        + " 'TPM_CREDENTIAL' AND outcome = 'denied'")).isEqualTo(1);
    assertThat(s.bean(TpmBindings.class).binding("tpm-a").get().attestationKey())
        .isEqualTo(ak.key());

    // One TPM attests for one device: another device presenting tpm-a's EK is refused.
    assertThat(refusal(() -> d.client.tpmCredential(request(keys))).status()).isEqualTo(409);

    // A user who is not an operator cannot release it; an operator can, and then it rebinds.
    assertThat(s.http.send("DELETE", "/api/devices/tpm-a/tpm-binding",
        s.token(TestServer.Role.AUDITOR), null).status()).isEqualTo(403);
    assertThat(s.http.send("DELETE", "/api/devices/tpm-a/tpm-binding",
        s.token(TestServer.Role.OPERATOR), null).status()).isEqualTo(204);
    assertThat(count("SELECT COUNT(*) FROM audit_log WHERE action = 'TPM_RELEASE' AND"
        + " outcome = 'success' AND target = 'tpm of device tpm-a'")).isEqualTo(1);
    assertThat(s.bean(TpmBindings.class).binding("tpm-a")).isEmpty();
    assertThat(TpmTrustApiTest.listedEkTrust(s, "tpm-a")).isNull();
    assertThat(s.http.send("DELETE", "/api/devices/tpm-a/tpm-binding",
        s.token(TestServer.Role.OPERATOR), null).status()).isEqualTo(404);
    TpmCredential again = a.client.tpmCredential(request(keys));
    byte[] secret = enrollment.activate(credential(again));
    assertThat(a.client.tpmActivate(new TpmActivation(b64(secret))).akName())
        .isEqualTo(bound.akName());
  }

  @Test
  @DisplayName("ATT-1 a wrong secret is refused 403 and spends the credential: the right"
      + " secret after it, or the same secret twice, is refused 409; an expired credential"
      + " 409; a fresh one with the TPM's secret binds")
  void activate_wrongSecret_replay_expired_refused() throws Exception {
    TpmEnrollment enrollment = TpmEnrollment.of(tpmB.tcti(), dir.resolve("state-b"));
    TpmEnrollment.Keys keys = enrollment.keys();

    TpmCredential first = b.client.tpmCredential(request(keys));
    byte[] rightSecret = enrollment.activate(credential(first));
    byte[] wrong = rightSecret.clone();
    wrong[0] ^= 1;
    DeviceApiException e = refusal(() -> b.client.tpmActivate(new TpmActivation(b64(wrong))));
    assertThat(e.status()).isEqualTo(403);
    assertThat(e.code()).isEqualTo("NOT_AUTHORIZED");
    assertThat(count("SELECT COUNT(*) FROM audit_log WHERE actor = 'device:tpm-b' AND action ="
        + " 'TPM_ACTIVATE' AND outcome = 'denied'")).isEqualTo(1);
    // Spent: the right secret now comes too late.
    e = refusal(() -> b.client.tpmActivate(new TpmActivation(b64(rightSecret))));
    assertThat(e.status()).isEqualTo(409);
    assertThat(s.bean(TpmBindings.class).binding("tpm-b")).isEmpty();

    // Expired.
    TpmCredential second = b.client.tpmCredential(request(keys));
    byte[] secret2 = enrollment.activate(credential(second));
    sql("UPDATE tpm_challenges SET expires_at = ? WHERE device_id = 'tpm-b'",
        java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).minusSeconds(1));
    e = refusal(() -> b.client.tpmActivate(new TpmActivation(b64(secret2))));
    assertThat(e.status()).isEqualTo(409);
    assertThat(e.getMessage()).contains("expired");
    assertThat(s.bean(TpmBindings.class).binding("tpm-b")).isEmpty();

    // A credential made for another device is not this device's to answer: each device's
    // challenge is its own (tpm-c has none outstanding, so tpm-b's secret binds nothing there).
    TpmCredential third = b.client.tpmCredential(request(keys));
    byte[] secret3 = enrollment.activate(credential(third));
    assertThat(refusal(() -> c.client.tpmActivate(new TpmActivation(b64(secret3)))).status())
        .isEqualTo(409);

    TpmBound bound = b.client.tpmActivate(new TpmActivation(b64(secret3)));
    assertThat(bound.deviceId()).isEqualTo("tpm-b");
    // Replayed after binding: refused, the binding unchanged.
    e = refusal(() -> b.client.tpmActivate(new TpmActivation(b64(secret3))));
    assertThat(e.status()).isEqualTo(409);
    assertThat(s.bean(TpmBindings.class).binding("tpm-b").get().attestationKey())
        .isEqualTo(TpmPublic.attestationKey(keys.akPublic()).key());
  }

  @Test
  @DisplayName("ATT-1 a credential the server made for another key's name (a software key"
      + " passed off as the AK) is not opened by the TPM for its AK: no secret, no binding")
  void credentialForAnotherName_notOpenedByTheTpm_noBinding() throws Exception {
    TpmEnrollment enrollment = TpmEnrollment.of(tpmC.tcti(), dir.resolve("state-c"));
    TpmEnrollment.Keys keys = enrollment.keys();
    // Another key claimed as the AK: the credential is bound to its name.
    tpmC.ok("tpm2_createek", "-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub");
    tpmC.ok("tpm2_createak", "-C", "ek.ctx", "-c", "other.ctx", "-G", "ecc", "-g", "sha256",
        "-s", "ecdsa", "-u", "other.pub", "-n", "other.name");
    byte[] other = Files.readAllBytes(tpmC.dir().resolve("other.pub"));
    TpmCredential cred = c.client.tpmCredential(request(keys.ekPublic(), other));
    assertThatThrownBy(() -> enrollment.activate(credential(cred)))
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("tpm2_activatecredential");
    byte[] guess = new byte[32];
    new SecureRandom().nextBytes(guess);
    assertThat(refusal(() -> c.client.tpmActivate(new TpmActivation(b64(guess)))).status())
        .isEqualTo(403);
    assertThat(s.bean(TpmBindings.class).binding("tpm-c")).isEmpty();
  }

  @Test
  @DisplayName("ATT-1 public areas read strictly: an AK as the EK, an ordinary signing key as"
      + " the AK are refused 422 KEY_USAGE; not base64 400; truncated 422 MALFORMED; no body"
      + " 400; nothing is stored")
  void credential_badPublicAreas_refused() throws Exception {
    TpmEnrollment enrollment = TpmEnrollment.of(tpmC.tcti(), dir.resolve("state-c2"));
    TpmEnrollment.Keys keys = enrollment.keys();
    DeviceApiException e = refusal(() -> d.client.tpmCredential(
        request(keys.akPublic(), keys.akPublic())));
    assertThat(e.status()).isEqualTo(422);
    assertThat(e.code()).isEqualTo("KEY_USAGE");
    tpmC.ok("tpm2_createprimary", "-C", "o", "-c", "primary.ctx");
    tpmC.ok("tpm2_create", "-C", "primary.ctx", "-G", "ecc256:ecdsa-sha256", "-u", "plain.pub",
        "-r", "plain.priv", "-a", "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign");
    byte[] plain = Files.readAllBytes(tpmC.dir().resolve("plain.pub"));
    e = refusal(() -> d.client.tpmCredential(request(keys.ekPublic(), plain)));
    assertThat(e.code()).isEqualTo("KEY_USAGE");
    e = refusal(() -> d.client.tpmCredential(new TpmCredentialRequest("not base64!",
        b64(keys.akPublic()))));
    assertThat(e.status()).isEqualTo(400);
    e = refusal(() -> d.client.tpmCredential(request(keys.ekPublic(),
        java.util.Arrays.copyOf(keys.akPublic(), keys.akPublic().length - 1))));
    assertThat(e.code()).isEqualTo("MALFORMED");
    e = refusal(() -> d.client.tpmCredential(new TpmCredentialRequest(null, null)));
    assertThat(e.status()).isEqualTo(400);
    assertThat(count("SELECT COUNT(*) FROM tpm_challenges WHERE device_id = 'tpm-d'")).isZero();
    // A software key dressed as an AK still needs the TPM: covered by the test above; here a
    // plain EC key is not even a TPM2B_PUBLIC.
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    byte[] spki = g.generateKeyPair().getPublic().getEncoded();
    e = refusal(() -> d.client.tpmCredential(request(keys.ekPublic(), spki)));
    assertThat(e.status()).isIn(422);
  }

  @Test
  @DisplayName("ATT-1 ATT-4 the agent's quoter binds its AK through the server before its first"
      + " quote (no evidence leaves before the server knows the AK), once; the quote verifies"
      + " with the binding")
  void quoter_bindsBeforeItsFirstQuote_once() throws Exception {
    SoftwareTpm tpmE = SoftwareTpm.start(dir.resolve("tpm-e"));
    try {
      TestDevice e = TestDevice.enroll(s, "tpm-e", "henb");
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      org.neguard.agent.AgentLog log = new org.neguard.agent.AgentLog(
          new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
      TpmQuoter quoter = TpmQuoter.of(tpmE.tcti(), dir.resolve("state-e"), e.client, log);
      assertThat(s.bean(TpmBindings.class).binding("tpm-e")).isEmpty();
      byte[] nonce = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f");
      List<PlatformTim.Component> chain = List.of(new PlatformTim.Component("core",
          "cd".repeat(32), PlatformTim.Reference.VENDOR_SIGNED));
      Evidence.Quote q = quoter.quote(nonce, chain);
      TpmBinding binding = s.bean(TpmBindings.class).binding("tpm-e").orElseThrow();
      org.neguard.attest.TpmQuote.verify(q.attest(), q.signature(), binding.attestationKey(),
          nonce, java.util.Map.of(binding.pcr(),
              org.neguard.attest.EventLog.parse(q.eventLog()).replay()));
      assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("tpm_bound");
      quoter.quote(nonce, chain);
      assertThat(count("SELECT COUNT(*) FROM audit_log WHERE actor = 'device:tpm-e' AND action"
          + " = 'TPM_BIND'")).isEqualTo(1);
    } finally {
      tpmE.close();
    }
  }

  @Test
  @DisplayName("ATT-1 the TPM endpoints are the agents' API only: users get 404 on their port")
  void tpmEndpoints_onUsersPort_notServed() {
    assertThat(s.http.post("/api/device/v1/tpm/credential", s.adminToken(),
        java.util.Map.of("ekPublic", "x", "akPublic", "y")).status()).isEqualTo(404);
  }
}
