package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.neguard.pkg.BundleLimits;
import org.neguard.pkg.BundleReader;
import org.neguard.pkg.BundleSigner;
import org.neguard.progress.ProgressListener;
import org.neguard.pkg.ScanReportWriter;
import org.neguard.demo.DemoClamd;
import org.neguard.sign.KeyMaterial;
import org.neguard.testing.RequiredProgram;
import org.neguard.testing.ZipEdits;

/**
 * The anti-virus gate end to end (AV-1, AV-2, AV-3, INT-4): {@code pkg scan} against a real
 * clamd, the reports in the bundle, and {@code pkg sign}, {@code pkg verify}, {@code pkg
 * scan-report} refusing whatever is found, skipped, edited, copied or stale.
 */
class PkgScanCommandsTest {
  private static final int DB_VERSION = 4711;
  static Path clamdRoot;
  static DemoClamd clamd;

  @TempDir Path dir;
  Path pki;

  @BeforeAll
  static void startClamd() throws Exception {
    RequiredProgram.require("clamd");
    RequiredProgram.require("sigtool");
    clamdRoot = Files.createTempDirectory("neguard-scan-test-");
    clamd = DemoClamd.builder(clamdRoot.resolve("fresh")).databaseVersion(DB_VERSION).start();
  }

  @AfterAll
  static void stopClamd() throws IOException {
    if (clamd != null) {
      clamd.close();
    }
    if (clamdRoot != null) {
      Files.deleteIfExists(clamdRoot);
    }
  }

  @BeforeEach
  void demoPki() {
    pki = dir.resolve("pki");
    assertThat(CliRun.of("pki", "demo", "--out", pki.toString()).exit()).isZero();
  }

  @Test
  void scan_cleanPackage_writesSignedReportWithEngineDatabaseHostTimesAndDigest() throws Exception {
    // AV-1 scanned by a real engine; AV-3 the package carries the report; INT-4 signed with it.
    Path bundle = build("clean", Map.of("bin/run", "#!/bin/sh\n", "etc/a.conf", "x=1\n"));
    CliRun scan = scan(bundle, "--json", "--note", "test database");
    assertThat(scan.exit()).as(scan.toString()).isZero();
    JsonNode report = scan.json().at("/scanReports/0");
    assertThat(report.path("product").asText()).isEqualTo("ClamAV");
    assertThat(report.path("engineVersion").asText()).matches("[0-9]+\\.[0-9]+.*");
    assertThat(report.path("databaseVersion").asText()).isEqualTo(Integer.toString(DB_VERSION));
    assertThat(Instant.parse(report.path("databaseDate").asText()))
        .isBetween(Instant.now().minus(Duration.ofHours(1)), Instant.now().plusSeconds(60));
    assertThat(report.path("scanHost").asText()).isNotBlank();
    assertThat(report.path("verdict").asText()).isEqualTo("CLEAN");
    assertThat(report.path("notes").get(0).asText()).isEqualTo("test database");
    assertThat(report.path("payloadDigest").asText())
        .isEqualTo(scan.json().at("/package/rim/digest").asText());

    assertThat(sign(bundle).exit()).isZero();
    CliRun verify = verify(bundle, "--json");
    assertThat(verify.exit()).as(verify.toString()).isZero();
    assertThat(verify.json().at("/scanReports/0/databaseVersion").asText())
        .isEqualTo(Integer.toString(DB_VERSION));
    // The report is plain JSON in the bundle, and the manifest lists its digest.
    String json = entry(bundle, "neguard/scan/01-clamd.json");
    assertThat(json).contains("\"product\" : \"ClamAV\"", "\"verdict\" : \"CLEAN\"");
    assertThat(entry(bundle, "neguard/manifest.json")).contains("neguard/scan/01-clamd.json");
    assertThat(CliRun.of("pkg", "inspect", bundle.toString()).out())
        .contains("CLEAN", "ClamAV", Integer.toString(DB_VERSION));
  }

  @Test
  void scan_eicarInPayload_exits3Infected_andSignRefuses() throws Exception {
    // AV-2: published only when no engine detects anything.
    Path bundle = build("eicar", Map.of("bin/run", "ok\n", "lib/x.dat", DemoClamd.EICAR));
    CliRun scan = scan(bundle, "--json");
    assertThat(scan.exit()).as(scan.toString()).isEqualTo(3);
    assertThat(scan.json().at("/reasons/0/code").asText()).isEqualTo("INFECTED");
    assertThat(scan.json().at("/reasons/0/subject").asText()).isEqualTo("lib/x.dat");
    assertThat(scan.json().at("/reasons/0/message").asText()).contains("NEGuard.Demo.EICAR");
    CliRun sign = sign(bundle, "--json");
    assertThat(sign.exit()).isEqualTo(3);
    assertThat(sign.json().at("/reasons/0/code").asText()).isEqualTo("INFECTED");
    assertUnsigned(bundle);
    assertNoTempFiles();
  }

  @Test
  void scan_eicarInZipInsideTarGz_exits3Infected() throws Exception {
    Path tree = dir.resolve("nested-tree");
    Files.createDirectories(tree.resolve("lib"));
    Files.write(tree.resolve("lib/bundle.tar.gz"), tarGz("inner/plugins.zip",
        zip("plugin/readme.txt", DemoClamd.EICAR.getBytes(StandardCharsets.US_ASCII))));
    Path bundle = buildTree("nested", tree);
    CliRun scan = scan(bundle, "--json");
    assertThat(scan.exit()).as(scan.toString()).isEqualTo(3);
    assertThat(scan.json().at("/reasons/0/code").asText()).isEqualTo("INFECTED");
    assertThat(scan.json().at("/reasons/0/subject").asText()).isEqualTo("lib/bundle.tar.gz");
  }

  @Test
  void sign_unscannedPackage_refusedScanReportMissing() throws Exception {
    Path bundle = build("unscanned", Map.of("a.txt", "a\n"));
    CliRun sign = sign(bundle, "--json");
    assertThat(sign.exit()).isEqualTo(3);
    assertThat(sign.json().at("/reasons/0/code").asText()).isEqualTo("SCAN_REPORT_MISSING");
    assertUnsigned(bundle);
    assertNoTempFiles();
  }

  @Test
  void verify_reportEditedAfterSigning_failsWithDigestMismatch() throws Exception {
    Path bundle = build("edited", Map.of("a.txt", "a\n"));
    assertThat(scan(bundle).exit()).isZero();
    assertThat(sign(bundle).exit()).isZero();
    String report = entry(bundle, "neguard/scan/01-clamd.json");
    // Same length, one character of the scanning host changed: only the digest can tell.
    int at = report.indexOf("\"scanHost\" : \"") + "\"scanHost\" : \"".length();
    char c = report.charAt(at);
    replaceEntry(bundle, "neguard/scan/01-clamd.json",
        report.substring(0, at) + (c == 'x' ? 'y' : 'x') + report.substring(at + 1));
    CliRun verify = verify(bundle, "--json");
    assertThat(verify.exit()).isEqualTo(3);
    assertThat(verify.json().at("/reasons/0/code").asText()).isEqualTo("DIGEST_MISMATCH");
    assertThat(verify.json().at("/reasons/0/subject").asText())
        .isEqualTo("neguard/scan/01-clamd.json");
  }

  @Test
  void sign_reportEditedAfterScanning_failsWithDigestMismatch() throws Exception {
    // An infected verdict edited to clean before signing: the manifest still lists the old bytes.
    Path bundle = build("whitewashed", Map.of("a.txt", DemoClamd.EICAR));
    assertThat(scan(bundle).exit()).isEqualTo(3);
    String report = entry(bundle, "neguard/scan/01-clamd.json");
    String clean = report.replace("\"INFECTED\"", "\"CLEAN\"")
        .replace("\"signature\" : \"NEGuard.Demo.EICAR.UNOFFICIAL\"", "\"signature\" : null");
    replaceEntry(bundle, "neguard/scan/01-clamd.json", clean);
    CliRun sign = sign(bundle, "--json");
    assertThat(sign.exit()).isEqualTo(3);
    assertThat(sign.json().at("/reasons/0/code").asText()).isEqualTo("DIGEST_MISMATCH");
    assertUnsigned(bundle);
  }

  @Test
  void sign_andVerify_reportCopiedFromAnotherPackage_refusedScanReportMismatch() throws Exception {
    Path infected = build("infected", Map.of("a.txt", DemoClamd.EICAR));
    Path donor = build("donor", Map.of("a.txt", "harmless\n"));
    assertThat(scan(donor).exit()).isZero();
    byte[] cleanReport = entry(donor, "neguard/scan/01-clamd.json").getBytes(StandardCharsets.UTF_8);
    // Put the donor's clean report into the infected package, listed with its right digest.
    try (BundleReader reader = BundleReader.open(infected, BundleLimits.defaults())) {
      ScanReportWriter.write(reader, Map.of("neguard/scan/01-clamd.json", cleanReport), infected);
    }
    CliRun sign = sign(infected, "--json");
    assertThat(sign.exit()).as(sign.toString()).isEqualTo(3);
    assertThat(sign.json().at("/reasons/0/code").asText()).isEqualTo("SCAN_REPORT_MISMATCH");
    // Signed anyway by a signer that skips the gate: every verifier still refuses it.
    KeyMaterial key = KeyMaterial.fromPem(pki.resolve("vendor.key"), pki.resolve("vendor.pem"),
        null, null, KeyMaterial.RsaPadding.PSS);
    new BundleSigner().sign(infected, key, infected, false, ProgressListener.NONE);
    CliRun verify = verify(infected, "--json");
    assertThat(verify.exit()).isEqualTo(3);
    assertThat(verify.json().at("/reasons/0/code").asText()).isEqualTo("SCAN_REPORT_MISMATCH");
  }

  @Test
  void sign_staleSignatureDatabase_refusedScanPolicy_unlessPolicyAllowsItsAge() throws Exception {
    Path bundle = build("stale", Map.of("a.txt", "a\n"));
    try (DemoClamd old = DemoClamd.builder(clamdRoot.resolve("stale"))
        .databaseBuilt(Instant.now().minus(Duration.ofDays(30))).start()) {
      CliRun scan = CliRun.of("pkg", "scan", bundle.toString(), "--engine", old.tcpSpec());
      assertThat(scan.exit()).as(scan.toString()).isZero();
    }
    CliRun sign = sign(bundle, "--json");
    assertThat(sign.exit()).isEqualTo(3);
    assertThat(sign.json().at("/reasons/0/code").asText()).isEqualTo("SCAN_POLICY");
    assertThat(sign.json().at("/reasons/0/message").asText()).contains("days old");
    assertThat(sign(bundle, "--max-db-age", "45d").exit()).isZero();
    assertThat(verify(bundle).exit()).isEqualTo(3);
    assertThat(verify(bundle, "--max-db-age", "45d").exit()).isZero();
  }

  @Test
  void scan_clamdNotRunning_exits1EngineUnavailable_andLeavesBundleUntouched() throws Exception {
    Path bundle = build("nodaemon", Map.of("a.txt", "a\n"));
    byte[] before = Files.readAllBytes(bundle);
    CliRun scan = CliRun.of("pkg", "scan", bundle.toString(), "--engine",
        "clamd:unix:" + dir.resolve("no-such.sock"), "--json");
    assertThat(scan.exit()).as(scan.toString()).isEqualTo(1);
    assertThat(scan.json().path("verdict").asText()).isEqualTo("error");
    assertThat(scan.json().at("/reasons/0/code").asText()).isEqualTo("ENGINE_UNAVAILABLE");
    assertThat(Files.readAllBytes(bundle)).isEqualTo(before);
    assertNoTempFiles();
  }

  @Test
  void scan_payloadAlteredAfterBuild_refusedDigestMismatch_noReportWritten() throws Exception {
    // The report would vouch for the manifest's bytes: it is written only for those bytes.
    Path bundle = build("altered", Map.of("a.txt", "harmless\n", "b.txt", "other\n"));
    JsonNode refused = scanAltered(bundle, "payload/a.txt", "harmles5\n", "DIGEST_MISMATCH");
    assertThat(refused.at("/reasons/0/subject").asText()).isEqualTo("a.txt");
  }

  @Test
  void scan_manifestBroken_refusedMalformed_noReportWritten() throws Exception {
    // The manifest is read while the engines run: its refusal still ends the scan, unwritten.
    Path bundle = build("broken", Map.of("a.txt", "harmless\n"));
    scanAltered(bundle, "neguard/manifest.json", "{\"format\": ", "MALFORMED");
  }

  @ParameterizedTest
  @ValueSource(strings = {"harm\n", "harmless, and then some\n"})
  void scan_payloadOfAnotherLength_refusedSizeLimit_noReportWritten(String content)
      throws Exception {
    Path bundle = build("length", Map.of("a.txt", "harmless\n", "b.txt", "other\n"));
    JsonNode refused = scanAltered(bundle, "payload/a.txt", content, "SIZE_LIMIT");
    assertThat(refused.at("/reasons/0/subject").asText()).endsWith("a.txt");
  }

  @Test
  void scan_signedPackage_refusedStructure() throws Exception {
    Path bundle = build("signed", Map.of("a.txt", "a\n"));
    assertThat(scan(bundle).exit()).isZero();
    assertThat(sign(bundle).exit()).isZero();
    CliRun again = scan(bundle, "--json");
    assertThat(again.exit()).isEqualTo(3);
    assertThat(again.json().at("/reasons/0/code").asText()).isEqualTo("STRUCTURE");
    assertThat(verify(bundle).exit()).isZero();
  }

  @Test
  void scan_unknownEngine_isUsageError2() throws Exception {
    Path bundle = build("usage", Map.of("a.txt", "a\n"));
    CliRun scan = CliRun.of("pkg", "scan", bundle.toString(), "--engine", "mcafee://x");
    assertThat(scan.exit()).isEqualTo(2);
    assertThat(scan.err()).contains("unknown engine");
  }

  @Test
  void scanReport_html_showsEnginesDatabasesTimesAndEveryFile_forPassAndFail() throws Exception {
    Path clean = build("report", Map.of("bin/run", "ok\n", "etc/<odd>&name.conf", "x\n"));
    assertThat(scan(clean).exit()).isZero();
    assertThat(sign(clean).exit()).isZero();
    Path html = dir.resolve("out/report.html");
    CliRun run = CliRun.of("pkg", "scan-report", clean.toString(), "--html", html.toString(),
        "--trust", pki.resolve("ca.pem").toString());
    assertThat(run.exit()).as(run.toString()).isZero();
    String page = Files.readString(html);
    assertThat(page).contains("ClamAV", "Signature database version", Integer.toString(DB_VERSION),
        "Scanning host", "Started", "Finished", "bin/run", "etc/&lt;odd&gt;&amp;name.conf",
        "verified: signed by", "PASS");
    assertThat(page).doesNotContain("<odd>", "<script");
    // The page forbids scripts and outside resources itself, as every HTML page NEGuard writes.
    assertThat(page).contains("Content-Security-Policy\" content=\"default-src 'none';");

    Path infected = build("report-bad", Map.of("lib/x.dat", DemoClamd.EICAR));
    assertThat(scan(infected).exit()).isEqualTo(3);
    Path bad = dir.resolve("out/bad.html");
    CliRun failed = CliRun.of("pkg", "scan-report", infected.toString(), "--html", bad.toString());
    assertThat(failed.exit()).isEqualTo(3);
    assertThat(Files.readString(bad)).contains("FAIL", "INFECTED", "NEGuard.Demo.EICAR", "lib/x.dat",
        "not verified");
  }

  // --- helpers ---

  private Path build(String name, Map<String, String> files) throws IOException {
    Path tree = dir.resolve(name + "-tree");
    for (Map.Entry<String, String> f : files.entrySet()) {
      Path p = tree.resolve(f.getKey());
      Files.createDirectories(p.getParent());
      Files.writeString(p, f.getValue(), StandardCharsets.ISO_8859_1);
    }
    return buildTree(name, tree);
  }

  private Path buildTree(String name, Path tree) {
    Path bundle = dir.resolve(name + ".ngp");
    CliRun run = CliRun.of("pkg", "build", "--name", name, "--version", "1.0", "--security-version",
        "1", "--ne-type", "mme", "--vendor", "ACME", "--from", tree.toString(), "--out",
        bundle.toString());
    assertThat(run.exit()).as(run.toString()).isZero();
    return bundle;
  }

  private CliRun scan(Path bundle, String... extra) {
    return CliRun.of(concat(new String[] {"pkg", "scan", bundle.toString(), "--engine",
        clamd.unixSpec()}, extra));
  }

  private CliRun sign(Path bundle, String... extra) {
    return CliRun.of(concat(new String[] {"pkg", "sign", bundle.toString(), "--key",
        pki.resolve("vendor.key").toString(), "--cert", pki.resolve("vendor.pem").toString()},
        extra));
  }

  private CliRun verify(Path bundle, String... extra) {
    return CliRun.of(concat(new String[] {"pkg", "verify", bundle.toString(), "--trust",
        pki.resolve("ca.pem").toString()}, extra));
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = new String[a.length + b.length];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  private static String entry(Path bundle, String name) throws IOException {
    try (ZipFile zip = ZipFile.builder().setPath(bundle).get();
        InputStream in = zip.getInputStream(zip.getEntry(name))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** Rewrites the bundle with one entry's content replaced, everything else copied raw. */
  private static void replaceEntry(Path bundle, String name, String content) throws IOException {
    ZipEdits.replaceEntry(bundle, name, content);
  }

  /**
   * Replaces {@code entry} of {@code bundle} with {@code content} and scans it: refused (exit 3)
   * with {@code code} first, the bundle left as it was and no temporary file beside it. Returns
   * the JSON answer.
   */
  private JsonNode scanAltered(Path bundle, String entry, String content, String code)
      throws IOException {
    replaceEntry(bundle, entry, content);
    byte[] before = Files.readAllBytes(bundle);
    CliRun scan = scan(bundle, "--json");
    assertThat(scan.exit()).as(scan.toString()).isEqualTo(3);
    assertThat(scan.json().at("/reasons/0/code").asText()).isEqualTo(code);
    assertThat(Files.readAllBytes(bundle)).isEqualTo(before);
    assertNoTempFiles();
    return scan.json();
  }

  private static void assertUnsigned(Path bundle) throws IOException {
    try (ZipFile zip = ZipFile.builder().setPath(bundle).get()) {
      assertThat(zip.getEntry("neguard/manifest.json.p7s")).isNull();
    }
  }

  private void assertNoTempFiles() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      List<String> partial = s.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".partial")).toList();
      assertThat(partial).isEmpty();
    }
  }

  private static byte[] zip(String name, byte[] content) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(b)) {
      z.putNextEntry(new ZipEntry(name));
      z.write(content);
      z.closeEntry();
    }
    return b.toByteArray();
  }

  private static byte[] tarGz(String name, byte[] content) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(b))) {
      TarArchiveEntry e = new TarArchiveEntry(name);
      e.setSize(content.length);
      tar.putArchiveEntry(e);
      tar.write(content);
      tar.closeArchiveEntry();
    }
    return b.toByteArray();
  }
}
