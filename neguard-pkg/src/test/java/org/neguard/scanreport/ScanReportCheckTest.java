package org.neguard.scanreport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.neguard.measure.TreeDigest;
import org.neguard.pkg.BundleLayout;
import org.neguard.pkg.Manifest;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The publication gate's rules (AV-2, AV-3) on reports given as data. The same rules against
 * reports made by real engines are in the CLI's scan tests.
 */
class ScanReportCheckTest {
  private static final Instant SCANNED = Instant.parse("2026-11-20T10:00:00Z");
  private static final String SHA = "a".repeat(64);

  private static final Manifest MANIFEST = manifest("mme-core", "1.0.0", "bin/tool", "etc/app.conf");
  private static final ScanReportCheck DEFAULT = new ScanReportCheck(ScanPolicy.defaults());

  @Test
  void check_cleanReportForThisPayload_passes() {
    assertThatCode(() -> DEFAULT.check(MANIFEST, List.of(clamd(MANIFEST, clean(MANIFEST)))))
        .doesNotThrowAnyException();
  }

  @Test
  void check_noReport_refusedScanReportMissing() {
    // AV-2: no engine means no clean report, never clean by default.
    RefusalException e = refused(DEFAULT, MANIFEST, List.of());
    assertThat(e.code()).isEqualTo(ReasonCode.SCAN_REPORT_MISSING);
    assertThat(e.reasons().get(0).message()).contains("neguard pkg scan");
  }

  @Test
  void check_infectedFile_refusedInfectedNamingFileAndSignature() {
    ScanReport r = clamd(MANIFEST, List.of(
        FileResult.clean("bin/tool"),
        FileResult.infected("etc/app.conf", "Eicar-Test-Signature", null)));
    RefusalException e = refused(DEFAULT, MANIFEST, List.of(r));
    assertThat(e.code()).isEqualTo(ReasonCode.INFECTED);
    assertThat(e.reasons().get(0).subject()).isEqualTo("etc/app.conf");
    assertThat(e.reasons().get(0).message()).contains("Eicar-Test-Signature");
  }

  @Test
  void check_fileNotScanned_refusedNotScannedWithWhy() {
    ScanReport r = clamd(MANIFEST, List.of(
        FileResult.notScanned("bin/tool", "larger than clamd's MaxFileSize"),
        FileResult.clean("etc/app.conf")));
    RefusalException e = refused(DEFAULT, MANIFEST, List.of(r));
    assertThat(e.code()).isEqualTo(ReasonCode.NOT_SCANNED);
    assertThat(e.reasons().get(0).message()).contains("MaxFileSize");
  }

  @Test
  void check_reportOfAnotherPayload_refusedMismatch() {
    // A report copied from another package judged other bytes.
    Manifest other = manifest("mme-core", "1.0.0", "bin/tool", "etc/other.conf");
    RefusalException e = refused(DEFAULT, MANIFEST, List.of(clamd(other, clean(other))));
    assertThat(e.code()).isEqualTo(ReasonCode.SCAN_REPORT_MISMATCH);
  }

  @Test
  void check_reportOfSamePayloadUnderAnotherName_refusedMismatch() {
    Manifest renamed = manifest("sgw-core", "9.9.9", "bin/tool", "etc/app.conf");
    RefusalException e = refused(DEFAULT, MANIFEST, List.of(clamd(renamed, clean(renamed))));
    assertThat(e.code()).isEqualTo(ReasonCode.SCAN_REPORT_MISMATCH);
    assertThat(e.reasons().get(0).message()).contains("sgw-core 9.9.9");
  }

  @Test
  void check_reportMissingAFile_refusedMismatch() {
    ScanReport r = report(MANIFEST, "clamd", "ClamAV", "1", SCANNED.minus(Duration.ofDays(1)),
        List.of(FileResult.clean("bin/tool")));
    assertThat(refused(DEFAULT, MANIFEST, List.of(r)).code())
        .isEqualTo(ReasonCode.SCAN_REPORT_MISMATCH);
  }

  @Test
  void check_staleDatabase_refusedScanPolicy() {
    ScanReport r = report(MANIFEST, "clamd", "ClamAV", "27000", SCANNED.minus(Duration.ofDays(8)),
        clean(MANIFEST));
    RefusalException e = refused(DEFAULT, MANIFEST, List.of(r));
    assertThat(e.code()).isEqualTo(ReasonCode.SCAN_POLICY);
    assertThat(e.reasons().get(0).message()).contains("8 days old", "allows 7 days");
    assertThatCode(() -> new ScanReportCheck(ScanPolicy.defaults().withMaxDatabaseAge(Duration.ofDays(9)))
        .check(MANIFEST, List.of(r))).doesNotThrowAnyException();
  }

  @Test
  void check_databaseVersionNotReported_refusedUnlessPolicyAllows() {
    ScanReport r = report(MANIFEST, "icap", "Vendor AV", null, null, clean(MANIFEST));
    assertThat(refused(DEFAULT, MANIFEST, List.of(r)).code()).isEqualTo(ReasonCode.SCAN_POLICY);
    assertThatCode(() -> new ScanReportCheck(ScanPolicy.defaults().withRequireDatabaseVersion(false))
        .check(MANIFEST, List.of(r))).doesNotThrowAnyException();
  }

  @Test
  void check_twoReportsOfOneProduct_doNotCountAsTwoEngines() {
    ScanReportCheck two = new ScanReportCheck(ScanPolicy.defaults().withMinEngines(2));
    ScanReport a = clamd(MANIFEST, clean(MANIFEST));
    RefusalException e = refused(two, MANIFEST, List.of(a, a));
    assertThat(e.code()).isEqualTo(ReasonCode.SCAN_POLICY);
    ScanReport yara = report(MANIFEST, "yara", "YARA", SHA, SCANNED.minus(Duration.ofHours(1)),
        clean(MANIFEST));
    assertThatCode(() -> two.check(MANIFEST, List.of(a, yara))).doesNotThrowAnyException();
  }

  @Test
  void check_yaraAlone_isNotAnAntivirusEngine() {
    ScanReport yara = report(MANIFEST, "yara", "YARA", SHA, SCANNED.minus(Duration.ofHours(1)),
        clean(MANIFEST));
    RefusalException e = refused(DEFAULT, MANIFEST, List.of(yara));
    assertThat(e.code()).isEqualTo(ReasonCode.SCAN_POLICY);
    assertThat(e.reasons().get(0).message()).contains("anti-virus");
  }

  @Test
  void check_everyProblemIsReported_notOnlyTheFirst() {
    ScanReport infected = clamd(MANIFEST, List.of(
        FileResult.infected("bin/tool", "X", null), FileResult.notScanned("etc/app.conf", "encrypted")));
    List<Reason> reasons = refused(DEFAULT, MANIFEST, List.of(infected)).reasons();
    assertThat(reasons).extracting(Reason::code)
        .containsExactly(ReasonCode.INFECTED, ReasonCode.NOT_SCANNED);
  }

  @Test
  void report_verdictContradictingItsResults_isRejected() {
    assertThatThrownBy(() -> new ScanReport(ScanReport.FORMAT, engine("clamd", "ClamAV", "1", SCANNED),
        "host", "NEGuard", SCANNED, SCANNED, "p", "1", MANIFEST.rim().digest(),
        List.of(FileResult.infected("bin/tool", "X", null)), ScanReport.Verdict.CLEAN, List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("verdict is CLEAN");
  }

  @Test
  void codec_roundTripsAndRefusesEditsThatLie() throws Exception {
    ScanReport r = clamd(MANIFEST, clean(MANIFEST));
    byte[] json = ScanReportCodec.encode(r);
    assertThat(ScanReportCodec.decode("neguard/scan/01-clamd.json", json)).isEqualTo(r);
    assertThat(ScanReportCodec.encode(ScanReportCodec.decode("x", json))).isEqualTo(json);
    String text = new String(json, StandardCharsets.UTF_8);
    // Flipping a result without the verdict, or adding a field, does not parse.
    String flipped = text.replaceFirst("\"CLEAN\"", "\"INFECTED\"");
    assertThat(catchThrowableOfType(RefusalException.class,
        () -> ScanReportCodec.decode("x", flipped.getBytes(StandardCharsets.UTF_8))).code())
        .isEqualTo(ReasonCode.MALFORMED);
    String extra = text.replaceFirst("\\{", "{\"trusted\": true,");
    assertThat(catchThrowableOfType(RefusalException.class,
        () -> ScanReportCodec.decode("x", extra.getBytes(StandardCharsets.UTF_8))).code())
        .isEqualTo(ReasonCode.MALFORMED);
  }

  @Test
  void check_databaseDatedInTheFuture_refusedScanPolicy() {
    ScanReport r = report(MANIFEST, "clamd", "ClamAV", "27000", SCANNED.plus(Duration.ofDays(2)),
        clean(MANIFEST));
    RefusalException e = refused(DEFAULT, MANIFEST, List.of(r));
    assertThat(e.code()).isEqualTo(ReasonCode.SCAN_POLICY);
    assertThat(e.reasons().get(0).message()).contains("after the scan");
  }

  private static RefusalException refused(ScanReportCheck gate, Manifest m, List<ScanReport> reports) {
    RefusalException e = catchThrowableOfType(RefusalException.class, () -> gate.check(m, reports));
    assertThat(e).as("the gate must refuse").isNotNull();
    return e;
  }

  static Manifest manifest(String name, String version, String... paths) {
    List<Manifest.FileEntry> files = java.util.Arrays.stream(paths)
        .map(p -> new Manifest.FileEntry(p, 10, "0644", sha(p))).toList();
    String rim = TreeDigest.of(files.stream()
        .map(f -> new TreeDigest.Leaf(f.path(), f.sha256(), 0644)).toList());
    return new Manifest(BundleLayout.FORMAT, name, version, 1, "mme", "Vendor",
        "2026-11-01T00:00:00Z", new Manifest.Rim(TreeDigest.ALGORITHM, rim), files, List.of());
  }

  private static String sha(String seed) {
    return String.format("%064x", new java.math.BigInteger(1, seed.getBytes(StandardCharsets.UTF_8)))
        .substring(0, 64);
  }

  private static List<FileResult> clean(Manifest m) {
    return m.files().stream().map(f -> FileResult.clean(f.path())).toList();
  }

  private static ScanReport clamd(Manifest m, List<FileResult> files) {
    return report(m, "clamd", "ClamAV", "27000", SCANNED.minus(Duration.ofDays(1)), files);
  }

  private static EngineInfo engine(String kind, String product, String db, Instant dbDate) {
    return new EngineInfo(kind, product, "1.4.6", db, dbDate, "tcp://127.0.0.1:3310");
  }

  private static ScanReport report(Manifest m, String kind, String product, String db,
      Instant dbDate, List<FileResult> files) {
    return new ScanReport(ScanReport.FORMAT, engine(kind, product, db, dbDate), "build-host",
        "NEGuard test", SCANNED, SCANNED.plusSeconds(5), m.name(), m.version(), m.rim().digest(),
        files, ScanReport.verdictOf(files), List.of());
  }
}
