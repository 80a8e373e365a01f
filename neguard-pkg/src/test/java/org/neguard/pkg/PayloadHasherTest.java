package org.neguard.pkg;

import org.neguard.measure.Sha256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.measure.TreeDigest;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.progress.ProgressListener;

/** INT-1: every listed file is measured, bounded by its listed size, and judged against the manifest. */
class PayloadHasherTest {
  private static final String SMALL = "payload/small.txt";
  private static final String BIG = "payload/big.bin";
  private static final String REPORT = BundleLayout.SCAN_PREFIX + "clamav.json";
  private static final byte[] SMALL_BYTES = "small\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] BIG_BYTES = TestBundles.randomBytes(5000, 3);
  private static final byte[] REPORT_BYTES = "{\"result\":\"clean\"}\n".getBytes(StandardCharsets.US_ASCII);

  @TempDir static Path dir;
  private static Path zip;

  @BeforeAll
  static void setUp() throws IOException {
    zip = BundleTamper.empty().addStored(SMALL, SMALL_BYTES).add(BIG, BIG_BYTES)
        .addStored(REPORT, REPORT_BYTES).write(dir.resolve("h.zip"));
  }

  private static String sha(byte[] b) {
    return Sha256.hex(b);
  }

  private static Map<String, Long> entries() {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put(SMALL, (long) SMALL_BYTES.length);
    m.put(BIG, (long) BIG_BYTES.length);
    return m;
  }

  @Test
  @DisplayName("INT-1: hashing runs largest first on daemon threads, and the pool ends when done")
  void start_oneThread_largestFirstOnDaemonThatEnds() throws Exception {
    List<Thread> workers = new CopyOnWriteArrayList<>();
    List<Long> done = new CopyOnWriteArrayList<>();
    try (BundleReader r = BundleReader.openArchive(zip, TestBundles.LIMITS)) {
      PayloadHasher h = PayloadHasher.start(r, entries(), 1, (d, total) -> {
        workers.add(Thread.currentThread());
        done.add(d);
        assertThat(total).isEqualTo(SMALL_BYTES.length + BIG_BYTES.length);
      });
      Map<String, PayloadHasher.Digest> digests = h.await();
      assertThat(digests.keySet()).containsExactly(BIG, SMALL);
      assertThat(digests.get(BIG)).isEqualTo(new PayloadHasher.Digest(BIG_BYTES.length, sha(BIG_BYTES), null));
      assertThat(digests.get(SMALL).sha256()).isEqualTo(sha(SMALL_BYTES));
      assertThat(done.get(0)).isEqualTo(BIG_BYTES.length);
      assertThat(done.get(done.size() - 1)).isEqualTo(SMALL_BYTES.length + BIG_BYTES.length);
      Thread worker = workers.get(0);
      assertThat(worker.isDaemon()).isTrue();
      assertThat(worker.getName()).isEqualTo("neguard-hash");
      worker.join(3000);
      assertThat(worker.isAlive()).as("the pool was shut down once its work was submitted").isFalse();
    }
  }

  @Test
  @DisplayName("INT-1: fewer than one thread is refused")
  void start_zeroThreads_refused() throws Exception {
    try (BundleReader r = BundleReader.openArchive(zip, TestBundles.LIMITS)) {
      assertThatThrownBy(() -> PayloadHasher.start(r, entries(), 0, ProgressListener.NONE))
          .isInstanceOf(IllegalArgumentException.class).hasMessage("threads < 1: 0");
    }
  }

  @Test
  @DisplayName("INT-1: scan reports listed in the manifest are hashed too")
  void startListed_withScanReport_hashesIt() throws Exception {
    List<Manifest.FileEntry> files = List.of(
        new Manifest.FileEntry("small.txt", SMALL_BYTES.length, "0644", sha(SMALL_BYTES)));
    Manifest m = new Manifest(BundleLayout.FORMAT, "p", "1", 1, "mme", "V", "2026-01-15T10:00:00Z",
        new Manifest.Rim(TreeDigest.ALGORITHM, ManifestCodec.rimOf(files)), files,
        List.of(new Manifest.ScanReportRef(REPORT, REPORT_BYTES.length, sha(REPORT_BYTES))));
    try (BundleReader r = BundleReader.openArchive(zip, TestBundles.LIMITS);
        PayloadHasher h = PayloadHasher.startListed(r, m, 2, ProgressListener.NONE)) {
      Map<String, PayloadHasher.Digest> digests = h.await();
      assertThat(digests).containsOnlyKeys(SMALL, REPORT);
      assertThat(digests.get(REPORT).sha256()).isEqualTo(sha(REPORT_BYTES));
      assertThat(PayloadHasher.compare(m, digests)).isEmpty();
    }
  }

  @Test
  @DisplayName("INT-1: an entry that is not in the archive fails the wait with the reader's own error")
  void await_unknownEntry_runtimeExceptionRethrown() throws Exception {
    try (BundleReader r = BundleReader.openArchive(zip, TestBundles.LIMITS);
        PayloadHasher h = PayloadHasher.start(r, Map.of("payload/none", 1L), 1, ProgressListener.NONE)) {
      assertThatThrownBy(h::await).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("no such entry: payload/none");
    }
  }

  @Test
  @DisplayName("INT-1: an I/O failure that is not about the content fails the wait as that IOException")
  void await_closedReader_ioExceptionRethrown() throws Exception {
    BundleReader r = BundleReader.openArchive(zip, TestBundles.LIMITS);
    r.close();
    try (PayloadHasher h = PayloadHasher.start(r, entries(), 1, ProgressListener.NONE)) {
      assertThatThrownBy(h::await).isInstanceOf(java.nio.channels.ClosedChannelException.class);
    }
  }

  @Test
  @DisplayName("INT-1: damaged deflate data is MALFORMED, naming the file below payload/")
  void await_garbageDeflate_malformedDigest() throws Exception {
    Path bad = dir.resolve("garbage.zip");
    Files.copy(zip, bad, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    long at;
    try (BundleReader r = BundleReader.openArchive(bad, TestBundles.LIMITS)) {
      at = r.layout().span(BIG).dataStart();
    }
    try (var ch = java.nio.channels.FileChannel.open(bad, java.nio.file.StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(new byte[] {(byte) 0xff, (byte) 0xff}), at);
    }
    try (BundleReader r = BundleReader.openArchive(bad, TestBundles.LIMITS);
        PayloadHasher h = PayloadHasher.start(r, entries(), 1, ProgressListener.NONE)) {
      PayloadHasher.Digest d = h.await().get(BIG);
      assertThat(d.size()).isEqualTo(-1);
      assertThat(d.sha256()).isNull();
      assertThat(d.failure().code()).isEqualTo(ReasonCode.MALFORMED);
      assertThat(d.failure().subject()).isEqualTo("big.bin");
      assertThat(d.failure().message()).startsWith("'big.bin' cannot be decompressed (entry '" + BIG
          + "' is not valid deflate data").endsWith("); the package is damaged");
    }
  }

  @Test
  @DisplayName("INT-1: an entry holding more than listed is SIZE_LIMIT")
  void await_entryLargerThanListed_sizeLimit() throws Exception {
    try (BundleReader r = BundleReader.openArchive(zip, TestBundles.LIMITS);
        PayloadHasher h = PayloadHasher.start(r, Map.of(BIG, 4999L), 1, ProgressListener.NONE)) {
      PayloadHasher.Digest d = h.await().get(BIG);
      assertThat(d.size()).isEqualTo(-1);
      assertThat(d.failure().code()).isEqualTo(ReasonCode.SIZE_LIMIT);
      assertThat(d.failure().message()).isEqualTo(
          "'big.bin' holds more than the 4999 bytes its entry declares; the package was altered");
    }
  }

  @Test
  @DisplayName("INT-1: failures are sorted by path, whatever the manifest's order")
  void compare_unreadFiles_sortedByPath() {
    List<Manifest.FileEntry> files = new ArrayList<>(List.of(
        new Manifest.FileEntry("b", 1, "0644", sha(SMALL_BYTES)),
        new Manifest.FileEntry("a", 1, "0644", sha(SMALL_BYTES))));
    Manifest m = new Manifest(BundleLayout.FORMAT, "p", "1", 1, "mme", "V", "2026-01-15T10:00:00Z",
        new Manifest.Rim(TreeDigest.ALGORITHM, ManifestCodec.rimOf(files)), files, List.of());
    List<Reason> failures = PayloadHasher.compare(m, Map.of());
    assertThat(failures).extracting(Reason::subject).containsExactly("a", "b");
    assertThat(failures.get(0).code()).isEqualTo(ReasonCode.STRUCTURE);
    assertThat(failures.get(0).message()).isEqualTo("'a' was not read");
  }

  @Test
  @DisplayName("INT-1: an entry read whole whose CRC-32 disagrees still has its digest, and is MALFORMED")
  void await_crcMismatch_digestKnownAndMalformed() throws Exception {
    RawZip raw = RawZip.read(zip);
    RawZip.Member m = raw.member(SMALL);
    m.crc = m.localCrc = m.crc ^ 1;
    Path bad = raw.write(dir.resolve("crc.zip"));
    try (BundleReader r = BundleReader.openArchive(bad, TestBundles.LIMITS);
        PayloadHasher h = PayloadHasher.start(r, entries(), 1, ProgressListener.NONE)) {
      PayloadHasher.Digest d = h.await().get(SMALL);
      assertThat(d.size()).isEqualTo(SMALL_BYTES.length);
      assertThat(d.sha256()).isEqualTo(sha(SMALL_BYTES));
      assertThat(d.failure().code()).isEqualTo(ReasonCode.MALFORMED);
      assertThat(d.failure().message()).isEqualTo("entry '" + SMALL + "' does not match the CRC-32"
          + " in its headers; the package was altered or is damaged");
    }
  }
}
