package org.neguard.attest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.Signature;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeMeasurement;
import org.neguard.measure.TreeMeasurer;
import org.neguard.testing.SoftwareTpm;
import org.neguard.verdict.ReasonCode;

/**
 * Evidence signed by a device key, verified by the validation entity: each attack of issue 15's
 * list that concerns the evidence itself is refused with its reason.
 */
class EvidenceTest {
  static KeyPair device;
  static KeyPair otherDevice;
  @TempDir static Path dir;
  static Evidence.Component core;
  static Evidence.Component etc;
  static final byte[] NONCE = HexFormat.of().parseHex("00112233445566778899aabbccddeeff");

  @BeforeAll
  static void keys() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    device = g.generateKeyPair();
    otherDevice = g.generateKeyPair();
    Path slot = Files.createDirectories(dir.resolve("versions/core-1.0/bin"));
    Files.writeString(slot.resolve("mme"), "#!/bin/sh\necho mme\n");
    Files.writeString(slot.getParent().resolve("README"), "core 1.0\n");
    core = component("core", PlatformTim.Reference.VENDOR_SIGNED,
        TreeMeasurer.measure(slot.getParent()));
    Path conf = Files.createDirectories(dir.resolve("etc-neguard"));
    Files.writeString(conf.resolve("agent.properties"), "server.url=https://oam:8443\n");
    etc = component("platform:etc", PlatformTim.Reference.OPERATOR_BASELINE,
        TreeMeasurer.measure(conf));
  }

  static Evidence.Component component(String name, PlatformTim.Reference ref,
      TreeMeasurement m) {
    return new Evidence.Component(name, ref, m.digest(), m.leaves());
  }

  static String signed(Evidence e) {
    return EvidenceSigner.of(device.getPrivate()).sign(e);
  }

  static ReasonCode refused(String jws) {
    return TpmQuoteTest.refusal(() -> EvidenceVerifier.verify(jws, device.getPublic(), "ne-1",
        NONCE, Optional.empty()));
  }

  /** A JWS of {@code payload} as given, with {@code alg} and {@code typ}, by the device key. */
  static String raw(String header, String payload) throws Exception {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String signingInput = b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(payload.getBytes(StandardCharsets.UTF_8));
    Signature s = Signature.getInstance("SHA256withRSA");
    s.initSign(device.getPrivate());
    s.update(signingInput.getBytes(StandardCharsets.US_ASCII));
    return signingInput + "." + b64.encodeToString(s.sign());
  }

  static final String HEADER = "{\"alg\":\"RS256\",\"typ\":\"neguard-evidence+jws\"}";

  static String payload(Evidence e) {
    return new String(EvidenceEncoder.encode(e), StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("ATT-4 OBJ-2 evidence of measured components, signed by the device key, verifies:"
      + " its TIM is the chain of its components, the trust base says software key")
  void verify_softwareKeyEvidence_accepted() throws Exception {
    Evidence e = Evidence.of("ne-1", NONCE, Instant.now(), List.of(etc, core), Optional.empty());
    Evidence back = EvidenceVerifier.verify(signed(e), device.getPublic(), "ne-1", NONCE,
        Optional.empty());
    assertThat(back).isEqualTo(e);
    assertThat(back.trustBase()).isEqualTo(Evidence.TrustBase.SOFTWARE_KEY);
    assertThat(back.tim()).isEqualTo(PlatformTim.of(List.of(core.chained(), etc.chained())));
  }

  @Test
  @DisplayName("ATT-4 ES256 device keys (P-256): evidence verifies; another P-256 key's, an altered"
      + " byte, a zero or out-of-range r or s (CVE-2022-21449's blank signature), a signature of"
      + " the wrong length are SIGNATURE_INVALID; a P-384 key, an RS256 header over an EC key,"
      + " ALGORITHM_NOT_ALLOWED")
  void verify_es256_acceptedAndEachBadSignatureRefused() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
    KeyPair ec = g.generateKeyPair();
    KeyPair otherEc = g.generateKeyPair();
    Evidence e = Evidence.of("ne-1", NONCE, Instant.now(), List.of(etc, core), Optional.empty());
    java.util.function.Function<String, ReasonCode> refusedEc = jws -> TpmQuoteTest.refusal(
        () -> EvidenceVerifier.verify(jws, ec.getPublic(), "ne-1", NONCE, Optional.empty()));
    for (int i = 0; i < 20; i++) { // each signature is new (random k): several must all verify
      String jws = EvidenceSigner.of(ec.getPrivate()).sign(e);
      assertThat(new String(Base64.getUrlDecoder().decode(jws.split("\\.")[0]),
          StandardCharsets.UTF_8)).contains("\"alg\":\"ES256\"");
      assertThat(EvidenceVerifier.verify(jws, ec.getPublic(), "ne-1", NONCE, Optional.empty()))
          .isEqualTo(e);
    }
    String jws = EvidenceSigner.of(ec.getPrivate()).sign(e);
    assertThat(refusedEc.apply(EvidenceSigner.of(otherEc.getPrivate()).sign(e)))
        .isEqualTo(ReasonCode.SIGNATURE_INVALID);
    String[] p = jws.split("\\.");
    byte[] sig = Base64.getUrlDecoder().decode(p[2]);
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    java.util.function.Function<byte[], String> withSig = s -> p[0] + "." + p[1] + "."
        + b64.encodeToString(s);
    byte[] flipped = sig.clone();
    flipped[40] ^= 1;
    assertThat(refusedEc.apply(withSig.apply(flipped))).isEqualTo(ReasonCode.SIGNATURE_INVALID);
    assertThat(refusedEc.apply(withSig.apply(new byte[64])))
        .isEqualTo(ReasonCode.SIGNATURE_INVALID);
    byte[] n = ((java.security.interfaces.ECPublicKey) ec.getPublic()).getParams().getOrder()
        .toByteArray(); // 33 bytes, a leading zero
    byte[] rIsN = sig.clone();
    System.arraycopy(n, 1, rIsN, 0, 32);
    assertThat(refusedEc.apply(withSig.apply(rIsN))).isEqualTo(ReasonCode.SIGNATURE_INVALID);
    byte[] sIsZero = sig.clone();
    java.util.Arrays.fill(sIsZero, 32, 64, (byte) 0);
    assertThat(refusedEc.apply(withSig.apply(sIsZero))).isEqualTo(ReasonCode.SIGNATURE_INVALID);
    assertThat(refusedEc.apply(withSig.apply(java.util.Arrays.copyOf(sig, 63))))
        .isEqualTo(ReasonCode.SIGNATURE_INVALID);
    assertThat(refusedEc.apply(withSig.apply(java.util.Arrays.copyOf(sig, 65))))
        .isEqualTo(ReasonCode.SIGNATURE_INVALID);
    // The payload altered, the signature kept.
    String payload = new String(Base64.getUrlDecoder().decode(p[1]), StandardCharsets.UTF_8)
        .replace(core.digest(), "0".repeat(64));
    assertThat(refusedEc.apply(p[0] + "." + b64.encodeToString(
        payload.getBytes(StandardCharsets.UTF_8)) + "." + p[2]))
        .isEqualTo(ReasonCode.SIGNATURE_INVALID);
    // An RS256 header over an EC key, and a key of another curve.
    assertThat(refusedEc.apply(b64.encodeToString(HEADER.getBytes(StandardCharsets.UTF_8))
        + "." + p[1] + "." + p[2])).isEqualTo(ReasonCode.ALGORITHM_NOT_ALLOWED);
    KeyPairGenerator g384 = KeyPairGenerator.getInstance("EC");
    g384.initialize(new java.security.spec.ECGenParameterSpec("secp384r1"));
    KeyPair p384 = g384.generateKeyPair();
    assertThat(TpmQuoteTest.refusal(() -> EvidenceVerifier.verify(jws, p384.getPublic(), "ne-1",
        NONCE, Optional.empty()))).isEqualTo(ReasonCode.ALGORITHM_NOT_ALLOWED);
    // The signer refuses what ES256 and RS256 cannot be: another curve, a short RSA key.
    assertThatThrownBy(() -> EvidenceSigner.of(p384.getPrivate()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not on P-256");
    KeyPairGenerator rsa1024 = KeyPairGenerator.getInstance("RSA");
    rsa1024.initialize(1024);
    assertThatThrownBy(
        () -> EvidenceSigner.of(rsa1024.generateKeyPair().getPrivate()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1024 bits");
    // The JDK's own ECDSA agrees that the accepted signature is valid (two implementations).
    Signature jdk = Signature.getInstance("SHA256withECDSAinP1363Format");
    jdk.initVerify(ec.getPublic());
    jdk.update((p[0] + "." + p[1]).getBytes(StandardCharsets.US_ASCII));
    assertThat(jdk.verify(sig)).isTrue();
  }

  /** An EC key held by a provider (as a TPM or HSM holds one): no parameters to check. */
  private static final class OpaqueEcKey implements PrivateKey {
    private static final long serialVersionUID = 1L;

    @Override
    public String getAlgorithm() {
      return "EC";
    }

    @Override
    public String getFormat() {
      return null;
    }

    @Override
    public byte[] getEncoded() {
      return null;
    }
  }

  @Test
  @DisplayName("ATT-4 an EC key held by a provider whose curve the signer cannot see, signing on"
      + " P-384: refused when it signs (96 bytes, not ES256's 64), never sent as ES256")
  void sign_providerHeldKeyOfAnotherCurve_refused() throws Exception {
    KeyPairGenerator g384 = KeyPairGenerator.getInstance("EC");
    g384.initialize(new java.security.spec.ECGenParameterSpec("secp384r1"));
    PrivateKey p384 = g384.generateKeyPair().getPrivate();
    String name = "EvidenceTestHeldKey";
    Provider held = new Provider(name, "1.0", "a P-384 key holder") {
      private static final long serialVersionUID = 1L;

      {
        putService(new Service(this, "Signature", "SHA256withECDSAinP1363Format",
            "held", null, Map.of("SupportedKeyClasses",
                OpaqueEcKey.class.getName())) {
          @Override
          public Object newInstance(Object parameter) {
            return new SignatureSpi() {
              private final Signature jdk = jdk();

              private Signature jdk() {
                try {
                  return Signature.getInstance("SHA256withECDSAinP1363Format",
                      "SunEC");
                } catch (GeneralSecurityException e) {
                  throw new IllegalStateException(e);
                }
              }

              @Override
              protected void engineInitVerify(PublicKey k) {
                throw new UnsupportedOperationException();
              }

              @Override
              protected void engineInitSign(PrivateKey k)
                  throws InvalidKeyException {
                jdk.initSign(p384);
              }

              @Override
              protected void engineUpdate(byte b) throws SignatureException {
                jdk.update(b);
              }

              @Override
              protected void engineUpdate(byte[] b, int off, int len)
                  throws SignatureException {
                jdk.update(b, off, len);
              }

              @Override
              protected byte[] engineSign() throws SignatureException {
                return jdk.sign();
              }

              @Override
              protected boolean engineVerify(byte[] sig) {
                throw new UnsupportedOperationException();
              }

              @Override
              @Deprecated
              protected void engineSetParameter(String param, Object value) {}

              @Override
              @Deprecated
              protected Object engineGetParameter(String param) {
                return null;
              }
            };
          }
        });
      }
    };
    Security.addProvider(held);
    try {
      Evidence e = Evidence.of("ne-1", NONCE, Instant.now(), List.of(core), Optional.empty());
      assertThatThrownBy(
          () -> EvidenceSigner.of(new OpaqueEcKey()).sign(e))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("96 bytes");
    } finally {
      Security.removeProvider(name);
    }
  }

  @Test
  @DisplayName("ATT-4 replayed evidence (an old nonce) is refused NONCE_MISMATCH")
  void verify_oldNonce_refused() {
    byte[] old = HexFormat.of().parseHex("ffeeddccbbaa99887766554433221100");
    assertThat(refused(signed(Evidence.of("ne-1", old, Instant.now(), List.of(core),
        Optional.empty())))).isEqualTo(ReasonCode.NONCE_MISMATCH);
  }

  @Test
  @DisplayName("ATT-4 evidence signed by another device is refused SIGNATURE_INVALID; evidence"
      + " naming another device DEVICE_MISMATCH; one byte changed SIGNATURE_INVALID")
  void verify_otherDeviceOrAltered_refused() {
    Evidence e = Evidence.of("ne-1", NONCE, Instant.now(), List.of(core), Optional.empty());
    assertThat(refused(EvidenceSigner.of(otherDevice.getPrivate()).sign(e)))
        .isEqualTo(ReasonCode.SIGNATURE_INVALID);
    assertThat(refused(signed(Evidence.of("ne-2", NONCE, Instant.now(), List.of(core),
        Optional.empty())))).isEqualTo(ReasonCode.DEVICE_MISMATCH);
    String jws = signed(e);
    String[] p = jws.split("\\.");
    String payload = new String(Base64.getUrlDecoder().decode(p[1]), StandardCharsets.UTF_8)
        .replace(core.digest(), "0".repeat(64));
    String altered = p[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
        payload.getBytes(StandardCharsets.UTF_8)) + "." + p[2];
    assertThat(refused(altered)).isEqualTo(ReasonCode.SIGNATURE_INVALID);
  }

  @Test
  @DisplayName("ATT-4 a measurement list whose TIM does not match its entries, and a component"
      + " whose digest is not that of its files (the expected TIM with a different list), are"
      + " refused MEASUREMENT_MISMATCH")
  void verify_inconsistentMeasurements_refused() throws Exception {
    Evidence good = Evidence.of("ne-1", NONCE, Instant.now(), List.of(core, etc),
        Optional.empty());
    Evidence wrongTim = new Evidence(Evidence.FORMAT, "ne-1", good.nonce(), good.measuredAt(),
        good.trustBase(), good.components(), "ab".repeat(32), Optional.empty());
    assertThat(refused(signed(wrongTim))).isEqualTo(ReasonCode.MEASUREMENT_MISMATCH);
    // The NE claims core's expected digest but lists other files (an implant among them).
    List<org.neguard.measure.TreeDigest.Leaf> files = new java.util.ArrayList<>(core.leaves());
    files.add(new org.neguard.measure.TreeDigest.Leaf("bin/implant", "cd".repeat(32), 0755));
    Evidence.Component lying = new Evidence.Component("core", core.reference(), core.digest(),
        files);
    assertThat(refused(signed(Evidence.of("ne-1", NONCE, Instant.now(), List.of(lying, etc),
        Optional.empty())))).isEqualTo(ReasonCode.MEASUREMENT_MISMATCH);
  }

  @Test
  @DisplayName("ATT-4 OBJ-2 components reported by their digest alone: the TIM still covers"
      + " them (a TIM that is not their chain is refused MEASUREMENT_MISMATCH); only a digest"
      + " exactly the known one goes without files")
  void verify_componentsWithoutFiles_timStillChecked() throws Exception {
    Map<String, String> known = Map.of("core", core.digest(), "platform:etc", "ab".repeat(32));
    List<Evidence.Component> sent = Evidence.withoutFilesWhere(List.of(core, etc),
        (name, digest) -> digest.equals(known.get(name)));
    assertThat(sent.get(0).filesReported()).isFalse();
    assertThat(sent.get(1)).as("etc at another digest than the known one: with its files")
        .isEqualTo(etc);
    Evidence e = Evidence.of("ne-1", NONCE, Instant.now(), sent, Optional.empty());
    Evidence back = EvidenceVerifier.verify(signed(e), device.getPublic(), "ne-1", NONCE,
        Optional.empty());
    assertThat(back).isEqualTo(e);
    assertThat(back.tim()).isEqualTo(PlatformTim.of(List.of(core.chained(), etc.chained())));
    Evidence wrongTim = new Evidence(Evidence.FORMAT, "ne-1", e.nonce(), e.measuredAt(),
        e.trustBase(), e.components(), "ab".repeat(32), Optional.empty());
    assertThat(refused(signed(wrongTim))).isEqualTo(ReasonCode.MEASUREMENT_MISMATCH);
    assertThat(Evidence.withoutFilesWhere(List.of(core), (name, digest) -> false))
        .containsExactly(core);
    assertThatThrownBy(() -> new Evidence.Component("core", core.reference(), core.digest(),
        core.leaves(), false)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("ATT-4 headers and payloads read strictly: alg none or HS256, an extra header,"
      + " a duplicate key, an unknown field, two components of one name, oversized evidence")
  void verify_malformedEvidence_refused() throws Exception {
    Evidence e = Evidence.of("ne-1", NONCE, Instant.now(), List.of(core), Optional.empty());
    String body = payload(e);
    assertThat(refused(raw("{\"alg\":\"none\",\"typ\":\"neguard-evidence+jws\"}", body)))
        .isEqualTo(ReasonCode.ALGORITHM_NOT_ALLOWED);
    assertThat(refused(raw("{\"alg\":\"HS256\",\"typ\":\"neguard-evidence+jws\"}", body)))
        .isEqualTo(ReasonCode.ALGORITHM_NOT_ALLOWED);
    assertThat(refused(raw("{\"alg\":\"RS256\",\"typ\":\"neguard-evidence+jws\",\"jku\":"
        + "\"https://x\"}", body))).isEqualTo(ReasonCode.MALFORMED);
    // The control: the same raw signing of the untouched payload verifies.
    assertThat(EvidenceVerifier.verify(raw(HEADER, body), device.getPublic(), "ne-1", NONCE,
        Optional.empty())).isEqualTo(e);
    assertThat(refused(raw(HEADER, body.replaceFirst("\\{", "{\"nonce\":\"" + "11".repeat(16)
        + "\",")))).isEqualTo(ReasonCode.MALFORMED);
    assertThat(refused(raw(HEADER, body.replaceFirst("\\{", "{\"extra\":1,"))))
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(refused(signed(new Evidence(Evidence.FORMAT, "ne-1", e.nonce(), e.measuredAt(),
        e.trustBase(), List.of(core, core), e.tim(), Optional.empty()))))
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(refused("a".repeat(EvidenceVerifier.MAX_LENGTH + 1)))
        .isEqualTo(ReasonCode.SIZE_LIMIT);
    assertThat(refused(signed(e) + "="))
        .isEqualTo(ReasonCode.MALFORMED);
  }

  @Test
  @DisplayName("ATT-4 TPM trust base: the quote of the PCR the NE extended, with the event log"
      + " that replays to it, verifies with the attestation key; a TPM device's evidence without"
      + " a quote is refused UNSIGNED; components not the log's latest, or a quote naming"
      + " another PCR than the bound one, MEASUREMENT_MISMATCH")
  void verify_tpmEvidence() throws Exception {
    try (SoftwareTpm tpm = SoftwareTpm.start(dir.resolve("tpm"))) {
      tpm.ok("tpm2_createek", "-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub");
      tpm.ok("tpm2_createak", "-C", "ek.ctx", "-c", "ak.ctx", "-G", "ecc", "-g", "sha256",
          "-s", "ecdsa", "-u", "ak.pub", "-n", "ak.name");
      TpmPublic ak = TpmPublic.attestationKey(Files.readAllBytes(tpm.dir().resolve("ak.pub")));
      List<Evidence.Component> cs = List.of(core, etc);
      EventLog log = EventLog.start(14, 0, 0);
      for (EventLog.Event ev : log.changesTo(cs.stream().map(Evidence.Component::chained)
          .toList())) {
        tpm.ok("tpm2_pcrextend", "14:sha256=" + HexFormat.of().formatHex(ev.extended()));
        log = log.append(ev);
      }
      tpm.ok("tpm2_quote", "-c", "ak.ctx", "-l", "sha256:14", "-q",
          HexFormat.of().formatHex(NONCE), "-m", "q.msg", "-s", "q.sig", "-f", "plain", "-g",
          "sha256");
      byte[] msg = Files.readAllBytes(tpm.dir().resolve("q.msg"));
      TpmQuote clock = TpmQuote.parse(msg);
      // The log is of the TPM boot the quote says (the header is not extended).
      log = new EventLog(14, Integer.toUnsignedLong(clock.resetCount()),
          Integer.toUnsignedLong(clock.restartCount()), log.events());
      Evidence.Quote quote = new Evidence.Quote(14, msg, Files.readAllBytes(tpm.dir().resolve(
          "q.sig")), log.bytes());
      Evidence e = Evidence.of("ne-1", NONCE, Instant.now(), cs, Optional.of(quote));
      Evidence back = EvidenceVerifier.verify(signed(e), device.getPublic(), "ne-1", NONCE,
          Optional.of(new TpmBinding(ak.key(), 14)));
      assertThat(back.trustBase()).isEqualTo(Evidence.TrustBase.TPM);

      Evidence soft = Evidence.of("ne-1", NONCE, Instant.now(), cs, Optional.empty());
      assertThat(TpmQuoteTest.refusal(() -> EvidenceVerifier.verify(signed(soft),
          device.getPublic(), "ne-1", NONCE, Optional.of(new TpmBinding(ak.key(), 14)))))
          .isEqualTo(ReasonCode.UNSIGNED);
      // The NE reports only core while the PCR holds core and etc.
      Evidence partial = Evidence.of("ne-1", NONCE, Instant.now(), List.of(core),
          Optional.of(quote));
      assertThat(TpmQuoteTest.refusal(() -> EvidenceVerifier.verify(signed(partial),
          device.getPublic(), "ne-1", NONCE, Optional.of(new TpmBinding(ak.key(), 14)))))
          .isEqualTo(ReasonCode.MEASUREMENT_MISMATCH);
      // The device claims its measurements are in PCR 23; the verifier bound it to PCR 14 (and
      // the other way round): the PCR is the verifier's, so either is refused.
      Evidence otherPcr = Evidence.of("ne-1", NONCE, Instant.now(), cs, Optional.of(
          new Evidence.Quote(23, quote.attest(), quote.signature(), quote.eventLog())));
      assertThat(TpmQuoteTest.refusal(() -> EvidenceVerifier.verify(signed(otherPcr),
          device.getPublic(), "ne-1", NONCE, Optional.of(new TpmBinding(ak.key(), 14)))))
          .isEqualTo(ReasonCode.MEASUREMENT_MISMATCH);
      assertThat(TpmQuoteTest.refusal(() -> EvidenceVerifier.verify(signed(e),
          device.getPublic(), "ne-1", NONCE, Optional.of(new TpmBinding(ak.key(), 23)))))
          .isEqualTo(ReasonCode.MEASUREMENT_MISMATCH);
    }
  }
}
