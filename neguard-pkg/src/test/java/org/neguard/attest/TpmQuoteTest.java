package org.neguard.attest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.measure.PlatformTim;
import org.neguard.testing.SoftwareTpm;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * TPM 2.0 quotes made by a real (software) TPM, verified in Java: the PCR the TPM extended
 * with the component digests must be exactly the chain the verifier replays
 * (sha256-pcr-chain-v1), over the nonce the verifier sent, signed by the attestation key.
 */
class TpmQuoteTest {
  static final int PCR = 16;
  static Path dir;
  static SoftwareTpm tpm;
  static PublicKey ak;
  static List<PlatformTim.Component> components;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("neguard-tpm-quote-test-");
    tpm = SoftwareTpm.start(dir);
    tpm.ok("tpm2_createek", "-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub");
    tpm.ok("tpm2_createak", "-C", "ek.ctx", "-c", "ak.ctx", "-G", "ecc", "-g", "sha256", "-s",
        "ecdsa", "-u", "ak.pem", "-f", "pem", "-n", "ak.name");
    ak = pem(dir.resolve("ak.pem"));
    components = List.of(
        new PlatformTim.Component("core", "8faddc3e49c81312c404f9ef4cd1626047a83a92baa5c0569a01b547fc6c6c3e", PlatformTim.Reference.VENDOR_SIGNED),
        new PlatformTim.Component("platform:etc", "13a9dbd12367f3a60ecb42749bbf715604628169af449d6207baa3daf9520dc2", PlatformTim.Reference.OPERATOR_BASELINE));
    // The NE's side: extend each component digest into the PCR, in chain order.
    tpm.ok("tpm2_pcrreset", String.valueOf(PCR));
    for (PlatformTim.Component c : PlatformTim.sorted(components)) {
      tpm.ok("tpm2_pcrextend", PCR + ":sha256=" + c.digest());
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (tpm != null) {
      tpm.close();
    }
    org.neguard.io.FileTrees.deleteTree(dir);
  }

  static PublicKey pem(Path file) throws Exception {
    String b64 = Files.readString(file).replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "")
        .replaceAll("\\s", "");
    byte[] der = Base64.getDecoder().decode(b64);
    String alg = Files.readString(file).length() > 300 ? "RSA" : "EC";
    return KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(der));
  }

  /** A quote of the PCR over {@code nonce}: the TPMS_ATTEST bytes and the signature. */
  static byte[][] quote(byte[] nonce) throws Exception {
    tpm.ok("tpm2_quote", "-c", "ak.ctx", "-l", "sha256:" + PCR, "-q",
        HexFormat.of().formatHex(nonce), "-m", "quote.msg", "-s", "quote.sig", "-f", "plain",
        "-g", "sha256");
    return new byte[][] {Files.readAllBytes(dir.resolve("quote.msg")),
        Files.readAllBytes(dir.resolve("quote.sig"))};
  }

  static Map<Integer, byte[]> expected(List<PlatformTim.Component> cs) {
    List<String> steps = PlatformTim.replay(cs);
    return Map.of(PCR, HexFormat.of().parseHex(steps.get(steps.size() - 1)));
  }

  static byte[] nonce(int seed) {
    byte[] n = new byte[32];
    new java.util.Random(seed).nextBytes(n);
    return n;
  }

  public static ReasonCode refusal(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(call);
    assertThat(t).isInstanceOf(RefusalException.class);
    return ((RefusalException) t).reasons().get(0).code();
  }

  @Test
  @DisplayName("ATT-4 OBJ-2 a quote of the PCR the NE extended verifies against the TIM the"
      + " verifier replays from the component list, over its nonce")
  void verify_freshQuoteOfTheReplayedChain_accepted() throws Exception {
    byte[] n = nonce(1);
    byte[][] q = quote(n);
    TpmQuote quote = TpmQuote.verify(q[0], q[1], ak, n, expected(components));
    assertThat(quote.extraData()).isEqualTo(n);
    assertThat(quote.pcrs()).containsEntry(TpmQuote.ALG_SHA256, List.of(PCR));
    assertThat(quote.safe()).isTrue();
    // What tpm2_pcrread says the PCR is: T(n) of docs/MEASUREMENT.md, computed by the TPM.
    String read = tpm.ok("tpm2_pcrread", "sha256:" + PCR);
    assertThat(read.toLowerCase()).contains(PlatformTim.of(components));
  }

  @Test
  @DisplayName("ATT-4 replayed evidence: a quote over an old nonce is refused NONCE_MISMATCH")
  void verify_oldNonce_refused() throws Exception {
    byte[][] old = quote(nonce(2));
    assertThat(refusal(() -> TpmQuote.verify(old[0], old[1], ak, nonce(3),
        expected(components)))).isEqualTo(ReasonCode.NONCE_MISMATCH);
  }

  @Test
  @DisplayName("ATT-4 OBJ-2 an NE that reports the expected component list while its PCR holds"
      + " another chain (a changed component) is refused MEASUREMENT_MISMATCH")
  void verify_pcrNotTheReportedList_refused() throws Exception {
    byte[] n = nonce(4);
    byte[][] q = quote(n);
    List<PlatformTim.Component> claimed = List.of(components.get(0), new PlatformTim.Component(
        "platform:etc", "0".repeat(64), PlatformTim.Reference.OPERATOR_BASELINE));
    assertThat(refusal(() -> TpmQuote.verify(q[0], q[1], ak, n, expected(claimed))))
        .isEqualTo(ReasonCode.MEASUREMENT_MISMATCH);
  }

  @Test
  @DisplayName("ATT-4 a quote with one byte changed, or signed by another key, is refused"
      + " SIGNATURE_INVALID; a quote of other PCRs MEASUREMENT_MISMATCH")
  void verify_alteredOrOtherKeyOrOtherPcrs_refused() throws Exception {
    byte[] n = nonce(5);
    byte[][] q = quote(n);
    byte[] altered = q[0].clone();
    altered[altered.length - 1] ^= 1; // the PCR digest's last byte
    assertThat(refusal(() -> TpmQuote.verify(altered, q[1], ak, n, expected(components))))
        .isEqualTo(ReasonCode.SIGNATURE_INVALID);
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    PublicKey other = g.generateKeyPair().getPublic();
    assertThat(refusal(() -> TpmQuote.verify(q[0], q[1], other, n, expected(components))))
        .isEqualTo(ReasonCode.SIGNATURE_INVALID);
    byte[] garbage = {0x30, 0x02, 0x01};
    assertThat(refusal(() -> TpmQuote.verify(q[0], garbage, ak, n, expected(components))))
        .isEqualTo(ReasonCode.SIGNATURE_INVALID);
    Map<Integer, byte[]> twoPcrs = new java.util.HashMap<>(expected(components));
    twoPcrs.put(23, new byte[32]);
    assertThat(refusal(() -> TpmQuote.verify(q[0], q[1], ak, n, twoPcrs)))
        .isEqualTo(ReasonCode.MEASUREMENT_MISMATCH);
  }

  @Test
  @DisplayName("ATT-4 a changed PCR after the measurement (another extend) no longer verifies")
  void verify_pcrExtendedAgain_refused() throws Exception {
    tpm.ok("tpm2_pcrextend", PCR + ":sha256=" + "ab".repeat(32));
    try {
      byte[] n = nonce(6);
      byte[][] q = quote(n);
      assertThat(refusal(() -> TpmQuote.verify(q[0], q[1], ak, n, expected(components))))
          .isEqualTo(ReasonCode.MEASUREMENT_MISMATCH);
    } finally {
      tpm.ok("tpm2_pcrreset", String.valueOf(PCR));
      for (PlatformTim.Component c : PlatformTim.sorted(components)) {
        tpm.ok("tpm2_pcrextend", PCR + ":sha256=" + c.digest());
      }
    }
  }

  @Test
  @DisplayName("ATT-4 the parser: not a TPM structure, truncated, trailing bytes, oversized"
      + " fields are MALFORMED; more than 2 KiB is SIZE_LIMIT before parsing")
  void parse_badStructures_refused() throws Exception {
    byte[] good = quote(nonce(7))[0];
    assertThat(TpmQuote.parse(good).extraData()).isEqualTo(nonce(7));
    byte[] magic = good.clone();
    magic[0] = 0;
    assertThat(refusal(() -> TpmQuote.parse(magic))).isEqualTo(ReasonCode.MALFORMED);
    byte[] type = good.clone();
    type[5] = 0x17; // TPM_ST_ATTEST_CERTIFY
    assertThat(refusal(() -> TpmQuote.parse(type))).isEqualTo(ReasonCode.MALFORMED);
    assertThat(refusal(() -> TpmQuote.parse(java.util.Arrays.copyOf(good, good.length - 1))))
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(refusal(() -> TpmQuote.parse(java.util.Arrays.copyOf(good, good.length + 1))))
        .isEqualTo(ReasonCode.MALFORMED);
    byte[] bigName = good.clone();
    bigName[6] = (byte) 0xff; // qualifiedSigner's size: 0xff22
    assertThat(refusal(() -> TpmQuote.parse(bigName))).isEqualTo(ReasonCode.MALFORMED);
    assertThat(refusal(() -> TpmQuote.parse(new byte[4096]))).isEqualTo(ReasonCode.SIZE_LIMIT);
  }
}
