package org.neguard.tuf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/** Key files: encrypted PKCS#8 private keys and TUF-JSON public keys. */
@DisplayName("SRC-2 TUF key files: encrypted PKCS#8 PEM and TUF-JSON public keys")
class TufKeyFilesTest {
  private static final char[] PASSWORD = "correct horse".toCharArray();

  @TempDir Path tmp;

  private static void assertRefused(ReasonCode code, org.junit.jupiter.api.function.Executable e) {
    assertThatThrownBy(e::execute).isInstanceOfSatisfying(RefusalException.class,
        r -> assertThat(r.code()).as(r.getMessage()).isEqualTo(code));
  }

  @Test
  @DisplayName("SRC-2: both key types round-trip through an encrypted file, owner-only")
  void privateKey_roundTrip() throws Exception {
    for (KeyType type : KeyType.values()) {
      SigningKey k = SigningKey.generate(type);
      Path file = tmp.resolve(type + ".pem");
      TufKeyFiles.writePrivateKey(file, k.privateKey(), PASSWORD);
      assertThat(Files.readString(file)).startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
          .isEqualTo("rw-------");
      SigningKey back = TufKeyFiles.readSigningKey(file, PASSWORD);
      assertThat(back.key()).isEqualTo(k.key());
      byte[] data = "x".getBytes(StandardCharsets.UTF_8);
      assertThat(k.key().verifies(data, back.sign(data))).isTrue();
      assertRefused(ReasonCode.IO_ERROR,
          () -> TufKeyFiles.writePrivateKey(file, k.privateKey(), PASSWORD));
    }
  }

  @Test
  @DisplayName("SRC-2: a wrong password, a clear key or no key is BAD_INPUT")
  void privateKey_refused() throws Exception {
    SigningKey k = SigningKey.generate(KeyType.ED25519);
    byte[] pem = TufKeyFiles.encryptPrivateKey(k.privateKey(), PASSWORD);
    assertRefused(ReasonCode.BAD_INPUT,
        () -> TufKeyFiles.decryptPrivateKey(pem, "wrong".toCharArray()));
    assertRefused(ReasonCode.BAD_INPUT, () -> TufKeyFiles.decryptPrivateKey(pem, new char[0]));
    byte[] clear = ("-----BEGIN PRIVATE KEY-----\n"
        + java.util.Base64.getMimeEncoder().encodeToString(k.privateKey().getEncoded())
        + "\n-----END PRIVATE KEY-----\n").getBytes(StandardCharsets.US_ASCII);
    assertRefused(ReasonCode.BAD_INPUT, () -> TufKeyFiles.decryptPrivateKey(clear, PASSWORD));
    assertRefused(ReasonCode.BAD_INPUT,
        () -> TufKeyFiles.decryptPrivateKey("junk".getBytes(StandardCharsets.US_ASCII), PASSWORD));
    assertRefused(ReasonCode.IO_ERROR,
        () -> TufKeyFiles.readPrivateKey(tmp.resolve("missing.pem"), PASSWORD));
  }

  @Test
  @DisplayName("SRC-2: openssl reads the encrypted key file and finds the same public key")
  void privateKey_readByOpenssl() throws Exception {
    Path openssl = org.neguard.testing.RequiredProgram.require("openssl");
    for (KeyType type : KeyType.values()) {
      SigningKey k = SigningKey.generate(type);
      Path file = tmp.resolve(type + "-openssl.pem");
      TufKeyFiles.writePrivateKey(file, k.privateKey(), PASSWORD);
      Process p = new ProcessBuilder(openssl.toString(), "pkey", "-in", file.toString(),
          "-passin", "pass:" + new String(PASSWORD), "-pubout", "-outform", "DER")
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      byte[] spki = p.getInputStream().readAllBytes();
      assertThat(p.waitFor()).isZero();
      assertThat(TufKey.of(java.security.KeyFactory.getInstance(
          type == KeyType.ED25519 ? "Ed25519" : "EC")
          .generatePublic(new java.security.spec.X509EncodedKeySpec(spki)))).isEqualTo(k.key());
    }
  }

  @Test
  @DisplayName("SRC-2: a public key file is the TUF key JSON and reads back")
  void publicKey_roundTrip() throws Exception {
    for (KeyType type : KeyType.values()) {
      TufKey key = SigningKey.generate(type).key();
      Path file = tmp.resolve(type + ".pub.json");
      TufKeyFiles.writePublicKey(file, key);
      assertThat(TufKeyFiles.readPublicKey(file)).isEqualTo(key);
      assertThat(Files.readString(file)).startsWith("{\"keytype\":\"" + type.keytype() + "\"");
    }
    Path bad = tmp.resolve("bad.json");
    Files.writeString(bad, "{\"keytype\":\"ed25519\"}");
    assertRefused(ReasonCode.MALFORMED, () -> TufKeyFiles.readPublicKey(bad));
  }
}
