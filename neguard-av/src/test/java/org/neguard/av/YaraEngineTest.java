package org.neguard.av;

import org.neguard.measure.Sha256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.neguard.av.Archives.ascii;
import static org.neguard.av.Archives.item;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.progress.ProgressListener;
import org.neguard.scanreport.FileResult.Status;
import org.neguard.testing.RequiredProgram;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.neguard.demo.DemoClamd;
import org.neguard.scanreport.EngineInfo;
import org.neguard.scanreport.FileResult;

/** YARA through the real {@code yara} program (AV-1, AV-3), with rules the test writes. */
class YaraEngineTest {
  static final String RULES =
      "rule NEGuard_EICAR { strings: $eicar = \"EICAR-STANDARD-ANTIVIRUS-TEST-FILE\""
          + " condition: $eicar }\n"
          + "rule NEGuard_Marker { meta: description = \"demo marker\" strings: $m = \""
          + DemoClamd.MARKER + "\" condition: $m }\n";

  @TempDir Path tmp;
  Path rules;
  Path scratch;

  @BeforeEach
  void setUp() throws IOException {
    RequiredProgram.require("yara");
    rules = tmp.resolve("rules dir/neguard test.yar");
    Files.createDirectories(rules.getParent());
    Files.writeString(rules, RULES);
    scratch = Files.createDirectory(tmp.resolve("scratch"));
  }

  /** Every test, passing or refused, leaves no temporary file behind. */
  @AfterEach
  void noTemporaryFilesLeft() throws IOException {
    try (Stream<Path> s = Files.list(scratch)) {
      assertThat(s.toList()).as("temporary files left by the YARA engine").isEmpty();
    }
  }

  @Test
  @DisplayName("AV-3: the rules file replaced while the scan runs: its SHA-256 before and after"
      + " the scan differ, refused ENGINE_ERROR, nothing written")
  void run_rulesReplacedDuringTheScan_refusedEngineError_nothingWritten() throws Exception {
    Path tree = Files.createDirectories(tmp.resolve("tree"));
    Files.writeString(tree.resolve("f0"), "hello\n");
    Path bundle = tmp.resolve("p.ngp");
    org.neguard.pkg.BundleBuilder.builder().name("p").version("1").securityVersion(1)
        .neType("mme").vendor("v").created(Instant.parse("2026-01-15T10:00:00Z")).build()
        .build(tree, bundle);
    Path out = tmp.resolve("out.ngp");
    String before = Sha256.hex(rules);
    YaraEngine real = engine();
    assertThat(real.describedBesideScan()).as("the rules hashed before yara reads them").isFalse();
    ScanEngine replacing = new ScanEngine() {
      @Override
      public boolean describedBesideScan() {
        return real.describedBesideScan();
      }

      @Override
      public EngineInfo describe() throws RefusalException {
        return real.describe();
      }

      @Override
      public List<FileResult> scan(List<ScanItem> items, ProgressListener progress)
          throws RefusalException {
        List<FileResult> results = real.scan(items, progress);
        try {
          Files.writeString(rules, RULES + "rule NEGuard_New { condition: false }\n");
        } catch (IOException e) {
          throw new AssertionError(e);
        }
        return results;
      }
    };

    RefusalException e = org.assertj.core.api.Assertions.catchThrowableOfType(
        RefusalException.class,
        () -> ScanRunner.builder().engine("yara:" + rules, replacing).build()
            .run(bundle, out, ScanRunner.Progress.NONE));

    assertThat(e.reasons().get(0).code()).isEqualTo(ReasonCode.ENGINE_ERROR);
    assertThat(e.getMessage()).contains("changed while it scanned").contains(before)
        .contains(Sha256.hex(rules));
    assertThat(out).doesNotExist();
  }

  private YaraEngine engine() {
    return YaraEngine.builder(rules).tempRoot(scratch).build();
  }

  @Test
  @DisplayName("AV-3: describe names YARA, its version, the rules' SHA-256 and modification time")
  void describe_reportsYaraVersionRulesSha256AndModificationTime() throws Exception {
    Instant when = Instant.parse("2026-01-02T03:04:05Z");
    Files.setLastModifiedTime(rules, FileTime.from(when));
    EngineInfo info = engine().describe();
    Process version = new ProcessBuilder("yara", "--version").start();
    String expected = new String(version.getInputStream().readAllBytes()).strip();
    assertThat(info.kind()).isEqualTo("yara");
    assertThat(info.product()).isEqualTo("YARA");
    assertThat(info.engineVersion()).isEqualTo(expected).matches("[0-9]+\\.[0-9]+\\.[0-9]+");
    assertThat(info.databaseVersion()).isEqualTo(Sha256.hex(rules));
    assertThat(info.databaseDate()).isEqualTo(when);
    assertThat(info.endpoint()).isEqualTo(rules.toString());
  }

  @Test
  @DisplayName("AV-1: EICAR and the demo marker are found by rule name; a clean file is clean")
  void scan_eicarAndMarker_infectedWithRuleName_cleanFileClean() throws Exception {
    List<FileResult> results = engine().scan(List.of(
        item("bin/clean", ascii("hello, world\n")),
        item("bin/eicar.com", ascii(DemoClamd.EICAR)),
        item("lib/libmarker.so", ascii("\0\0ELF..." + DemoClamd.MARKER + "...")),
        item("empty", new byte[0])), ProgressListener.NONE);
    assertThat(results).extracting(FileResult::path)
        .containsExactly("bin/clean", "bin/eicar.com", "lib/libmarker.so", "empty");
    assertThat(results.get(0).status()).isEqualTo(Status.CLEAN);
    assertThat(results.get(1).status()).isEqualTo(Status.INFECTED);
    assertThat(results.get(1).signature()).isEqualTo("NEGuard_EICAR");
    assertThat(results.get(1).detail()).contains("in the file", "$eicar@0x1c");
    assertThat(results.get(2).signature()).isEqualTo("NEGuard_Marker");
    assertThat(results.get(3).status()).isEqualTo(Status.CLEAN);
  }

  @Test
  @DisplayName("AV-1: package paths with spaces and newlines never confuse the output parser")
  void scan_pathsWithSpacesAndNewlines_attributedToTheRightFile() throws Exception {
    List<FileResult> results = engine().scan(List.of(
        item("a dir/clean file\nf0 NEGuard_EICAR", ascii("clean")),
        item("b dir/in fected\n.bin", ascii(DemoClamd.EICAR))), ProgressListener.NONE);
    assertThat(results.get(0).status()).isEqualTo(Status.CLEAN);
    assertThat(results.get(1).status()).isEqualTo(Status.INFECTED);
    assertThat(results.get(1).path()).isEqualTo("b dir/in fected\n.bin");
  }

  @Test
  @DisplayName("AV-1: EICAR inside a zip inside a tar.gz is found and named by member path")
  void scan_eicarInZipInTarGz_infectedWithMemberPath() throws Exception {
    List<FileResult> results = engine().scan(
        List.of(item("opt/app/bundle.tar.gz", Archives.eicarInZipInTarGz())),
        ProgressListener.NONE);
    FileResult r = results.get(0);
    assertThat(r.status()).isEqualTo(Status.INFECTED);
    assertThat(r.signature()).isEqualTo("NEGuard_EICAR");
    assertThat(r.detail()).contains("archive member bundle.tar!/pkg/e.zip!/inner/eicar.com");
  }

  @Test
  @DisplayName("AV-1/AV-2 (issue 10 #3): EICAR in a ZIP or a tar.gz behind a self-extractor's stub is found")
  void scan_eicarBehindStub_infected() throws Exception {
    byte[] zip = Archives.zip("inner/eicar.com", ascii(DemoClamd.EICAR));
    byte[] tgz = Archives.gzip(Archives.tar(Map.of("bin/eicar.com", ascii(DemoClamd.EICAR))));

    List<FileResult> results = engine().scan(
        List.of(item("opt/setup.sh", Archives.selfExtracting(zip)),
            item("opt/install.run", Archives.selfExtracting(tgz))),
        ProgressListener.NONE);

    assertThat(results).allSatisfy(r -> {
      assertThat(r.status()).as(r.toString()).isEqualTo(Status.INFECTED);
      assertThat(r.signature()).isEqualTo("NEGuard_EICAR");
    });
    assertThat(results.get(0).detail()).contains("inner/eicar.com");
    assertThat(results.get(1).detail()).contains("bin/eicar.com");
  }

  @Test
  @DisplayName("AV-1: a clean archive is clean once every member was scanned")
  void scan_cleanJar_clean() throws Exception {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("META-INF/MANIFEST.MF", ascii("Manifest-Version: 1.0\n"));
    entries.put("org/x/A.class", ascii("\u00ca\u00fe\u00ba\u00be code"));
    List<FileResult> results =
        engine().scan(List.of(item("lib/app.jar", Archives.zip(entries))), ProgressListener.NONE);
    assertThat(results.get(0).status()).isEqualTo(Status.CLEAN);
  }

  @Test
  @DisplayName("AV-1: an archive bomb stops at the expansion limit and is not scanned")
  void scan_archiveBomb_notScannedAtExpansionLimit() throws Exception {
    byte[] bomb = Archives.gzipOfZeros(64L << 20); // ~64 KiB expanding 1000 times
    YaraEngine engine = YaraEngine.builder(rules).tempRoot(scratch)
        .limits(new ArchiveUnpacker.Limits(1L << 30, 1000, 8, 100, 1L << 20)).build();
    List<FileResult> results =
        engine.scan(List.of(item("data/bomb.gz", bomb)), ProgressListener.NONE);
    assertThat(results.get(0).status()).isEqualTo(Status.NOT_SCANNED);
    assertThat(results.get(0).detail()).contains("maxRatio", "archive bomb");
  }

  @Test
  @DisplayName("AV-1: an archive over the total-size limit is not scanned")
  void scan_archiveOverTotalBytes_notScanned() throws Exception {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("a.bin", new byte[600_000]);
    entries.put("b.bin", new byte[600_000]);
    YaraEngine engine = YaraEngine.builder(rules).tempRoot(scratch)
        .limits(new ArchiveUnpacker.Limits(1_000_000, 1000, 8, 100_000, 1L << 30)).build();
    List<FileResult> results =
        engine.scan(List.of(item("data/big.zip", Archives.zip(entries))), ProgressListener.NONE);
    assertThat(results.get(0).status()).isEqualTo(Status.NOT_SCANNED);
    assertThat(results.get(0).detail()).contains("maxTotalBytes", "b.bin");
  }

  @Test
  @DisplayName("AV-1: an infected member found before a limit stops unpacking is still reported")
  void scan_eicarThenTooManyMembers_infectedAndSaysNotAllScanned() throws Exception {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("eicar.com", ascii(DemoClamd.EICAR));
    for (int i = 0; i < 5; i++) {
      entries.put("f" + i, ascii("x" + i));
    }
    YaraEngine engine = YaraEngine.builder(rules).tempRoot(scratch)
        .limits(new ArchiveUnpacker.Limits(1L << 30, 3, 8, 100, 1L << 20)).build();
    FileResult r = engine.scan(List.of(item("many.zip", Archives.zip(entries))),
        ProgressListener.NONE).get(0);
    assertThat(r.status()).isEqualTo(Status.INFECTED);
    assertThat(r.detail()).contains("archive member eicar.com", "maxFiles");
  }

  @Test
  @DisplayName("AV-1: archives nested deeper than the depth limit are not scanned")
  void scan_nestedDeeperThanLimit_notScanned() throws Exception {
    byte[] nested = ascii(DemoClamd.EICAR);
    for (int i = 0; i < 4; i++) {
      nested = Archives.gzip(nested);
    }
    YaraEngine engine = YaraEngine.builder(rules).tempRoot(scratch)
        .limits(new ArchiveUnpacker.Limits(1L << 30, 1000, 3, 100, 1L << 20)).build();
    FileResult r =
        engine.scan(List.of(item("deep.gz", nested)), ProgressListener.NONE).get(0);
    assertThat(r.status()).isEqualTo(Status.NOT_SCANNED);
    assertThat(r.detail()).contains("deeper than 3 levels");
  }

  @Test
  @DisplayName("AV-1: a member named ../../x or /x is scanned where NEGuard put it, never there")
  void scan_pathEscapingMembers_scannedInPlaceAndNothingWrittenOutside() throws Exception {
    String escape = "../../../../../../../../" + tmp.resolve("escaped-" + System.nanoTime())
        .toString().substring(1);
    String absolute = tmp.resolve("absolute-" + System.nanoTime()).toString();
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put(escape, ascii(DemoClamd.EICAR));
    entries.put(absolute, ascii(DemoClamd.MARKER));
    byte[] tar = Archives.tar(entries);
    byte[] zip = Archives.zip(entries);
    List<FileResult> results = engine().scan(
        List.of(item("evil.tar", tar), item("evil.zip", zip)), ProgressListener.NONE);
    for (FileResult r : results) {
      assertThat(r.status()).as(r.path()).isEqualTo(Status.INFECTED);
      assertThat(r.signature()).contains("NEGuard_EICAR", "NEGuard_Marker");
      assertThat(r.detail()).contains("../../../");
    }
    try (Stream<Path> s = Files.list(tmp)) {
      assertThat(s.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.startsWith("escaped-") || n.startsWith("absolute-"));
    }
  }

  @Test
  @DisplayName("AV-1: links and devices in a tar are neither created nor followed")
  void scan_symlinkAndDeviceMembers_notFollowed() throws Exception {
    Path secret = tmp.resolve("secret");
    Files.writeString(secret, DemoClamd.EICAR); // would be "found" only if the link were followed
    byte[] tar = Archives.tarWithSymlink("etc/link", secret.toString(), "etc/ok", ascii("fine"));
    FileResult r = engine().scan(List.of(item("links.tar", tar)), ProgressListener.NONE).get(0);
    assertThat(r.status()).isEqualTo(Status.CLEAN);
  }

  @Test
  @DisplayName("AV-1: an encrypted zip member makes the payload file not scanned")
  void scan_encryptedZipMember_notScanned() throws Exception {
    FileResult r = engine().scan(
        List.of(item("secret.zip", Archives.encryptedZip("payload.bin", ascii("whatever")))),
        ProgressListener.NONE).get(0);
    assertThat(r.status()).isEqualTo(Status.NOT_SCANNED);
    assertThat(r.detail()).contains("payload.bin is encrypted");
  }

  @Test
  @DisplayName("AV-1: a corrupt archive makes the payload file not scanned")
  void scan_corruptZip_notScanned() throws Exception {
    byte[] zip = Archives.zip("a.txt", ascii("a".repeat(1000)));
    byte[] corrupt = java.util.Arrays.copyOf(zip, zip.length / 2);
    FileResult r = engine().scan(List.of(item("broken.zip", corrupt)), ProgressListener.NONE)
        .get(0);
    assertThat(r.status()).isEqualTo(Status.NOT_SCANNED);
    assertThat(r.detail()).contains("corrupt or unreadable zip");
  }

  @Test
  @DisplayName("AV-1: invalid rules are refused with yara's compile error")
  void scanAndDescribe_invalidRules_engineErrorWithYarasMessage() throws Exception {
    Files.writeString(rules, "rule broken { strings: $a = \"x\" condition: $b }\n");
    YaraEngine engine = engine();
    for (var call : List.<ThrowingCall>of(engine::describe,
        () -> engine.scan(List.of(item("x", ascii("x"))), ProgressListener.NONE))) {
      assertThatThrownBy(call::run)
          .isInstanceOfSatisfying(RefusalException.class,
              e -> assertThat(e.code()).isEqualTo(ReasonCode.ENGINE_ERROR))
          .hasMessageContaining("undefined string \"$b\"");
    }
  }

  @Test
  @DisplayName("AV-1: a missing rules file is refused, naming the file")
  void scan_missingRules_engineError() {
    YaraEngine engine = YaraEngine.builder(tmp.resolve("nope.yar")).tempRoot(scratch).build();
    assertThatThrownBy(() -> engine.scan(List.of(item("x", ascii("x"))), ProgressListener.NONE))
        .isInstanceOfSatisfying(RefusalException.class,
            e -> assertThat(e.code()).isEqualTo(ReasonCode.ENGINE_ERROR))
        .hasMessageContaining("YARA rules file not found")
        .hasMessageContaining("nope.yar");
    assertThatThrownBy(engine::describe).isInstanceOf(RefusalException.class)
        .hasMessageContaining("not found");
  }

  @Test
  @DisplayName("AV-1: without the yara program the engine is unavailable")
  void scan_yaraMissing_engineUnavailable() {
    YaraEngine engine = YaraEngine.builder(rules).tempRoot(scratch)
        .program(tmp.resolve("no-such-yara")).build();
    assertThatThrownBy(() -> engine.scan(List.of(item("x", ascii("x"))), ProgressListener.NONE))
        .isInstanceOfSatisfying(RefusalException.class,
            e -> assertThat(e.code()).isEqualTo(ReasonCode.ENGINE_UNAVAILABLE));
    assertThatThrownBy(engine::describe)
        .isInstanceOfSatisfying(RefusalException.class,
            e -> assertThat(e.code()).isEqualTo(ReasonCode.ENGINE_UNAVAILABLE));
  }

  @Test
  @DisplayName("AV-1: rules compiled by yarac work too")
  void scan_compiledRules_found() throws Exception {
    RequiredProgram.require("yarac");
    Path compiled = tmp.resolve("rules.yarc");
    Process yarac = new ProcessBuilder("yarac", rules.toString(), compiled.toString())
        .redirectErrorStream(true).start();
    assertThat(yarac.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(yarac.exitValue()).isZero();
    YaraEngine engine = YaraEngine.builder(compiled).tempRoot(scratch).build();
    assertThat(engine.scan(List.of(item("e", ascii(DemoClamd.EICAR))), ProgressListener.NONE)
        .get(0).signature()).isEqualTo("NEGuard_EICAR");
    assertThat(engine.describe().databaseVersion()).hasSize(64);
  }

  @Test
  @DisplayName("AV-1: yara overrunning its time is killed, nothing is reported, nothing is left")
  void scan_yaraHangs_killedAfterTimeout_engineErrorAndNoTempFiles() throws Exception {
    // yara itself, except that the scan run hangs: the fault is the program's, not NEGuard's.
    Path hanging = tmp.resolve("hanging-yara");
    Files.writeString(hanging, "#!/bin/sh\n"
        + "for a in \"$@\"; do [ \"$a\" = --scan-list ] && exec sleep 60; done\n"
        + "exec yara \"$@\"\n");
    Files.setPosixFilePermissions(hanging, PosixFilePermissions.fromString("rwx------"));
    YaraEngine engine = YaraEngine.builder(rules).tempRoot(scratch).program(hanging)
        .timeout(Duration.ofSeconds(1)).build();
    long started = System.nanoTime();
    assertThatThrownBy(() -> engine.scan(List.of(item("x", ascii("x"))), ProgressListener.NONE))
        .isInstanceOfSatisfying(RefusalException.class,
            e -> assertThat(e.code()).isEqualTo(ReasonCode.ENGINE_ERROR))
        .hasMessageContaining("did not finish within 1 s");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
    assertThat(ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().orElse("").equals("sleep 60"))
        .filter(p -> p.parent().map(pp -> pp.pid() == ProcessHandle.current().pid()).orElse(false))
        .toList()).isEmpty();
  }

  @Test
  @DisplayName("AV-1: progress reaches the total; many files in several batches keep their order")
  void scan_manyFilesInBatches_resultsInOrderAndProgressComplete() throws Exception {
    List<ScanItem> items = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      items.add(item("f/" + i, ascii(i == 37 ? DemoClamd.EICAR : "clean " + i)));
    }
    long[] last = new long[2];
    List<FileResult> results = YaraEngine.builder(rules).tempRoot(scratch).batchBytes(200)
        .build().scan(items, (done, total) -> {
          last[0] = done;
          last[1] = total;
        });
    assertThat(results).hasSize(50);
    for (int i = 0; i < 50; i++) {
      assertThat(results.get(i).path()).isEqualTo("f/" + i);
      assertThat(results.get(i).status()).isEqualTo(i == 37 ? Status.INFECTED : Status.CLEAN);
    }
    assertThat(last[0]).isEqualTo(last[1]).isPositive();
  }

  @Test
  @DisplayName("AV-1: a YARA spec names a rules file")
  void fromSpec_parsesPathAndRejectsOthers() {
    assertThat(YaraEngine.fromSpec("yara:/etc/neguard/my rules.yar").rules())
        .isEqualTo(Path.of("/etc/neguard/my rules.yar"));
    for (String bad : List.of("yara:", "yara", "clamd:tcp://x:1", "/etc/rules.yar")) {
      assertThatThrownBy(() -> YaraEngine.fromSpec(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @FunctionalInterface
  interface ThrowingCall {
    void run() throws Exception;
  }

  @Test
  @DisplayName("AV-1: a file that grows or shrinks while YARA's copy is made is IO_ERROR")
  void scan_fileChangesMidScan_ioErrorChanged() throws Exception {
    ChangingFile.assertEngineReportsChanges(engine(), tmp);
  }

  @Test
  @DisplayName("AV-1: a file that cannot be opened or read to its end is IO_ERROR, not the"
      + " engine's error")
  void scan_unreadableItem_ioErrorUnreadable() {
    UnreadableFile.assertEngineReportsUnreadable(engine());
  }
}
