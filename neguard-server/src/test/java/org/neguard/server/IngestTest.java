package org.neguard.server;

import org.neguard.measure.Sha256;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import org.neguard.pkg.BundleLimits;
import org.neguard.pkg.BundleReader;
import org.neguard.scanreport.ScanReportCheck;
import org.neguard.scanreport.ScanPolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.pkg.BundleVerifier;
import org.neguard.progress.ProgressListener;
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
    String sha = r.json().path("sha256").asText();
    assertThat(sha).isEqualTo(sha256(b));
    assertThat(s.data().resolve("packages/" + sha + ".ngp")).exists().hasSameBinaryContentAs(b);
    Http.Response again = s.http.upload(b, publisher);
    assertThat(again.status()).as("%s", again).isEqualTo(200);
    Http.Response got = s.http.get("/api/packages/mme-core/1.0.0", s.token(Role.OPERATOR));
    assertThat(got.json().path("sha256").asText()).isEqualTo(sha);
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
    assertThat(s.data().resolve("packages/" + got.json().path("sha256").asText() + ".ngp"))
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

  static String sha256(Path file) throws Exception {
    return Sha256.hex(file);
  }

  /**
   * Two different files with one signed manifest: one scanned bundle signed twice (an ECDSA
   * signature differs each time). Whatever else can give two files one manifest (a ZIP that
   * shows different readers different contents), the server must tell them apart the same way.
   */
  static Path[] twoFilesOneManifest(String name, long seed) throws Exception {
    Path scanned = Bundles.scanned(Bundles.unsigned(work, name, "1.0.0", seed, LIB));
    Path a = work.resolve(name + "-a.ngp");
    Path b = work.resolve(name + "-b.ngp");
    Files.copy(scanned, a);
    Files.copy(scanned, b);
    TestPki.Signer signer = s.pki.codeSigner();
    Bundles.sign(a, signer.material());
    Bundles.sign(b, signer.material());
    try (BundleReader ra = BundleReader.open(a, BundleLimits.defaults());
        BundleReader rb = BundleReader.open(b, BundleLimits.defaults())) {
      assertThat(ra.manifestBytes()).isEqualTo(rb.manifestBytes());
    }
    assertThat(sha256(a)).isNotEqualTo(sha256(b));
    return new Path[] {a, b};
  }

  @Test
  @DisplayName("SRC-2 INT-1 a second, different file with the same manifest: 409 CONFLICT,"
      + " downloads are the verified file with its SHA-256")
  void upload_sameManifestOtherFile_conflictAndDownloadIsTheStoredFile() throws Exception {
    Path[] f = twoFilesOneManifest("doppel", 20);
    Http.Response first = s.http.upload(f[0], publisher);
    assertThat(first.status()).as("%s", first).isEqualTo(201);
    assertThat(first.json().path("sha256").asText()).isEqualTo(sha256(f[0]));
    Http.Response other = assertRefused(f[1], 409, "CONFLICT");
    assertThat(other.json().path("reasons").path(0).path("message").asText())
        .contains(sha256(f[0]));
    Http.Response again = s.http.upload(f[0], publisher);
    assertThat(again.status()).as("identical re-upload is idempotent: %s", again).isEqualTo(200);

    HttpResponse<byte[]> dl = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            s.server.url().resolve("/api/packages/doppel/1.0.0/bundle"))
        .header("Authorization", "Bearer " + s.token(Role.OPERATOR)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(dl.statusCode()).isEqualTo(200);
    assertThat(dl.body()).isEqualTo(Files.readAllBytes(f[0]));
    String b64 = Base64.getEncoder().encodeToString(HexFormat.of().parseHex(sha256(f[0])));
    assertThat(dl.headers().firstValue("Repr-Digest")).hasValue("sha-256=:" + b64 + ":");
    assertThat(dl.headers().firstValue("ETag")).hasValue("\"" + sha256(f[0]) + "\"");
  }

  @Test
  @DisplayName("SRC-2 parallel uploads of different files for one name and version: the"
      + " database's unique constraint lets exactly one be stored")
  void upload_parallelDifferentFilesForOneNameVersion_exactlyOneStored() throws Exception {
    Path[] same = twoFilesOneManifest("race", 21);
    List<Path> files = List.of(same[0], same[1],
        Bundles.signed(work, "race", "1.0.0", 22, LIB, s.pki.codeSigner().material()),
        Bundles.signed(work, "race", "1.0.0", 23, LIB, s.pki.codeSigner().material()));
    List<Http.Response> r = s.http.uploadAllAtOnce(files, publisher);
    assertThat(r).as("%s", r).filteredOn(x -> x.status() == 201).hasSize(1);
    assertThat(r).as("%s", r).filteredOn(x -> x.status() == 409 && x.code().equals("CONFLICT"))
        .hasSize(files.size() - 1);
    Path winner = files.get(r.indexOf(r.stream().filter(x -> x.status() == 201).findFirst()
        .orElseThrow()));
    Http.Response got = s.http.get("/api/packages/race/1.0.0", publisher);
    assertThat(got.json().path("sha256").asText()).isEqualTo(sha256(winner));
    assertThat(s.data().resolve("packages/" + sha256(winner) + ".ngp"))
        .hasSameBinaryContentAs(winner);
    assertThat(s.storedFiles()).as("one file per recorded package, nothing else")
        .hasSize(packageCount());
  }

  @Test
  @DisplayName("SRC-2 OBJ-1 an upload failing inside the server after verification: a reasoned"
      + " 500, no stack trace, an audit row, nothing stored")
  void upload_storeFailsInsideServer_internalReasonAuditedNothingStored() throws Exception {
    Path b = Bundles.signed(work, "obstacle", "1.0.0", 30, LIB, s.pki.codeSigner().material());
    // A directory where the verified bundle is to be moved makes the store fail.
    Path obstacle = s.data().resolve("packages/" + sha256(b) + ".ngp");
    Files.createDirectories(obstacle.resolve("in-the-way"));
    try {
      int before = packageCount();
      Http.Response r = s.http.upload(b, publisher);
      assertThat(r.status()).as("%s", r).isEqualTo(500);
      assertThat(r.code()).isEqualTo("INTERNAL");
      assertThat(r.json().path("verdict").asText()).isEqualTo("error");
      assertThat(r.body()).doesNotContain("Exception").doesNotContain("\tat ")
          .contains("nothing was stored");
      assertThat(packageCount()).isEqualTo(before);
      assertThat(listTmp()).isEmpty();
      Http.Response audit = s.http.get("/api/audit?tail=true&limit=3", s.adminToken());
      assertThat(audit.body()).contains("PACKAGE_UPLOAD").contains("INTERNAL: the server failed");
    } finally {
      TestServer.delete(obstacle);
    }
  }

  @Test
  @DisplayName("AV-2 the signature database's age is judged at upload by the server's clock, not"
      + " only at the scan time the report states")
  void upload_databaseStaleAtUploadButFreshAtStatedScanTime_refusedScanPolicy() throws Exception {
    Instant now = Instant.now();
    Path b = Bundles.sign(Bundles.withReport(
        Bundles.unsigned(work, "stale-db", "1.0.0", 40, LIB),
        now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(29))),
        s.pki.codeSigner().material());
    // The scan-time judgement alone (what pkg verify applies) passes it: a day old at the scan.
    BundleVerifier.builder(s.pki.trust()).check(new ScanReportCheck(ScanPolicy.defaults())).build()
        .verify(b, ProgressListener.NONE);
    Http.Response r = assertRefused(b, 422, "SCAN_POLICY");
    assertThat(r.json().path("reasons").path(0).path("message").asText())
        .contains("30 days old at upload").contains("Scan the package again");
  }

  @Test
  @DisplayName("SRC-2 an anonymous request declaring 1 GiB is answered and closed after at most"
      + " the swallow bound, not read in full")
  void hugeAnonymousBody_answeredThenClosedAfterBoundNotReadInFull() throws Exception {
    for (String path : List.of("/api/packages", "/api/auth/login", "/api/users")) {
      long declared = 1L << 30;
      try (Socket socket = new Socket("127.0.0.1", s.server.port())) {
        socket.setSoTimeout(30_000);
        OutputStream out = socket.getOutputStream();
        out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
            + "application/json\r\nContent-Length: " + declared + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        AtomicLong sent = new AtomicLong();
        Thread writer = new Thread(() -> {
          byte[] chunk = new byte[64 << 10];
          try {
            while (sent.get() < declared) {
              out.write(chunk);
              sent.addAndGet(chunk.length);
            }
          } catch (java.io.IOException e) {
            // the server closed the connection: what this test wants
          }
        });
        writer.start();
        byte[] answer = socket.getInputStream().readAllBytes(); // to the server's close
        writer.join(60_000);
        assertThat(writer.isAlive()).isFalse();
        String head = new String(answer, StandardCharsets.ISO_8859_1);
        assertThat(head).as(path).startsWith("HTTP/1.1 4").containsIgnoringCase(
            "Connection: close");
        assertThat(sent.get()).as("bytes the client got to send to %s before the close", path)
            .isLessThan(64L << 20);
      }
    }
  }

  /**
   * A ZIP of one empty entry whose central directory lists it {@code records} times (ZIP64 end
   * records, as the count needs): about 47 bytes a record, so two million make 94 MB.
   */
  static Path manyCentralDirectoryRecords(Path out, int records) throws Exception {
    try (java.io.DataOutputStream o = new java.io.DataOutputStream(
        new java.io.BufferedOutputStream(Files.newOutputStream(out), 1 << 20))) {
      java.nio.ByteBuffer local = java.nio.ByteBuffer.allocate(31)
          .order(java.nio.ByteOrder.LITTLE_ENDIAN);
      local.putInt(0x04034b50).putShort((short) 10).putShort((short) 0).putShort((short) 0)
          .putShort((short) 0).putShort((short) 0x21).putInt(0).putInt(0).putInt(0)
          .putShort((short) 1).putShort((short) 0).put((byte) 'a');
      o.write(local.array());
      java.nio.ByteBuffer cd = java.nio.ByteBuffer.allocate(47)
          .order(java.nio.ByteOrder.LITTLE_ENDIAN);
      cd.putInt(0x02014b50).putShort((short) 0x031e).putShort((short) 10).putShort((short) 0)
          .putShort((short) 0).putShort((short) 0).putShort((short) 0x21).putInt(0).putInt(0)
          .putInt(0).putShort((short) 1).putShort((short) 0).putShort((short) 0)
          .putShort((short) 0).putShort((short) 0).putInt(0).putInt(0).put((byte) 'a');
      for (int i = 0; i < records; i++) {
        o.write(cd.array());
      }
      long cdOffset = 31;
      long cdSize = 47L * records;
      long zip64At = cdOffset + cdSize;
      java.nio.ByteBuffer end = java.nio.ByteBuffer.allocate(56 + 20 + 22)
          .order(java.nio.ByteOrder.LITTLE_ENDIAN);
      end.putInt(0x06064b50).putLong(44).putShort((short) 45).putShort((short) 45).putInt(0)
          .putInt(0).putLong(records).putLong(records).putLong(cdSize).putLong(cdOffset);
      end.putInt(0x07064b50).putInt(0).putLong(zip64At).putInt(1);
      end.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) 0xffff)
          .putShort((short) 0xffff).putInt(0xffffffff).putInt(0xffffffff).putShort((short) 0);
      o.write(end.array());
    }
    return out;
  }

  @Test
  @DisplayName("SRC-2 OBJ-1 two million central-directory records in a small heap: the upload"
      + " ends in a reasoned answer without stack trace, and in the audit log")
  void upload_twoMillionCentralDirectoryRecords_reasonedAnswerAndAuditRow() throws Exception {
    Path dir = Files.createTempDirectory("neguard-ingest-oom-");
    try {
      TestServer.prepare(dir, s.pki);
      Path zip = manyCentralDirectoryRecords(dir.resolve("records.ngp"), 2_000_000);
      assertThat(Files.size(zip)).isGreaterThan(90_000_000L);
      // A heap the records do not fit in, so a reader that materializes them all runs out.
      try (ServerProcess p = ServerProcess.start(dir.resolve("data"), dir.resolve("admin-password"),
          null, Map.of(), List.of("-Xmx160m"))) {
        Http http = new Http(p.url);
        String admin = http.login("admin", TestServer.ADMIN_PASSWORD);
        assertThat(http.post("/api/users", admin, Map.of("username", "pub", "password",
            "publisher-password", "roles", List.of("publisher"))).status()).isEqualTo(201);
        Http.Response r = http.upload(zip, http.login("pub", "publisher-password"));
        assertThat(r.status()).as("%s\nserver output:\n%s", r, p.output()).isBetween(400, 599);
        assertThat(r.code()).as("%s", r).matches("[A-Z_]+");
        assertThat(r.body()).doesNotContain("Exception").doesNotContain("\tat ");
        Http.Response audit = http.get("/api/audit?tail=true&limit=2", admin);
        assertThat(audit.json().findValuesAsText("action")).contains("PACKAGE_UPLOAD");
        assertThat(audit.body()).contains("\"failure\"").contains(r.code());
        assertThat(http.get("/actuator/health", null).status()).isEqualTo(200);
        assertThat(http.get("/api/packages", admin).json().size()).isZero();
      }
      try (var st = Files.list(dir.resolve("data/tmp"))) {
        assertThat(st.toList()).isEmpty();
      }
    } finally {
      TestServer.delete(dir);
    }
  }

  @Test
  @DisplayName("SRC-1 a chunked JSON body past the 1 MiB limit: 413 SIZE_LIMIT and the connection"
      + " closed, not read to its end")
  void chunkedBodyPastLimit_sizeLimitAndClosed() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", s.server.port())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write(("POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
          + "application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      AtomicLong sent = new AtomicLong();
      Thread writer = new Thread(() -> {
        byte[] chunk = ("10000\r\n" + " ".repeat(0x10000) + "\r\n")
            .getBytes(StandardCharsets.US_ASCII);
        try {
          while (sent.get() < (1L << 30)) {
            out.write(chunk);
            sent.addAndGet(0x10000);
          }
        } catch (java.io.IOException e) {
          // closed by the server
        }
      });
      writer.start();
      String answer = new String(socket.getInputStream().readAllBytes(),
          StandardCharsets.ISO_8859_1);
      writer.join(60_000);
      assertThat(answer).startsWith("HTTP/1.1 413").containsIgnoringCase("Connection: close")
          .contains("SIZE_LIMIT");
      assertThat(sent.get()).isLessThan(64L << 20);
    }
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
