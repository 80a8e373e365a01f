package org.neguard.attest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.testing.SoftwareTpm;
import org.neguard.verdict.ReasonCode;

/**
 * Binding an attestation key to its TPM at enrollment: the verifier reads the EK and AK public
 * areas in Java, makes a credential for the AK's name under the EK, and only the real (software)
 * TPM holding both gives the secret back.
 */
class CredentialTest {
  static Path dir;
  static SoftwareTpm tpm;
  static TpmPublic ek;
  static TpmPublic ak;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("neguard-credential-test-");
    tpm = SoftwareTpm.start(dir);
    tpm.ok("tpm2_createek", "-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub");
    tpm.ok("tpm2_createak", "-C", "ek.ctx", "-c", "ak.ctx", "-G", "ecc", "-g", "sha256", "-s",
        "ecdsa", "-u", "ak.pub", "-n", "ak.name");
    tpm.ok("tpm2_createak", "-C", "ek.ctx", "-c", "ak2.ctx", "-G", "ecc", "-g", "sha256", "-s",
        "ecdsa", "-u", "ak2.pub", "-n", "ak2.name");
    ek = TpmPublic.endorsementKey(Files.readAllBytes(dir.resolve("ek.pub")));
    ak = TpmPublic.attestationKey(Files.readAllBytes(dir.resolve("ak.pub")));
  }

  @AfterAll
  static void stop() throws Exception {
    if (tpm != null) {
      tpm.close();
    }
    org.neguard.io.FileTrees.deleteTree(dir);
  }

  /** tpm2_activatecredential with the EK's policy (endorsement hierarchy secret). */
  static SoftwareTpm.Run activate(String akContext, byte[] credential) throws Exception {
    Files.write(dir.resolve("cred.in"), credential);
    Files.deleteIfExists(dir.resolve("cred.out"));
    tpm.ok("tpm2_startauthsession", "--policy-session", "-S", "session.ctx");
    try {
      tpm.ok("tpm2_policysecret", "-S", "session.ctx", "-c", "e");
      return tpm.run("tpm2_activatecredential", "-c", akContext, "-C", "ek.ctx", "-i",
          "cred.in", "-o", "cred.out", "-P", "session:session.ctx");
    } finally {
      tpm.run("tpm2_flushcontext", "session.ctx");
    }
  }

  @Test
  @DisplayName("ATT-1 REC-3 the AK's name computed in Java is the TPM's; a credential made in"
      + " Java for it is activated by the TPM, which gives back exactly the secret")
  void make_forTheAkInThisTpm_activated() throws Exception {
    assertThat(ak.name()).isEqualTo(Files.readAllBytes(dir.resolve("ak.name")));
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    SoftwareTpm.Run r = activate("ak.ctx", Credential.make(ek, ak.name(), secret,
        new SecureRandom()));
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(Files.readAllBytes(dir.resolve("cred.out"))).isEqualTo(secret);
  }

  @Test
  @DisplayName("ATT-1 a credential for another key's name is not activated with this AK (the"
      + " TPM's integrity check fails): a key outside the TPM cannot pose as its AK")
  void make_forAnotherName_notActivated() throws Exception {
    byte[] otherName = Files.readAllBytes(dir.resolve("ak2.name"));
    SoftwareTpm.Run r = activate("ak.ctx", Credential.make(ek, otherName, new byte[] {1, 2, 3},
        new SecureRandom()));
    assertThat(r.exit()).as(r.output()).isNotZero();
    assertThat(dir.resolve("cred.out")).doesNotExist();
  }

  @Test
  @DisplayName("ATT-4 a quote signed by the AK verifies with the key read from its public area")
  void attestationKey_verifiesItsQuotes() throws Exception {
    tpm.ok("tpm2_pcrreset", "16");
    byte[] nonce = HexFormat.of().parseHex("00112233445566778899aabbccddeeff");
    tpm.ok("tpm2_quote", "-c", "ak.ctx", "-l", "sha256:16", "-q",
        HexFormat.of().formatHex(nonce), "-m", "q.msg", "-s", "q.sig", "-f", "plain", "-g",
        "sha256");
    TpmQuote q = TpmQuote.verify(Files.readAllBytes(dir.resolve("q.msg")),
        Files.readAllBytes(dir.resolve("q.sig")), ak.key(), nonce, Map.of(16, new byte[32]));
    assertThat(q.qualifiedSigner()).hasSize(34);
  }

  @Test
  @DisplayName("ATT-1 an ordinary signing key (not restricted) is refused as an AK KEY_USAGE,"
      + " the AK as an EK, and broken public areas MALFORMED")
  void publicAreas_wrongKindsAndBrokenBytes_refused() throws Exception {
    tpm.ok("tpm2_createprimary", "-C", "o", "-c", "primary.ctx");
    tpm.ok("tpm2_create", "-C", "primary.ctx", "-G", "ecc256:ecdsa-sha256", "-u", "plain.pub", "-r",
        "plain.priv", "-a", "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign");
    byte[] plain = Files.readAllBytes(dir.resolve("plain.pub"));
    assertThat(TpmQuoteTest.refusal(() -> TpmPublic.attestationKey(plain)))
        .isEqualTo(ReasonCode.KEY_USAGE);
    byte[] akBytes = Files.readAllBytes(dir.resolve("ak.pub"));
    assertThat(TpmQuoteTest.refusal(() -> TpmPublic.endorsementKey(akBytes)))
        .isEqualTo(ReasonCode.KEY_USAGE);
    for (byte[] broken : List.of(java.util.Arrays.copyOf(akBytes, akBytes.length - 1),
        java.util.Arrays.copyOf(akBytes, akBytes.length + 1), new byte[] {0, 0},
        new byte[] {0})) {
      assertThat(TpmQuoteTest.refusal(() -> TpmPublic.attestationKey(broken)))
          .as(HexFormat.of().formatHex(broken)).isEqualTo(ReasonCode.MALFORMED);
    }
  }
}
