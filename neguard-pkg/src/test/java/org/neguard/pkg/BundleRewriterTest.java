package org.neguard.pkg;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.zip.Zip64Mode;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rewrite behind scanning and signing (AV-3, INT-4): kept entries are the old bytes, new
 * entries and the central directory read back in commons-compress, the JDK and our own reader,
 * ZIP64 included.
 */
class BundleRewriterTest {
  private static final byte[] REPORT = "{\"report\":1}".getBytes(StandardCharsets.UTF_8);
  private static final String REPORT_NAME = BundleLayout.SCAN_PREFIX + "01-clamd.json";

  @TempDir Path dir;

  @Test
  void write_keepsPayloadByteForByte_andAddsReadableNewEntries() throws Exception {
    Path bundle = TestBundles.build(TestBundles.smallTree(dir.resolve("tree")), dir.resolve("a.ngp"));
    Path out = dir.resolve("scanned.ngp");

    try (BundleReader reader = BundleReader.open(bundle, TestBundles.LIMITS)) {
      ScanReportWriter.write(reader, Map.of(REPORT_NAME, REPORT), out);
    }

    try (BundleReader before = BundleReader.open(bundle, TestBundles.LIMITS);
        BundleReader after = BundleReader.open(out, TestBundles.LIMITS)) {
      assertThat(after.manifest().scanReports()).extracting(Manifest.ScanReportRef::path)
          .containsExactly(REPORT_NAME);
      for (Manifest.FileEntry f : before.manifest().files()) {
        assertThat(spanBytes(out, after, f.entryName()))
            .as(f.entryName()).isEqualTo(spanBytes(bundle, before, f.entryName()));
      }
    }
    Map<String, byte[]> jdk = readWithJdk(out);
    assertThat(jdk.get(REPORT_NAME)).isEqualTo(REPORT);
    assertThat(jdk.get("payload/" + TestBundles.CONF))
        .isEqualTo(Files.readAllBytes(dir.resolve("tree").resolve(TestBundles.CONF)));
    try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(out.toFile())) {
      // New entries carry the package's creation time, read as UTC like the builder's.
      assertThat(zip.getEntry(REPORT_NAME).getTimeLocal())
          .isEqualTo(LocalDateTime.ofInstant(TestBundles.CREATED, ZoneOffset.UTC));
    }
    assertThat(dir.toFile().list((d, name) -> name.endsWith(".partial"))).isEmpty();
  }

  @Test
  void write_inPlace_twice_givesTheSameBytes() throws Exception {
    Path bundle = TestBundles.build(TestBundles.smallTree(dir.resolve("tree")), dir.resolve("a.ngp"));
    try (BundleReader reader = BundleReader.open(bundle, TestBundles.LIMITS)) {
      ScanReportWriter.write(reader, Map.of(REPORT_NAME, REPORT), bundle);
    }
    byte[] once = Files.readAllBytes(bundle);
    try (BundleReader reader = BundleReader.open(bundle, TestBundles.LIMITS)) {
      ScanReportWriter.write(reader, Map.of(REPORT_NAME, REPORT), bundle);
    }
    assertThat(Files.readAllBytes(bundle)).isEqualTo(once);
  }

  @Test
  void write_zip64Input_dropsTheZip64FieldsItNoLongerNeeds() throws Exception {
    Path bundle = TestBundles.build(TestBundles.smallTree(dir.resolve("tree")), dir.resolve("a.ngp"));
    Path zip64 = dir.resolve("zip64.ngp");
    // The same entries, written with ZIP64 fields everywhere (as a tool might for a big package).
    try (ZipFile in = ZipFile.builder().setPath(bundle).get();
        ZipArchiveOutputStream zip = new ZipArchiveOutputStream(zip64)) {
      zip.setUseZip64(Zip64Mode.Always);
      for (ZipArchiveEntry e : Collections.list(in.getEntriesInPhysicalOrder())) {
        try (InputStream raw = in.getRawInputStream(e)) {
          zip.addRawArchiveEntry(e, raw);
        }
      }
    }
    try (ZipFile check = ZipFile.builder().setPath(zip64).get()) {
      assertThat(check.getEntry(BundleLayout.MANIFEST)
          .getExtraField(new org.apache.commons.compress.archivers.zip.ZipShort(1))).isNotNull();
    }
    Path out = dir.resolve("out.ngp");

    try (BundleReader reader = BundleReader.open(zip64, TestBundles.LIMITS)) {
      ScanReportWriter.write(reader, Map.of(REPORT_NAME, REPORT), out);
    }

    try (BundleReader after = BundleReader.open(out, TestBundles.LIMITS);
        FileChannel ch = FileChannel.open(out)) {
      assertThat(after.manifest().scanReports()).hasSize(1);
      // The local headers keep their ZIP64 fields (copied as they are); the central records,
      // written anew, need none.
      ZipLayout layout = after.layout();
      ByteBuffer cd = ZipLayout.read(
          ch, layout.centralDirectoryOffset(), (int) layout.centralDirectorySize());
      int records = 0;
      for (int at = 0; at < cd.limit(); records++) {
        assertThat(cd.getInt(at)).isEqualTo(ZipLayout.CFH_SIGNATURE);
        assertThat(cd.getShort(at + 30)).as("extra length of record " + records).isZero();
        assertThat(cd.getShort(at + 8) & 0x0800).as("UTF-8 flag of record " + records).isNotZero();
        at += 46 + cd.getShort(at + 28) + cd.getShort(at + 30) + cd.getShort(at + 32);
      }
      assertThat(records).isEqualTo(6);
    }
    Map<String, byte[]> before = readWithJdk(bundle);
    Map<String, byte[]> after = readWithJdk(out);
    assertThat(after.keySet()).containsAll(before.keySet()).contains(REPORT_NAME);
    before.forEach((name, bytes) -> {
      if (name.startsWith(BundleLayout.PAYLOAD_PREFIX)) {
        assertThat(after.get(name)).as(name).isEqualTo(bytes);
      }
    });
  }

  @Test
  void open_endRecordsThatDisagree_refusedMalformed() throws Exception {
    // A ZIP64 locator sends ZIP readers to one central directory, the plain end record to
    // another: which one a tool reads would decide what it sees. Refused.
    Path bundle = TestBundles.build(TestBundles.smallTree(dir.resolve("tree")), dir.resolve("a.ngp"));
    byte[] zip = Files.readAllBytes(bundle);
    ByteBuffer in = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
    int eocd = zip.length - 22;
    assertThat(in.getInt(eocd)).isEqualTo(ZipLayout.EOCD_SIGNATURE);
    int count = in.getShort(eocd + 10);
    long cdSize = in.getInt(eocd + 12);
    long cdOffset = in.getInt(eocd + 16);
    // entries, directory A, a copy B, a ZIP64 end record and locator naming B, the end record
    // still naming A.
    ByteBuffer out = ByteBuffer.allocate(eocd + (int) cdSize + 56 + 20 + 22)
        .order(ByteOrder.LITTLE_ENDIAN);
    out.put(zip, 0, eocd).put(zip, (int) cdOffset, (int) cdSize);
    long zip64End = eocd + cdSize;
    out.putInt(ZipLayout.ZIP64_EOCD_SIGNATURE).putLong(44).putShort((short) 45)
        .putShort((short) 45).putInt(0).putInt(0).putLong(count).putLong(count).putLong(cdSize)
        .putLong(eocd);
    out.putInt(ZipLayout.ZIP64_LOCATOR_SIGNATURE).putInt(0).putLong(zip64End).putInt(1);
    out.put(zip, eocd, 22);
    Path twoDirectories = dir.resolve("two.ngp");
    Files.write(twoDirectories, out.array());

    org.neguard.verdict.RefusalException e = org.assertj.core.api.Assertions.catchThrowableOfType(
        org.neguard.verdict.RefusalException.class,
        () -> BundleReader.open(twoDirectories, TestBundles.LIMITS).close());

    assertThat(e.reasons().get(0).code()).isEqualTo(org.neguard.verdict.ReasonCode.MALFORMED);
    assertThat(e.reasons().get(0).message()).contains("disagree");
  }

  @Test
  void central_offsetPast4GiB_goesIntoAZip64Field() {
    byte[] name = "payload/x".getBytes(StandardCharsets.UTF_8);
    long offset = 5L << 30;

    ByteBuffer record = ByteBuffer.wrap(BundleRewriter.central(
        name, ZipArchiveEntry.STORED, 0, 0, 12, 10, 0755, offset)).order(ByteOrder.LITTLE_ENDIAN);

    assertThat(record.getInt(20)).as("compressed size").isEqualTo(12);
    assertThat(record.getInt(24)).as("size").isEqualTo(10);
    assertThat(record.getInt(42) & 0xffffffffL).as("offset").isEqualTo(0xffffffffL);
    assertThat(record.getShort(6)).as("version needed").isEqualTo((short) 45);
    assertThat(record.getShort(8) & 0x0800).as("UTF-8 flag").isNotZero();
    assertThat(record.getShort(30)).as("extra length").isEqualTo((short) 12);
    assertThat(record.getInt(38) >>> 16).as("mode").isEqualTo(0100755);
    int extra = 46 + name.length;
    assertThat(record.getShort(extra)).as("ZIP64 field id").isEqualTo((short) 1);
    assertThat(record.getShort(extra + 2)).as("ZIP64 field length").isEqualTo((short) 8);
    assertThat(record.getLong(extra + 4)).isEqualTo(offset);
  }

  @Tag("slow") // left out of the mutation run (pom profile "mutation")
  @Test
  void write_moreEntriesThanTheEndRecordCounts_writesZip64EndRecords() throws Exception {
    Path tree = dir.resolve("tree");
    int files = 0xffff + 10;
    for (int i = 0; i < files; i++) {
      Path f = tree.resolve("d" + (i / 1000)).resolve("f" + i);
      Files.createDirectories(f.getParent());
      Files.write(f, new byte[] {(byte) i});
    }
    Path bundle = TestBundles.build(tree, dir.resolve("many.ngp"));
    Path out = dir.resolve("out.ngp");

    try (BundleReader reader = BundleReader.open(bundle, TestBundles.LIMITS)) {
      ScanReportWriter.write(reader, Map.of(REPORT_NAME, REPORT), out);
    }

    try (FileChannel ch = FileChannel.open(out)) {
      ByteBuffer end = ZipLayout.read(ch, ch.size() - 22 - 20, 20 + 22);
      assertThat(end.getInt(0)).as("ZIP64 locator").isEqualTo(ZipLayout.ZIP64_LOCATOR_SIGNATURE);
      assertThat(end.getShort(20 + 10) & 0xffff).as("entries in the end record").isEqualTo(0xffff);
    }
    try (BundleReader after = BundleReader.open(out, TestBundles.LIMITS);
        java.util.zip.ZipFile jdk = new java.util.zip.ZipFile(out.toFile())) {
      assertThat(after.manifest().files()).hasSize(files);
      assertThat(jdk.size()).isEqualTo(files + 2);
      try (InputStream in = after.openEntry("payload/d65/f65000", 1)) {
        assertThat(in.readAllBytes()).containsExactly((byte) 65000);
      }
    }
  }

  /** An entry's local header and data, as they lie in the file. */
  private static byte[] spanBytes(Path file, BundleReader reader, String entry) throws IOException {
    ZipLayout.Span span = reader.layout().span(entry);
    try (FileChannel ch = FileChannel.open(file)) {
      ByteBuffer b = ByteBuffer.allocate((int) (span.end() - span.start()));
      while (b.hasRemaining()) {
        ch.read(b, span.start() + b.position());
      }
      return b.array();
    }
  }

  private static Map<String, byte[]> readWithJdk(Path file) throws IOException {
    Map<String, byte[]> contents = new LinkedHashMap<>();
    try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(file.toFile())) {
      for (java.util.zip.ZipEntry e : Collections.list(zip.entries())) {
        try (InputStream in = zip.getInputStream(e)) {
          contents.put(e.getName(), in.readAllBytes());
        }
      }
    }
    return contents;
  }

}
