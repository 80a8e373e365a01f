package org.neguard.av;

import org.neguard.scanreport.EngineInfo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.neguard.progress.ProgressListener;
import org.neguard.testing.RequiredProgram;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.neguard.demo.DemoClamd;
import org.neguard.scanreport.FileResult;

/**
 * {@link ClamdEngine} against one real clamd (Debian's clamav-daemon) with the demo database and
 * small limits (MaxFileSize 1 MiB, StreamMaxLength 2 MiB), over TCP and over its Unix socket
 * (AV-1: real engine; AV-3: engine and database versions). Every bad-input row ends in
 * INFECTED or NOT_SCANNED, never CLEAN.
 */
class ClamdEngineTest {
  static final long MAX_FILE = 1L << 20;
  static final long STREAM_MAX = 2L << 20;
  static final int DB_VERSION = 4242;
  static final Instant DB_BUILT = Instant.parse("2026-01-02T03:04:05Z");

  @TempDir static Path shared;
  @TempDir Path tmp;

  private static DemoClamd clamd;
  private static Path clamdDir;

  @BeforeAll
  static void startClamd() throws Exception {
    RequiredProgram.require("clamd");
    RequiredProgram.require("sigtool");
    RequiredProgram.require("faketime");
    clamdDir = shared.resolve("clamd");
    clamd =
        DemoClamd.builder(clamdDir)
            .databaseVersion(DB_VERSION)
            .databaseBuilt(DB_BUILT)
            .maxFileSize(MAX_FILE)
            .streamMaxLength(STREAM_MAX)
            .start();
  }

  @AfterAll
  static void stopClamd() throws IOException {
    if (clamd != null) {
      clamd.close();
    }
  }

  /** clamd unlinks a stream's scratch file just after it replies: give it a moment. */
  @AfterEach
  void clamdLeftNoScratchFiles() throws Exception {
    List<Path> left = List.of();
    for (int i = 0; i < 100; i++) {
      try (Stream<Path> s = Files.list(clamdDir.resolve("tmp"))) {
        left = s.toList();
      }
      if (left.isEmpty()) {
        return;
      }
      Thread.sleep(50);
    }
    assertThat(left).as("clamd's scratch files 5 s after the scan").isEmpty();
  }

  static ClamdEngine engine(String spec) {
    return ClamdEngine.fromSpec(spec);
  }

  static String spec(String transport) {
    return transport.equals("tcp") ? clamd.tcpSpec() : clamd.unixSpec();
  }

  static ScanItem item(String path, byte[] content) {
    return new ScanItem(path, content.length, () -> new ByteArrayInputStream(content));
  }

  static ScanItem file(Path file) throws IOException {
    return new ScanItem(file.getFileName().toString(), Files.size(file),
        () -> Files.newInputStream(file));
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  static List<FileResult> scan(String spec, ScanItem... items) throws RefusalException {
    return engine(spec).scan(List.of(items), ProgressListener.NONE);
  }

  // ------------------------------------------------------------------ VERSION

  @ParameterizedTest
  @ValueSource(strings = {"tcp", "unix"})
  @DisplayName("AV-3: VERSION gives ClamAV's version, the demo database's version and build date")
  void describe_demoDatabase_versionAndDate(String transport) throws Exception {
    EngineInfo info = engine(spec(transport)).describe();

    assertThat(info.kind()).isEqualTo("clamd");
    assertThat(info.product()).isEqualTo("ClamAV");
    assertThat(info.engineVersion()).isEqualTo(installedClamdVersion());
    assertThat(info.databaseVersion()).isEqualTo(String.valueOf(DB_VERSION));
    assertThat(info.databaseDate()).isEqualTo(DB_BUILT);
    assertThat(info.endpoint())
        .isEqualTo(transport.equals("tcp")
            ? "tcp://127.0.0.1:" + clamd.port()
            : "unix:" + clamd.socket());
  }

  // ------------------------------------------------------------------ findings

  @ParameterizedTest
  @ValueSource(strings = {"tcp", "unix"})
  @DisplayName("AV-1: EICAR in a payload file is INFECTED, clean files stay CLEAN, order kept")
  void scan_eicarInPayloadFile_infected(String transport) throws Exception {
    List<FileResult> r =
        scan(spec(transport),
            item("etc/mme.conf", ascii("plmn=00101\n")),
            item("bin/eicar.com", ascii(DemoClamd.EICAR)),
            item("lib/marker.so", ascii("ELF...." + DemoClamd.MARKER + "....")),
            item("empty", new byte[0]),
            item("lib/libbig.so", filler(900 << 10, DemoClamd.EICAR))); // 15 chunks, EICAR last

    assertThat(r).extracting(FileResult::path)
        .containsExactly("etc/mme.conf", "bin/eicar.com", "lib/marker.so", "empty", "lib/libbig.so");
    assertThat(r.get(0).status()).isEqualTo(FileResult.Status.CLEAN);
    assertThat(r.get(1).status()).isEqualTo(FileResult.Status.INFECTED);
    assertThat(r.get(1).signature()).startsWith("NEGuard.Demo.EICAR");
    assertThat(r.get(2).status()).isEqualTo(FileResult.Status.INFECTED);
    assertThat(r.get(2).signature()).startsWith("NEGuard.Demo.Marker");
    assertThat(r.get(3).status()).isEqualTo(FileResult.Status.CLEAN);
    assertThat(r.get(4).status()).isEqualTo(FileResult.Status.INFECTED);
  }

  @Test
  @DisplayName("AV-1: EICAR inside a zip inside a tar.gz is INFECTED (clamd opens the archives)")
  void scan_eicarInZipInsideTarGz_infected() throws Exception {
    byte[] zip = zip("docs/readme.txt", ascii("hello\n"), "tools/eicar.com", ascii(DemoClamd.EICAR));
    ByteArrayOutputStream tgz = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar =
        new TarArchiveOutputStream(new GzipCompressorOutputStream(tgz))) {
      for (String name : List.of("README", "bundle/tools.zip")) {
        byte[] data = name.equals("README") ? ascii("release notes\n") : zip;
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(data.length);
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
      }
    }
    byte[] clean = zip("docs/readme.txt", ascii("hello\n"), "tools/ok.txt", ascii("fine\n"));

    List<FileResult> r =
        scan(clamd.unixSpec(), item("share/tools.tar.gz", tgz.toByteArray()),
            item("share/clean.zip", clean));

    assertThat(r.get(0).status()).isEqualTo(FileResult.Status.INFECTED);
    assertThat(r.get(0).signature()).startsWith("NEGuard.Demo.EICAR");
    assertThat(r.get(1).status()).isEqualTo(FileResult.Status.CLEAN); // the archive path works
  }

  // ------------------------------------------------------------------ skipped content

  @Test
  @DisplayName("AV-1: a file over clamd's MaxFileSize is NOT_SCANNED (Heuristics.Limits.Exceeded)")
  void scan_fileOverMaxFileSize_notScanned() throws Exception {
    byte[] big = filler(MAX_FILE + 4096, DemoClamd.EICAR); // EICAR past the limit, unseen

    List<FileResult> r = scan(clamd.tcpSpec(), item("lib/big.so", big));

    assertThat(r.get(0).status()).isEqualTo(FileResult.Status.NOT_SCANNED);
    assertThat(r.get(0).detail()).contains("Heuristics.Limits.Exceeded.MaxFileSize");
  }

  @Test
  @DisplayName("AV-1: a file over the MaxFileSize NEGuard is told is NOT_SCANNED without asking clamd")
  void scan_fileOverToldMaxFileSize_notScannedBeforeSending() throws Exception {
    byte[] twoKib = filler(2048, "");
    AtomicLong progress = new AtomicLong();

    List<FileResult> r =
        engine(clamd.tcpSpec() + "?maxFileSize=1K")
            .scan(List.of(item("lib/2k.so", twoKib)), (done, total) -> progress.set(done));

    assertThat(r.get(0).status()).isEqualTo(FileResult.Status.NOT_SCANNED);
    assertThat(r.get(0).detail()).contains("MaxFileSize").contains("2048 > 1024");
    assertThat(progress.get()).isEqualTo(2048); // counted as handled
    // Control: clamd itself would have called it clean (it is under clamd's 1 MiB).
    assertThat(scan(clamd.tcpSpec(), item("lib/2k.so", twoKib)).get(0).status())
        .isEqualTo(FileResult.Status.CLEAN);
  }

  @Test
  @DisplayName("AV-1: a ZIP member over MaxFileSize is NOT_SCANNED (clamd would scan its first MiB and say OK)")
  void scan_zipMemberOverMaxFileSize_notScanned() throws Exception {
    byte[] member = filler(MAX_FILE + (512 << 10), DemoClamd.EICAR); // EICAR past clamd's cut
    byte[] zip = zip("README", ascii("hi\n"), "opt/rootfs.img", member);
    byte[] fits = zip("README", ascii("hi\n"), "opt/small.img", filler(MAX_FILE - 4096, DemoClamd.EICAR));
    String told = clamd.unixSpec() + "?maxFileSize=1M";

    List<FileResult> r =
        engine(told).scan(List.of(item("share/image.zip", zip), item("share/fits.zip", fits)),
            ProgressListener.NONE);

    assertThat(r.get(0).status()).isEqualTo(FileResult.Status.NOT_SCANNED);
    assertThat(r.get(0).detail()).contains("ZIP member 'opt/rootfs.img'").contains("MaxFileSize");
    assertThat(r.get(1).status()).isEqualTo(FileResult.Status.INFECTED); // checked, then scanned
    // Why the check exists: clamd itself calls the oversized member clean.
    assertThat(scan(clamd.unixSpec(), item("share/image.zip", zip)).get(0).status())
        .isEqualTo(FileResult.Status.CLEAN);
  }

  @Test
  @DisplayName("AV-1: a file that starts like a ZIP but cannot be read as one is NOT_SCANNED")
  void scan_malformedZip_notScanned() throws Exception {
    byte[] zip = zip("README", ascii("hi\n"), "bin/tool", filler(10_000, ""));
    byte[] broken = Arrays.copyOf(zip, 60); // cut inside the first member's data
    broken[8] = 99; // an unknown compression method

    List<FileResult> r = scan(clamd.tcpSpec(), item("share/broken.zip", broken));

    assertThat(r.get(0).status()).isEqualTo(FileResult.Status.NOT_SCANNED);
    // Cut off before its central directory, so clamd has only the local header, whose sizes
    // the JDK's writer leaves to a data descriptor.
    assertThat(r.get(0).detail()).contains("ZIP member 'README' at offset 0");
  }

  @Test
  @DisplayName("AV-1: a file over clamd's default MaxFileSize is NOT_SCANNED when NEGuard is told nothing")
  void scan_fileOverDefaultLimit_notScannedWithoutReadingIt() throws Exception {
    long size = ClamdEngine.CLAMD_DEFAULT_LIMIT + 1;
    ScanItem big = new ScanItem("opt/big.img", size, () -> {
      throw new IOException("must not be read");
    });

    List<FileResult> r = scan(clamd.tcpSpec(), big);

    assertThat(r.get(0).status()).isEqualTo(FileResult.Status.NOT_SCANNED);
    assertThat(r.get(0).detail()).contains("MaxFileSize").contains(size + " > " + (100 << 20));
  }

  @Test
  @DisplayName("AV-1: an encrypted zip (zip -e) is NOT_SCANNED (Heuristics.Encrypted.Zip)")
  void scan_encryptedZip_notScanned() throws Exception {
    Path zipProgram = RequiredProgram.require("zip");
    Files.writeString(tmp.resolve("eicar.com"), DemoClamd.EICAR);
    Process p =
        new ProcessBuilder(zipProgram.toString(), "-q", "-e", "-P", "secret", "enc.zip", "eicar.com")
            .directory(tmp.toFile())
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();

    List<FileResult> r = scan(clamd.unixSpec(), file(tmp.resolve("enc.zip")));

    assertThat(r.get(0).status()).isEqualTo(FileResult.Status.NOT_SCANNED);
    assertThat(r.get(0).detail()).contains("Heuristics.Encrypted.Zip");
  }

  @Test
  @DisplayName("AV-1: a file over StreamMaxLength is NOT_SCANNED; the next file is still scanned")
  void scan_streamOverStreamMaxLength_notScannedAndSessionRecovers() throws Exception {
    byte[] huge = filler(STREAM_MAX + (512 << 10), "");

    List<FileResult> r =
        engine(clamd.tcpSpec() + "?connections=1")
            .scan(List.of(item("opt/huge.img", huge), item("bin/eicar.com", ascii(DemoClamd.EICAR)),
                item("etc/ok", ascii("ok"))), ProgressListener.NONE);

    assertThat(r.get(0).status()).isEqualTo(FileResult.Status.NOT_SCANNED);
    assertThat(r.get(0).detail()).contains("StreamMaxLength");
    assertThat(r.get(1).status()).isEqualTo(FileResult.Status.INFECTED);
    assertThat(r.get(2).status()).isEqualTo(FileResult.Status.CLEAN);
  }

  // ------------------------------------------------------------------ many files

  @Test
  @DisplayName("AV-1: hundreds of files over parallel sessions: one result each, in order, all bytes counted")
  void scan_manyFilesOverParallelSessions_resultsInOrder() throws Exception {
    List<ScanItem> items = new ArrayList<>();
    long total = 0;
    for (int i = 0; i < 600; i++) {
      byte[] data = i % 97 == 13 ? ascii("x" + DemoClamd.EICAR) : filler(i * 37L % 20_000, "");
      items.add(item("f/" + i, data));
      total += data.length;
    }
    AtomicLong last = new AtomicLong();
    AtomicLong reportedTotal = new AtomicLong();

    List<FileResult> r =
        engine(clamd.unixSpec() + "?connections=3")
            .scan(items, (done, all) -> {
              last.accumulateAndGet(done, Math::max);
              reportedTotal.set(all);
            });

    assertThat(r).extracting(FileResult::path)
        .containsExactlyElementsOf(items.stream().map(ScanItem::path).toList());
    for (int i = 0; i < r.size(); i++) {
      assertThat(r.get(i).status())
          .as(r.get(i).path())
          .isEqualTo(i % 97 == 13 ? FileResult.Status.INFECTED : FileResult.Status.CLEAN);
    }
    assertThat(last.get()).isEqualTo(total);
    assertThat(reportedTotal.get()).isEqualTo(total);
  }

  // ------------------------------------------------------------------ the item's own faults

  @ParameterizedTest
  @ValueSource(strings = {"tcp", "unix"})
  @DisplayName("AV-1: a file that grows or shrinks while clamd reads it is IO_ERROR, no verdict")
  void scan_fileChangesMidScan_ioErrorChanged(String transport) throws Exception {
    ChangingFile.assertEngineReportsChanges(engine(spec(transport)), tmp);
  }

  @Test
  @DisplayName("AV-1: an item shorter than its stated size is IO_ERROR, no results")
  void scan_itemShorterThanStated_ioError() {
    ScanItem lying = new ScanItem("lib/short", 10_000, () -> new ByteArrayInputStream(new byte[10]));

    assertThatThrownBy(() -> engine(clamd.unixSpec()).scan(List.of(lying), ProgressListener.NONE))
        .isInstanceOfSatisfying(RefusalException.class, e -> {
          assertThat(e.code()).isEqualTo(ReasonCode.IO_ERROR);
          assertThat(e.getMessage()).contains("'lib/short' changed while it was being scanned"
              + " (10 bytes read, 10000 expected)");
        });
  }

  @ParameterizedTest
  @ValueSource(strings = {"tcp", "unix"})
  @DisplayName("AV-1: a file that cannot be opened or read to its end is IO_ERROR, no verdict")
  void scan_unreadableItem_ioErrorUnreadable(String transport) {
    UnreadableFile.assertEngineReportsUnreadable(engine(spec(transport)));
  }

  @Test
  @DisplayName("AV-1: an unreadable file after a clean one still gives no results at all")
  void scan_unreadableAfterClean_noResults() {
    ScanItem broken = UnreadableFile.failingAt("lib/gone", 4096);

    assertThatThrownBy(() -> engine(clamd.tcpSpec()).scan(
            List.of(item("ok", ascii("ok")), broken), ProgressListener.NONE))
        .isInstanceOfSatisfying(RefusalException.class, e -> {
          assertThat(e.code()).isEqualTo(ReasonCode.IO_ERROR);
          assertThat(e.getMessage()).contains("cannot read 'lib/gone' to scan it");
        });
  }

  // ------------------------------------------------------------------ helpers

  static byte[] zip(String n1, byte[] d1, String n2, byte[] d2) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(out)) {
      z.putNextEntry(new ZipEntry(n1));
      z.write(d1);
      z.closeEntry();
      z.putNextEntry(new ZipEntry(n2));
      z.write(d2);
      z.closeEntry();
    }
    return out.toByteArray();
  }

  /** {@code size} bytes of varied text, ending in {@code tail}. */
  static byte[] filler(long size, String tail) {
    byte[] b = new byte[(int) size];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) ('a' + (i * 7 + i / 61) % 26);
    }
    byte[] t = ascii(tail);
    System.arraycopy(t, 0, b, b.length - t.length, t.length);
    return b;
  }

  /** {@code clamd --version}: {@code ClamAV 1.4.6/...} or {@code ClamAV 1.4.6}. */
  static String installedClamdVersion() throws Exception {
    Process p = new ProcessBuilder(RequiredProgram.require("clamd").toString(), "--version")
        .redirectErrorStream(true)
        .start();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
    }
    p.waitFor(30, TimeUnit.SECONDS);
    return Arrays.stream(out.split("[ /]")).skip(1).findFirst().orElseThrow();
  }
}
