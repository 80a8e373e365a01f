package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.attest.Credential;
import org.neguard.attest.EventLog;
import org.neguard.attest.Evidence;
import org.neguard.attest.EvidenceSigner;
import org.neguard.attest.EvidenceVerifier;
import org.neguard.attest.TpmBinding;
import org.neguard.attest.TpmPublic;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeDigest;
import org.neguard.testing.SoftwareTpm;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The agent's TPM trust base against a real software TPM (swtpm, started here; in CI a missing
 * swtpm fails the test): the enrollment's keys are what the server's Java reads, the credential
 * the server makes is opened by this TPM only for its AK, and a quote the agent makes verifies
 * with the validation entity's {@link EvidenceVerifier} against the bound key and PCR.
 */
class TpmQuoterTest {
  static Path dir;
  static SoftwareTpm tpm;
  static Path state;
  static TpmEnrollment enrollment;
  static TpmEnrollment.Keys keys;
  static TpmQuoter quoter;
  static KeyPair device;
  static Evidence.Component core;
  static Evidence.Component etc;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("neguard-tpm-quoter-test-");
    tpm = SoftwareTpm.start(dir.resolve("swtpm"));
    state = dir.resolve("state");
    enrollment = TpmEnrollment.of(tpm.tcti(), state);
    keys = bind(enrollment, state);
    quoter = TpmQuoter.of(tpm.tcti(), state);
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    device = g.generateKeyPair();
    core = component("core", PlatformTim.Reference.VENDOR_SIGNED, "bin/mme", 'a');
    etc = component("platform:etc", PlatformTim.Reference.OPERATOR_BASELINE,
        "agent.properties", 'b');
  }

  /**
   * The keys of {@code enrollment}, its AK activated against a credential made as the server
   * makes it (org.neguard.server.tpm), and the server's answer kept as TpmEnrollment.bind
   * keeps it: bound to PCR 14.
   */
  static TpmEnrollment.Keys bind(TpmEnrollment enrollment, Path state) throws Exception {
    TpmEnrollment.Keys k = enrollment.keys();
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    byte[] cred = Credential.make(TpmPublic.endorsementKey(k.ekPublic()),
        TpmPublic.attestationKey(k.akPublic()).name(), secret, new SecureRandom());
    assertThat(enrollment.activate(cred)).isEqualTo(secret);
    Files.writeString(state.resolve("tpm/" + TpmEnrollment.BOUND), "{\"deviceId\":\"ne-1\","
        + "\"pcr\":14,\"akName\":\"x\",\"ekPublicSha256\":\"y\",\"boundAt\":\"z\"}");
    return k;
  }

  @AfterAll
  static void stop() throws Exception {
    if (tpm != null) {
      tpm.close();
    }
    org.neguard.io.FileTrees.deleteTree(dir);
  }

  static Evidence.Component component(String name, PlatformTim.Reference ref, String path,
      char fill) {
    List<TreeDigest.Leaf> leaves = List.of(new TreeDigest.Leaf(path,
        String.valueOf(fill).repeat(64), 0644));
    return new Evidence.Component(name, ref, TreeDigest.of(leaves), leaves);
  }

  static byte[] nonce(int seed) {
    byte[] n = new byte[32];
    new java.util.Random(seed).nextBytes(n);
    return n;
  }

  static TpmBinding binding() throws Exception {
    return new TpmBinding(TpmPublic.attestationKey(keys.akPublic()).key(), 14);
  }

  static String evidence(byte[] nonce, List<Evidence.Component> reported, Evidence.Quote q) {
    return EvidenceSigner.of(device.getPrivate()).sign(Evidence.of("ne-1", nonce, Instant.now(),
        reported, Optional.of(q)));
  }

  static ReasonCode refusal(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    Throwable t = catchThrowable(call);
    assertThat(t).isInstanceOf(RefusalException.class);
    return ((RefusalException) t).code();
  }

  @Test
  @DisplayName("ATT-4 OBJ-2 the agent's quote of the components it extended verifies with the"
      + " validation entity's EvidenceVerifier against the AK and PCR bound at enrollment")
  void quote_verifiesWithTheBoundKeyAndPcr() throws Exception {
    byte[] n = nonce(1);
    List<Evidence.Component> components = List.of(etc, core);
    Evidence.Quote q = quoter.quote(n, components.stream().map(c ->
        new PlatformTim.Component(c.name(), c.digest(), c.reference())).toList());
    assertThat(q.pcr()).isEqualTo(14);
    Evidence e = EvidenceVerifier.verify(evidence(n, components, q), device.getPublic(), "ne-1",
        n, Optional.of(binding()));
    assertThat(e.trustBase()).isEqualTo(Evidence.TrustBase.TPM);
    // The TPM computed the log's replay itself: PCR 14 holds it (docs/MEASUREMENT.md).
    assertThat(tpm.ok("tpm2_pcrread", "sha256:14").toLowerCase()).contains(
        HexFormat.of().formatHex(EventLog.parse(q.eventLog()).replay()));
  }

  @Test
  @DisplayName("ATT-4 OBJ-2 evidence reporting the expected components while the TPM extended"
      + " the measured ones (a changed component) is refused MEASUREMENT_MISMATCH")
  void quote_ofOtherComponentsThanReported_refused() throws Exception {
    byte[] n = nonce(2);
    Evidence.Component changed = component("core", PlatformTim.Reference.VENDOR_SIGNED,
        "bin/mme", 'c');
    Evidence.Quote q = quoter.quote(n, List.of(
        new PlatformTim.Component(changed.name(), changed.digest(), changed.reference()),
        new PlatformTim.Component(etc.name(), etc.digest(), etc.reference())));
    assertThat(refusal(() -> EvidenceVerifier.verify(evidence(n, List.of(core, etc), q),
        device.getPublic(), "ne-1", n, Optional.of(binding()))))
        .isEqualTo(ReasonCode.MEASUREMENT_MISMATCH);
  }

  @Test
  @DisplayName("ATT-4 a quote replayed for a later nonce is refused NONCE_MISMATCH")
  void quote_replayedForAnotherNonce_refused() throws Exception {
    byte[] old = nonce(3);
    Evidence.Quote q = quoter.quote(old, List.of(
        new PlatformTim.Component(core.name(), core.digest(), core.reference())));
    byte[] fresh = nonce(4);
    assertThat(refusal(() -> EvidenceVerifier.verify(evidence(fresh, List.of(core), q),
        device.getPublic(), "ne-1", fresh, Optional.of(binding()))))
        .isEqualTo(ReasonCode.NONCE_MISMATCH);
  }

  @Test
  @DisplayName("ATT-1 the enrollment keeps its AK: asked again, the same persistent key, whose"
      + " name the TPM and Java agree on")
  void keys_secondTime_sameAttestationKey() throws Exception {
    TpmEnrollment.Keys again = enrollment.keys();
    assertThat(again.akPublic()).isEqualTo(keys.akPublic());
    assertThat(again.ekPublic()).isEqualTo(keys.ekPublic());
    assertThat(TpmPublic.attestationKey(keys.akPublic()).name())
        .isEqualTo(Files.readAllBytes(state.resolve("tpm/ak.name")));
  }

  @Test
  @DisplayName("ATT-1 a credential made for another key's name is not opened by this TPM: a"
      + " software key cannot be passed off as the TPM's AK")
  void activate_credentialForAnotherName_refusedByTheTpm() throws Exception {
    byte[] other = TpmPublic.attestationKey(keys.akPublic()).name().clone();
    other[33] ^= 1;
    byte[] cred = Credential.make(TpmPublic.endorsementKey(keys.ekPublic()), other,
        new byte[] {1, 2, 3}, new SecureRandom());
    assertThatThrownBy(() -> enrollment.activate(cred))
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("tpm2_activatecredential");
  }

  @Test
  @DisplayName("ATT-4 a quoter whose TPM key is not the bound AK refuses its own quote"
      + " SIGNATURE_INVALID, before sending it")
  void quote_keyAtTheHandleNotTheBoundOne_refused() throws Exception {
    Path other = dir.resolve("other-state");
    TpmEnrollment second = TpmEnrollment.of(tpm.tcti(), other);
    second.keys(); // another AK, persistent at another handle
    Files.createDirectories(other.resolve("tpm"));
    Files.copy(state.resolve("tpm/" + TpmEnrollment.BOUND),
        other.resolve("tpm/" + TpmEnrollment.BOUND));
    // The stored public area says the bound AK; the handle is another key's.
    Files.copy(state.resolve("tpm/ak.pub"), other.resolve("tpm/ak.pub"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    // The event log too, and the chain it ends at: the swapped quoter extends nothing into
    // the TPM the other tests share.
    quoter.quote(nonce(50), List.of(core.chained()));
    Files.copy(state.resolve("tpm/" + TpmEventLog.FILE), other.resolve("tpm/"
        + TpmEventLog.FILE));
    TpmQuoter swapped = TpmQuoter.of(tpm.tcti(), other);
    assertThat(refusal(() -> swapped.quote(nonce(5), List.of(core.chained()))))
        .isEqualTo(ReasonCode.SIGNATURE_INVALID);
  }

  @Test
  @DisplayName("ATT-4 before the AK is bound the quoter refuses to quote, saying so")
  void quote_notBound_refused() throws Exception {
    TpmQuoter unbound = TpmQuoter.of(tpm.tcti(), dir.resolve("unbound"));
    assertThatThrownBy(() -> unbound.quote(nonce(6), List.of()))
        .isInstanceOf(java.io.IOException.class).hasMessageContaining("not bound");
  }
}
