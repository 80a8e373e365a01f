package org.neguard.pkg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neguard.pkg.TestBundles.assertRefused;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.verdict.ReasonCode;

/**
 * OBJ-1 (issue 10, finding 4): every limit is applied before the memory it guards is spent. The
 * entry count and the central directory's extent come from the end records and are checked before
 * any record is read; a name's length before its bytes; the manifest's and signature's declared
 * sizes before their buffers. Each limit is pinned at its boundary: exactly at it passes, one over
 * fails.
 */
class ZipLimitsTest {
  private static final int RECORDS = 2_000_000;

  @TempDir static Path shared;
  private static Path unsigned;
  private static int entries;

  @TempDir Path tmp;

  @BeforeAll
  static void setUp() throws Exception {
    unsigned = TestBundles.build(TestBundles.smallTree(shared.resolve("tree")),
        shared.resolve("unsigned.ngp"));
    entries = RawZip.read(unsigned).members.size();
  }

  private static BundleLimits limits(int maxEntries, int maxManifest, int maxSignature) {
    BundleLimits d = BundleLimits.defaults();
    return new BundleLimits(maxEntries, maxManifest, maxSignature, d.maxPayloadBytes(),
        d.maxCompressionRatio(), d.ratioFloorBytes());
  }

  private static BundleLimits maxEntries(int n) {
    BundleLimits d = BundleLimits.defaults();
    return limits(n, d.maxManifestBytes(), d.maxSignatureBytes());
  }

  /**
   * ZIP64 end records naming a central directory of {@code count} records, {@code size} long, at
   * {@code offset}; the records themselves lie at {@code at}.
   */
  private static byte[] zip64End(long count, long size, long offset, long at) {
    ByteBuffer b = ByteBuffer.allocate(56 + 20 + 22).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(ZipLayout.ZIP64_EOCD_SIGNATURE).putLong(44).putShort((short) 45).putShort((short) 45)
        .putInt(0).putInt(0).putLong(count).putLong(count).putLong(size).putLong(offset);
    b.putInt(ZipLayout.ZIP64_LOCATOR_SIGNATURE).putInt(0).putLong(at).putInt(1);
    b.putInt(ZipLayout.EOCD_SIGNATURE).putShort((short) 0).putShort((short) 0)
        .putShort((short) 0xffff).putShort((short) 0xffff).putInt(-1).putInt(-1)
        .putShort((short) 0);
    return b.array();
  }

  private static long allocatedBytes() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
        .getCurrentThreadAllocatedBytes();
  }

  @Tag("slow") // left out of the mutation run (pom profile "mutation")
  @Test
  @DisplayName("OBJ-1 (issue 10 #4): a 94 MB file of two million directory records is SIZE_LIMIT,"
      + " refused before a record is read")
  void open_twoMillionDirectoryRecords_sizeLimitBeforeAllocating() throws Exception {
    Path file = tmp.resolve("records.ngp");
    ByteBuffer record = ByteBuffer.allocate(47).order(ByteOrder.LITTLE_ENDIAN);
    record.putInt(ZipLayout.CFH_SIGNATURE).position(28);
    record.putShort((short) 1).position(46);
    record.put((byte) 'a');
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
      for (int i = 0; i < RECORDS; i++) {
        out.write(record.array());
      }
      out.write(zip64End(RECORDS, 47L * RECORDS, 0, 47L * RECORDS));
    }
    assertThat(Files.size(file)).isGreaterThan(90_000_000L);

    long before = allocatedBytes();
    var e = assertRefused(() -> BundleReader.openArchive(file, TestBundles.LIMITS).close(),
        ReasonCode.SIZE_LIMIT);
    long spent = allocatedBytes() - before;

    assertThat(e.reasons().get(0).message()).contains("2000000 entries").contains("200000");
    // Reading the records (as a whole-directory parser does) costs hundreds of megabytes.
    assertThat(spent).as("bytes allocated while refusing").isLessThan(4L << 20);
  }

  @Test
  @DisplayName("OBJ-1 (issue 10 #4): a 98-byte file declaring 2^40 entries is SIZE_LIMIT: the count"
      + " is checked before anything it sizes")
  void open_hugeDeclaredCountInShortFile_sizeLimit() throws Exception {
    Path file = Files.write(tmp.resolve("short.ngp"), zip64End(1L << 40, 46L << 40, 0, 0));

    assertRefused(() -> BundleReader.openArchive(file, TestBundles.LIMITS).close(),
        ReasonCode.SIZE_LIMIT);
  }

  @Test
  @DisplayName("OBJ-1 (issue 10 #4): a negative ZIP64 entry count is SIZE_LIMIT, not a crash")
  void open_negativeDeclaredCount_sizeLimit() throws Exception {
    Path file = Files.write(tmp.resolve("negative.ngp"), zip64End(-1, 46, 0, 0));

    assertRefused(() -> BundleReader.openArchive(file, TestBundles.LIMITS).close(),
        ReasonCode.SIZE_LIMIT);
  }

  @Test
  @DisplayName("OBJ-1: a central directory too small for its declared count is MALFORMED")
  void open_directoryTooSmallForCount_malformed() throws Exception {
    Path file = Files.write(tmp.resolve("small.ngp"), zip64End(3, 3 * 46 - 1, 0, 0));

    assertRefused(() -> BundleReader.openArchive(file, TestBundles.LIMITS).close(),
        ReasonCode.MALFORMED);
  }

  @Test
  @DisplayName("OBJ-1 (issue 10 #4): entries exactly at the limit open; one over is SIZE_LIMIT")
  void open_entryCountAtLimit_opens_oneOver_sizeLimit() throws Exception {
    BundleReader.open(unsigned, maxEntries(entries)).close();

    var e = assertRefused(() -> BundleReader.open(unsigned, maxEntries(entries - 1)).close(),
        ReasonCode.SIZE_LIMIT);
    assertThat(e.reasons().get(0).message()).contains(entries + " entries");
  }

  @Test
  @DisplayName("OBJ-1 (issue 10 #4): a manifest exactly at its limit is read; one byte over is"
      + " SIZE_LIMIT")
  void open_manifestAtLimit_opens_oneOver_sizeLimit() throws Exception {
    int size = TestBundles.entry(unsigned, BundleLayout.MANIFEST).length;
    BundleLimits d = BundleLimits.defaults();

    BundleReader.open(unsigned, limits(d.maxEntries(), size, d.maxSignatureBytes())).close();
    assertRefused(() -> BundleReader.open(unsigned,
        limits(d.maxEntries(), size - 1, d.maxSignatureBytes())).close(), ReasonCode.SIZE_LIMIT);
  }

  @Test
  @DisplayName("OBJ-1 (issue 10 #4): a signature exactly at its limit is read; one byte over is"
      + " SIZE_LIMIT")
  void open_signatureAtLimit_opens_oneOver_sizeLimit() throws Exception {
    Path signed = TestBundles.sign(Files.copy(unsigned, tmp.resolve("signed.ngp")),
        org.neguard.testing.TestPki.create().codeSigner().material());
    int size = TestBundles.entry(signed, BundleLayout.SIGNATURE).length;
    BundleLimits d = BundleLimits.defaults();

    BundleReader.open(signed, limits(d.maxEntries(), d.maxManifestBytes(), size)).close();
    assertRefused(() -> BundleReader.open(signed,
        limits(d.maxEntries(), d.maxManifestBytes(), size - 1)).close(), ReasonCode.SIZE_LIMIT);
  }

  @Test
  @DisplayName("OBJ-1 (issue 10 #4): an entry name over 1024 bytes is UNSAFE_PATH before it is"
      + " read; one of exactly 1024 bytes passes that check")
  void open_nameOverMaxBytes_unsafePath_atMaxBytes_readOn() throws Exception {
    RawZip z = RawZip.read(unsigned);
    RawZip.Member m = z.members.get(z.members.size() - 1);
    String prefix = "payload/";
    m.name = (prefix + "x".repeat(PackagePath.MAX_BYTES + 1 - prefix.length()))
        .getBytes(StandardCharsets.UTF_8);
    m.localName = m.name;
    Path over = z.write(tmp.resolve("over.ngp"));
    m.name = java.util.Arrays.copyOf(m.name, PackagePath.MAX_BYTES);
    m.localName = m.name;
    Path at = z.write(tmp.resolve("at.ngp"));

    var e = assertRefused(() -> BundleReader.openArchive(over, TestBundles.LIMITS).close(),
        ReasonCode.UNSAFE_PATH);
    assertThat(e.reasons().get(0).message()).contains("1025 bytes");
    // Past the length check, the name is simply not one the manifest lists.
    assertRefused(() -> BundleReader.open(at, TestBundles.LIMITS).close(), ReasonCode.STRUCTURE);
  }

  @Test
  @DisplayName("OBJ-1: a ZIP too short for an end record is MALFORMED")
  void open_shorterThanEndRecord_malformed() throws IOException {
    Path file = Files.write(tmp.resolve("tiny.ngp"), new byte[21]);

    assertRefused(() -> BundleReader.openArchive(file, TestBundles.LIMITS).close(),
        ReasonCode.MALFORMED);
  }
}
