package org.neguard.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.pkg.BundleVerifier;
import org.neguard.pkg.ProgressListener;
import org.neguard.pki.KeyType;
import org.neguard.server.TestServer.Role;
import org.neguard.testing.TestPki;
import org.neguard.verdict.RefusalException;

/**
 * Verified ingest (SRC-2, OBJ-1): the real server on loopback, driven over HTTP. Every refused
 * upload must answer the reason code {@code pkg verify} gives and leave nothing in the package
 * store, the temp directory or the catalogue.
 */
@DisplayName("SRC-2 verified ingest")
class IngestTest {
  static TestServer s;
  static Path work;
  static String publisher;
  static final int LIB = 200_000;

  @BeforeAll
  static void start() throws Exception {
    s = TestServer.start();
    work = s.dir.resolve("work");
    Files.createDirectories(work);
    publisher = s.token(Role.PUBLISHER);
  }

  @AfterAll
  static void stop() throws Exception {
    if (s != null) {
      s.close();
    }
  }

  private static int packageCount() {
    return s.http.get("/api/packages", s.adminToken()).json().size();
  }

  /** Uploads {@code bundle}, expects a refusal with {@code code} and {@code status}. */
  private static Http.Response assertRefused(Path bundle, int status, String code) {
    int before = packageCount();
    Http.Response r = s.http.upload(bundle, publisher);
    assertThat(r.status()).as("%s", r).isEqualTo(status);
    assertThat(r.code()).as("%s", r).isEqualTo(code);
    assertThat(r.json().path("verdict").asText()).isIn("fail", "error");
    assertThat(r.json().path("reasons").path(0).path("message").asText()).hasSizeGreaterThan(15)
        .doesNotContain("Exception").doesNotContain("\tat ");
    assertThat(packageCount()).isEqualTo(before);
    assertThat(s.storedFiles()).as("no temp file, nothing stored")
        .allMatch(f -> !f.startsWith("tmp/"))
        .hasSize(stored());
    return r;
  }

  private static int stored() {
    return packageCount(); // one file per recorded package, nothing else
  }

  /** The code core's verifier gives for the same file, to prove the server answers the same. */
  private static String coreCode(Path bundle) throws Exception {
    try {
      BundleVerifier.of(s.pki.trust()).verify(bundle, ProgressListener.NONE);
      return "PASS";
    } catch (RefusalException e) {
      return e.code().name();
    }
  }

  @Test
  void upload_signedBundle_storedOnceThenSameAgainIsIdempotent() throws Exception {
    Path b = Bundles.signed(work, "mme-core", "1.0.0", 1, LIB, s.pki.codeSigner().material());
    Http.Response r = s.http.upload(b, publisher);
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    assertThat(r.json().path("name").asText()).isEqualTo("mme-core");
    assertThat(r.json().path("signerSubject").asText()).contains("Test Signer");
    String sha = r.json().path("manifestSha256").asText();
    assertThat(s.data().resolve("packages/" + sha + ".ngp")).exists().hasSameBinaryContentAs(b);
    Http.Response again = s.http.upload(b, publisher);
    assertThat(again.status()).as("%s", again).isEqualTo(200);
    Http.Response got = s.http.get("/api/packages/mme-core/1.0.0", s.token(Role.OPERATOR));
    assertThat(got.json().path("manifestSha256").asText()).isEqualTo(sha);
    Http.Response audit = s.http.get("/api/audit?tail=true&limit=5", s.token(Role.AUDITOR));
    assertThat(audit.body()).contains("PACKAGE_UPLOAD").contains("accepted");
  }

  @Test
  void upload_sameNameVersionOtherContent_conflict() throws Exception {
    Path first = Bundles.signed(work, "sgw", "2.0.0", 2, LIB, s.pki.codeSigner().material());
    assertThat(s.http.upload(first, publisher).status()).isEqualTo(201);
    Path other = Bundles.signed(work, "sgw", "2.0.0", 3, LIB, s.pki.codeSigner().material());
    assertRefused(other, 409, "CONFLICT");
    Http.Response got = s.http.get("/api/packages/sgw/2.0.0", publisher);
    assertThat(s.data().resolve("packages/" + got.json().path("manifestSha256").asText() + ".ngp"))
        .hasSameBinaryContentAs(first);
  }

  @Test
  void upload_tamperedPayload_refusedWithDigestMismatch() throws Exception {
    Path good = Bundles.signed(work, "tamper", "1.0.0", 4, LIB, s.pki.codeSigner().material());
    Path bad = Bundles.tampered(good, 4, LIB);
    assertThat(coreCode(bad)).isEqualTo("DIGEST_MISMATCH");
    Http.Response r = assertRefused(bad, 422, "DIGEST_MISMATCH");
    assertThat(r.json().path("reasons").path(0).path("subject").asText()).isEqualTo("lib/lib.so");
  }

  @Test
  void upload_unsigned_refusedUnsigned() throws Exception {
    Path b = Bundles.unsigned(work, "nosig", "1.0.0", 5, LIB);
    assertThat(coreCode(b)).isEqualTo("UNSIGNED");
    assertRefused(b, 422, "UNSIGNED");
  }

  @Test
  void upload_untrustedSigner_refusedCertUntrusted() throws Exception {
    Path b = Bundles.signed(work, "other-ca", "1.0.0", 6, LIB,
        TestPki.create("CN=Other Root,O=Elsewhere").codeSigner().material());
    assertThat(coreCode(b)).isEqualTo("CERT_UNTRUSTED");
    assertRefused(b, 422, "CERT_UNTRUSTED");
  }

  @Test
  void upload_expiredSigner_refusedCertValidity() throws Exception {
    TestPki.Signer expired = s.pki.signer(KeyType.EC_P256,
        Instant.now().minus(Duration.ofDays(10)), Instant.now().minus(Duration.ofDays(1)), true);
    Path b = Bundles.signed(work, "expired", "1.0.0", 7, LIB, expired.material());
    assertThat(coreCode(b)).isEqualTo("CERT_VALIDITY");
    assertRefused(b, 422, "CERT_VALIDITY");
  }

  @Test
  void upload_revokedSigner_refusedCertRevoked() throws Exception {
    TestPki.Signer signer = s.pki.codeSigner();
    Path crl = TestPki.writeCrl(s.data().resolve("trust/crls/root.pem"), s.pki.crl(signer.cert()));
    try {
      Path b = Bundles.signed(work, "revoked", "1.0.0", 8, LIB, signer.material());
      assertRefused(b, 422, "CERT_REVOKED");
    } finally {
      Files.delete(crl);
    }
  }

  @Test
  @DisplayName("SRC-2: with two bound vendor CAs, a package naming one vendor signed by the other's"
      + " signer is refused VENDOR_MISMATCH; the vendor's own signer is accepted")
  void upload_signedByAnotherTrustedVendor_refusedVendorMismatch() throws Exception {
    Path anchors = s.data().resolve("trust/anchors");
    TestPki rival = TestPki.create("CN=Rival Root CA,O=Rival Radio");
    Path rivalRoot = rival.writeRoot(anchors.resolve("rival-root.pem"));
    Path rivalBinding = Files.writeString(anchors.resolve("rival-root.pem.vendors"),
        "Rival Radio\n");
    Path ownBinding = Files.writeString(anchors.resolve("vendor-root.pem.vendors"),
        "Test Vendor\n");
    try {
      Http.Response trust = s.http.get("/api/trust", s.token(Role.AUDITOR));
      assertThat(trust.json().path("anchors").findValuesAsText("speaksFor"))
          .contains("vendor 'Rival Radio'", "vendor 'Test Vendor'");
      Path forged = Bundles.signed(work, "claims-test-vendor", "1.0.0", 13, LIB,
          rival.codeSigner().material());
      assertRefused(forged, 422, "VENDOR_MISMATCH");
      Path own = Bundles.signed(work, "own-vendor", "1.0.0", 14, LIB,
          s.pki.codeSigner().material());
      assertThat(s.http.upload(own, publisher).status()).isEqualTo(201);
      // Unbound, the second anchor makes the first speak for no vendor: fail closed.
      Files.delete(ownBinding);
      Path unbound = Bundles.signed(work, "own-vendor-unbound", "1.0.0", 15, LIB,
          s.pki.codeSigner().material());
      assertRefused(unbound, 422, "VENDOR_MISMATCH");
    } finally {
      Files.deleteIfExists(ownBinding);
      Files.delete(rivalBinding);
      Files.delete(rivalRoot);
    }
  }

  @Test
  void upload_malformed_refusedMalformed() throws Exception {
    Path b = work.resolve("garbage.ngp");
    Files.write(b, Bundles.library(9, 5000));
    assertThat(coreCode(b)).isIn("MALFORMED", "STRUCTURE");
    assertRefused(b, 422, coreCode(b));
    Path empty = work.resolve("empty.ngp");
    Files.write(empty, new byte[0]);
    assertRefused(empty, 422, "MALFORMED");
  }

  @Test
  void upload_truncated_refused() throws Exception {
    Path good = Bundles.signed(work, "trunc", "1.0.0", 10, LIB, s.pki.codeSigner().material());
    byte[] bytes = Files.readAllBytes(good);
    Path cut = work.resolve("truncated.ngp");
    Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    assertRefused(cut, 422, coreCode(cut));
  }

  @Test
  void upload_noTrustAnchor_refusedTrustConfigAndNothingStored() throws Exception {
    Path anchor = s.data().resolve("trust/anchors/vendor-root.pem");
    Path aside = s.dir.resolve("anchor-aside.pem");
    Files.move(anchor, aside);
    try {
      Path b = Bundles.signed(work, "noanchor", "1.0.0", 11, LIB, s.pki.codeSigner().material());
      assertRefused(b, 503, "TRUST_CONFIG");
    } finally {
      Files.move(aside, anchor);
    }
  }

  @Test
  void upload_interruptedMidStream_nothingStoredNoTempFile() throws Exception {
    Path b = Bundles.signed(work, "cut-off", "1.0.0", 12, 3_000_000,
        s.pki.codeSigner().material());
    byte[] bytes = Files.readAllBytes(b);
    int before = packageCount();
    try (Socket socket = new Socket("127.0.0.1", s.server.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(("POST /api/packages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
          + publisher + "\r\nContent-Type: application/octet-stream\r\nContent-Length: "
          + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(bytes, 0, bytes.length / 2);
      out.flush();
      waitFor(() -> !listTmp().isEmpty(), "the upload's temp file");
    } // the client dies: the connection closes with half the body sent
    waitFor(() -> listTmp().isEmpty(), "the temp file to be removed");
    assertThat(packageCount()).isEqualTo(before);
    Http.Response audit = s.http.get("/api/audit?tail=true&limit=3", s.adminToken());
    assertThat(audit.body()).contains("broke off");
  }

  @Test
  void upload_wrongRoleOrNoToken_refusedBeforeReadingAndNothingStored() throws Exception {
    Path b = Bundles.signed(work, "norole", "1.0.0", 13, LIB, s.pki.codeSigner().material());
    int before = packageCount();
    assertThat(s.http.upload(b, null).status()).isEqualTo(401);
    assertThat(s.http.upload(b, s.token(Role.OPERATOR)).status()).isEqualTo(403);
    assertThat(s.http.upload(b, s.token(Role.ADMIN)).status()).isEqualTo(403);
    assertThat(packageCount()).isEqualTo(before);
    assertThat(listTmp()).isEmpty();
  }

  static List<Path> listTmp() {
    try (var st = Files.list(s.data().resolve("tmp"))) {
      return st.toList();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static void waitFor(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

}
