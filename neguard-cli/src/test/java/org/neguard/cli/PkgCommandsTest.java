package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.Certificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.neguard.pki.KeyType;
import org.neguard.demo.DemoClamd;
import org.neguard.testing.RequiredProgram;
import org.neguard.testing.TestPki;

/** The pkg and pki commands end to end, in process, with the exit-code and JSON contract. */
class PkgCommandsTest {
  /** One real clamd for the class: every built bundle is scanned, so the gate lets it be signed. */
  static DemoClamd clamd;

  @TempDir Path dir;
  Path pki;
  Path tree;
  Path bundle;

  @BeforeAll
  static void startClamd() throws Exception {
    RequiredProgram.require("clamd");
    clamd = DemoClamd.builder(Files.createTempDirectory("neguard-test-").resolve("clamd")).start();
  }

  @AfterAll
  static void stopClamd() throws IOException {
    if (clamd != null) {
      Path parent = clamd.socket().getParent().getParent();
      clamd.close();
      Files.deleteIfExists(parent);
    }
  }

  @BeforeEach
  void demoPkiAndTree() throws IOException {
    pki = dir.resolve("pki");
    CliRun demo = CliRun.of("pki", "demo", "--out", pki.toString());
    assertThat(demo.exit()).as(demo.toString()).isZero();
    assertThat(demo.out()).contains("NOT FOR PRODUCTION");
    tree = dir.resolve("tree");
    Files.createDirectories(tree.resolve("bin"));
    Files.writeString(tree.resolve("bin/run"), "#!/bin/sh\necho hi\n");
    Files.setPosixFilePermissions(tree.resolve("bin/run"), PosixFilePermissions.fromString("rwxr-x---"));
    Files.writeString(tree.resolve("notes.txt"), "notes\n".repeat(1000));
    bundle = dir.resolve("p.ngp");
  }

  /** Builds the bundle and, when that worked, scans it clean with the real clamd. */
  private CliRun build() {
    CliRun run = CliRun.of("pkg", "build", "--name", "p", "--version", "2.1", "--security-version",
        "7", "--ne-type", "henb", "--vendor", "ACME", "--from", tree.toString(), "--out",
        bundle.toString(), "--json");
    if (run.exit() == 0) {
      CliRun scan = CliRun.of("pkg", "scan", bundle.toString(), "--engine", clamd.unixSpec());
      assertThat(scan.exit()).as(scan.toString()).isZero();
    }
    return run;
  }

  private CliRun sign(Path file) {
    return CliRun.of("pkg", "sign", file.toString(), "--key", pki.resolve("vendor.key").toString(),
        "--cert", pki.resolve("vendor.pem").toString());
  }

  private CliRun verify(Path file, String... extra) {
    String[] base = {"pkg", "verify", file.toString(), "--trust", pki.resolve("ca.pem").toString(),
        "--json"};
    String[] all = new String[base.length + extra.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(extra, 0, all, base.length, extra.length);
    return CliRun.of(all);
  }

  @Test
  void buildSignVerify_passes_withJsonDetails() {
    // INT-1, INT-2, INT-4: a package built and signed by the vendor verifies at the operator.
    CliRun built = build();
    assertThat(built.exit()).as(built.toString()).isZero();
    assertThat(built.json().path("signed").asBoolean()).isFalse();
    assertThat(sign(bundle).exit()).isZero();
    CliRun v = verify(bundle);
    assertThat(v.exit()).as(v.toString()).isZero();
    JsonNode json = v.json();
    assertThat(json.path("verdict").asText()).isEqualTo("pass");
    assertThat(json.path("reasons")).isEmpty();
    assertThat(json.at("/package/securityVersion").asLong()).isEqualTo(7);
    assertThat(json.at("/package/fileCount").asInt()).isEqualTo(2);
    assertThat(json.at("/signer/subject").asText()).contains("DEMO Vendor");
  }

  @Test
  void verify_unsigned_exits3WithUnsigned() {
    assertThat(build().exit()).isZero();
    CliRun v = verify(bundle);
    assertThat(v.exit()).isEqualTo(3);
    assertThat(v.json().path("verdict").asText()).isEqualTo("fail");
    assertThat(v.json().at("/reasons/0/code").asText()).isEqualTo("UNSIGNED");
  }

  @Test
  void verify_tamperedByte_exits3WithDigestMismatchInTextAndJson() throws IOException {
    assertThat(build().exit()).isZero();
    assertThat(sign(bundle).exit()).isZero();
    byte[] bytes = Files.readAllBytes(bundle);
    // bin/run is tiny and stored as it is: find the script text and change one byte.
    byte[] script = "echo hi".getBytes(StandardCharsets.UTF_8);
    int at = indexOf(bytes, script);
    assertThat(at).as("stored script found").isPositive();
    bytes[at + 5] = 'H';
    Path tampered = dir.resolve("t.ngp");
    Files.write(tampered, bytes);
    CliRun json = verify(tampered);
    assertThat(json.exit()).isEqualTo(3);
    assertThat(json.json().at("/reasons/0/code").asText()).isEqualTo("DIGEST_MISMATCH");
    assertThat(json.json().at("/reasons/0/subject").asText()).isEqualTo("bin/run");
    CliRun text = CliRun.of("pkg", "verify", tampered.toString(), "--trust",
        pki.resolve("ca.pem").toString());
    assertThat(text.exit()).isEqualTo(3);
    assertThat(text.out()).startsWith("FAIL  " + tampered).contains("DIGEST_MISMATCH", "bin/run");
  }

  @Test
  void verify_wrongTrustAnchor_exits3CertUntrusted() throws IOException {
    assertThat(build().exit()).isZero();
    assertThat(sign(bundle).exit()).isZero();
    Path other = TestPki.create("CN=Other Root").writeRoot(dir.resolve("other.pem"));
    CliRun v = CliRun.of("pkg", "verify", bundle.toString(), "--trust", other.toString(), "--json");
    assertThat(v.exit()).isEqualTo(3);
    assertThat(v.json().at("/reasons/0/code").asText()).isEqualTo("CERT_UNTRUSTED");
  }

  @Test
  void verify_missingFile_exits1WithIoErrorAndNoStackTrace() {
    CliRun v = CliRun.of("pkg", "verify", dir.resolve("nope.ngp").toString(), "--trust",
        pki.resolve("ca.pem").toString());
    assertThat(v.exit()).isEqualTo(1);
    assertThat(v.err()).contains("IO_ERROR", "nope.ngp").doesNotContain("\tat ", "Exception");
  }

  @Test
  void verify_trustFileWithoutCertificates_exits1TrustConfig() throws IOException {
    assertThat(build().exit()).isZero();
    Path empty = Files.writeString(dir.resolve("empty.pem"), "nothing here\n");
    CliRun v = CliRun.of("pkg", "verify", bundle.toString(), "--trust", empty.toString(), "--json");
    assertThat(v.exit()).isEqualTo(1);
    assertThat(v.json().path("verdict").asText()).isEqualTo("error");
    assertThat(v.json().at("/reasons/0/code").asText()).isEqualTo("TRUST_CONFIG");
  }

  @Test
  void verify_withoutTrust_isUsageError2() {
    CliRun v = CliRun.of("pkg", "verify", "x.ngp");
    assertThat(v.exit()).isEqualTo(2);
    assertThat(v.err()).contains("--trust");
  }

  @Test
  void sign_withBothKeyAndKeystore_isUsageError2() {
    CliRun v = CliRun.of("pkg", "sign", "x.ngp", "--key", "k", "--cert", "c", "--keystore", "p");
    assertThat(v.exit()).isEqualTo(2);
  }

  @ParameterizedTest
  @ValueSource(strings = {"pkg build", "pkg scan", "pkg sign", "pkg verify", "pkg inspect",
      "pkg extract", "pkg scan-report",
      "pki demo", "quickstart", "pkg", "pki"})
  void help_everyCommand_exits0(String command) {
    String[] args = (command + " --help").split(" ");
    CliRun run = CliRun.of(args);
    assertThat(run.exit()).as(run.toString()).isZero();
    assertThat(run.out()).contains("Usage:");
  }

  @Test
  void inspect_listsFilesUnverified() {
    assertThat(build().exit()).isZero();
    CliRun run = CliRun.of("pkg", "inspect", bundle.toString(), "--json");
    assertThat(run.exit()).as(run.toString()).isZero();
    assertThat(run.json().path("verified").asBoolean()).isFalse();
    assertThat(run.json().at("/package/files/0/path").asText()).isEqualTo("bin/run");
    assertThat(run.json().at("/package/files/0/mode").asText()).isEqualTo("0750");
    CliRun text = CliRun.of("pkg", "inspect", bundle.toString());
    assertThat(text.out()).contains("NOT verified", "none (unsigned)", "notes.txt");
  }

  @Test
  void extract_verifiesThenWritesFilesWithModes() throws IOException {
    // INT-3: verification again at installation.
    assertThat(build().exit()).isZero();
    assertThat(sign(bundle).exit()).isZero();
    Path to = dir.resolve("installed");
    CliRun run = CliRun.of("pkg", "extract", bundle.toString(), "--to", to.toString(), "--trust",
        pki.resolve("ca.pem").toString());
    assertThat(run.exit()).as(run.toString()).isZero();
    assertThat(to.resolve("bin/run")).hasSameTextualContentAs(tree.resolve("bin/run"));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(to.resolve("bin/run"))))
        .isEqualTo("rwxr-x---");
  }

  @Test
  void extract_unsignedBundle_exits3AndWritesNothing() throws IOException {
    assertThat(build().exit()).isZero();
    Path to = dir.resolve("installed");
    CliRun run = CliRun.of("pkg", "extract", bundle.toString(), "--to", to.toString(), "--trust",
        pki.resolve("ca.pem").toString());
    assertThat(run.exit()).isEqualTo(3);
    assertThat(to).doesNotExist();
  }

  @Test
  void sign_withPkcs12KeystoreAndPassFile_verifies() throws Exception {
    assertThat(build().exit()).isZero();
    TestPki ca = TestPki.create();
    TestPki.Signer signer = ca.codeSigner(KeyType.RSA_2048);
    char[] password = "s3cret pass".toCharArray();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("vendor", signer.key().getPrivate(), password,
        new Certificate[] {signer.cert(), ca.root});
    Path p12 = dir.resolve("vendor.p12");
    try (var out = Files.newOutputStream(p12)) {
      ks.store(out, password);
    }
    Path pass = Files.writeString(dir.resolve("pass.txt"), "s3cret pass\n");
    CliRun signed = CliRun.of("pkg", "sign", bundle.toString(), "--keystore", p12.toString(),
        "--pass-file", pass.toString(), "--rsa-padding", "pkcs1", "--json");
    assertThat(signed.exit()).as(signed.toString()).isZero();
    assertThat(signed.json().path("signatureAlgorithm").asText()).isEqualTo("SHA256withRSA");
    Path root = ca.writeRoot(dir.resolve("root.pem"));
    CliRun v = CliRun.of("pkg", "verify", bundle.toString(), "--trust", root.toString(), "--json");
    assertThat(v.exit()).as(v.toString()).isZero();
  }

  @Test
  void sign_wrongKeystorePassword_exits1BadInput() throws Exception {
    assertThat(build().exit()).isZero();
    TestPki ca = TestPki.create();
    TestPki.Signer signer = ca.codeSigner();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("v", signer.key().getPrivate(), "right".toCharArray(),
        new Certificate[] {signer.cert()});
    Path p12 = dir.resolve("v.p12");
    try (var out = Files.newOutputStream(p12)) {
      ks.store(out, "right".toCharArray());
    }
    Path pass = Files.writeString(dir.resolve("pass.txt"), "wrong\n");
    CliRun signed = CliRun.of("pkg", "sign", bundle.toString(), "--keystore", p12.toString(),
        "--pass-file", pass.toString(), "--json");
    assertThat(signed.exit()).isEqualTo(1);
    assertThat(signed.json().at("/reasons/0/code").asText()).isEqualTo("BAD_INPUT");
    assertThat(signed.json().at("/reasons/0/message").asText()).contains("wrong password");
  }

  @Test
  void build_existingOutWithoutForce_refused() throws IOException {
    Files.writeString(bundle, "keep me");
    CliRun run = build();
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.json().at("/reasons/0/message").asText()).contains("--force");
    assertThat(Files.readString(bundle)).isEqualTo("keep me");
  }

  @Test
  void build_badName_exits1NamingTheField() {
    CliRun run = CliRun.of("pkg", "build", "--name", "bad name", "--version", "1",
        "--security-version", "1", "--ne-type", "mme", "--vendor", "V", "--from",
        tree.toString(), "--out", bundle.toString(), "--json");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.json().at("/reasons/0/message").asText()).contains("name");
    assertThat(bundle).doesNotExist();
  }

  @Test
  void verify_trustBoundToVendor_passesOnlyForTheBoundVendor() {
    // SRC-2, INT-2: --trust VENDOR=CA.pem binds each anchor to the vendor it speaks for.
    assertThat(build().exit()).isZero();
    assertThat(sign(bundle).exit()).isZero();
    Path rival = dir.resolve("rival-pki");
    assertThat(CliRun.of("pki", "demo", "--out", rival.toString()).exit()).isZero();
    String ca = pki.resolve("ca.pem").toString();
    String rivalCa = rival.resolve("ca.pem").toString();

    CliRun bound = CliRun.of("pkg", "verify", bundle.toString(), "--trust", "ACME=" + ca,
        "--trust", "Rival=" + rivalCa, "--json");
    CliRun swapped = CliRun.of("pkg", "verify", bundle.toString(), "--trust", "Rival=" + ca,
        "--trust", "ACME=" + rivalCa, "--json");
    CliRun unbound = CliRun.of("pkg", "verify", bundle.toString(), "--trust", ca, "--trust",
        rivalCa, "--json");
    CliRun empty = CliRun.of("pkg", "verify", bundle.toString(), "--trust", "ACME=");

    assertThat(bound.exit()).as(bound.toString()).isZero();
    assertThat(swapped.exit()).as(swapped.toString()).isEqualTo(3);
    assertThat(swapped.json().at("/reasons/0/code").asText()).isEqualTo("VENDOR_MISMATCH");
    assertThat(swapped.json().at("/reasons/0/message").asText())
        .contains("'ACME'", "vendor 'Rival'");
    assertThat(unbound.exit()).as(unbound.toString()).isEqualTo(3);
    assertThat(unbound.json().at("/reasons/0/code").asText()).isEqualTo("VENDOR_MISMATCH");
    assertThat(empty.exit()).as(empty.toString()).isEqualTo(2);
    assertThat(empty.err()).contains("VENDOR=CA.pem").doesNotContain("Exception");
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
