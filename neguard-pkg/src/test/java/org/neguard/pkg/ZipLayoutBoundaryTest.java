package org.neguard.pkg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neguard.pkg.TestBundles.assertRefused;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/** INT-1: the archive's layout is read exactly: each record's limit passes at the limit, one over fails. */
class ZipLayoutBoundaryTest {
  private static final String A = "payload/a.txt";
  private static final byte[] ABC = "abc".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path tmp;

  private RawZip base() throws IOException {
    Path p = BundleTamper.empty().addStored(A, ABC).addStored("payload/b.txt", ABC)
        .write(tmp.resolve("base.zip"));
    RawZip raw = RawZip.read(p);
    for (RawZip.Member m : raw.members) {
      m.localExtra = new byte[0];
      m.centralExtra = new byte[0];
    }
    return raw;
  }

  private RawZip one() throws IOException {
    RawZip raw = base();
    raw.members.remove(1);
    return raw;
  }

  private static ZipLayout.Directory directory(Path zip) throws Exception {
    try (FileChannel ch = FileChannel.open(zip)) {
      return ZipLayout.readDirectory(ch, TestBundles.LIMITS);
    }
  }

  private static ZipLayout layout(Path zip) throws Exception {
    try (FileChannel ch = FileChannel.open(zip)) {
      ZipLayout.Directory d = ZipLayout.readDirectory(ch, TestBundles.LIMITS);
      Map<String, ZipLayout.Entry> entries = new LinkedHashMap<>();
      for (ZipLayout.Entry e : d.entries()) {
        entries.put(new String(e.rawName(), StandardCharsets.UTF_8), e);
      }
      return ZipLayout.check(ch, entries, d);
    }
  }

  private static String refusedMalformed(Path zip) {
    return assertRefused(() -> layout(zip), ReasonCode.MALFORMED).getMessage();
  }

  /** Overwrites a 16-bit field of the first central record. */
  private static Path patchCentral16(Path zip, int at, int value) throws IOException {
    byte[] b = Files.readAllBytes(zip);
    ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    int dir = bb.getInt(b.length - 22 + 16);
    bb.putShort(dir + at, (short) value);
    return Files.write(zip, b);
  }

  @Test
  @DisplayName("INT-1: an archive-level refusal speaks of the archive, not of an entry")
  void readDirectory_noEndRecord_messageIsAboutTheArchive() throws Exception {
    Path zip = Files.write(tmp.resolve("zeros.zip"), new byte[100]);
    RefusalException e = assertRefused(() -> directory(zip), ReasonCode.MALFORMED);
    assertThat(e.reasons().get(0).message()).startsWith("the archive does not end with an"
        + " end-of-central-directory record").endsWith("; the package was altered or is damaged");
  }

  @Test
  @DisplayName("INT-1: a ZIP64 locator right at the start of the file is still checked")
  void readDirectory_locatorAtOffsetZero_checked() throws Exception {
    ByteBuffer b = ByteBuffer.allocate(42).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(ZipLayout.ZIP64_LOCATOR_SIGNATURE).putInt(0).putLong(0).putInt(1);
    b.putInt(ZipLayout.EOCD_SIGNATURE);
    Path zip = Files.write(tmp.resolve("locator.zip"), b.array());
    assertMalformed(zip, "has a ZIP64 locator that does not point to the ZIP64 end record");
  }

  @Test
  @DisplayName("INT-1: a directory too small for its declared count is refused with the count")
  void readDirectory_countTwoRecordOne_tooSmall() throws Exception {
    Path zip = one().write(tmp.resolve("count.zip"));
    byte[] b = Files.readAllBytes(zip);
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putShort(b.length - 22 + 8, (short) 2)
        .putShort(b.length - 22 + 10, (short) 2);
    Files.write(zip, b);
    assertMalformed(zip, "has a central directory too small for its 2 entries");
  }

  @Test
  @DisplayName("INT-1: a damaged central record is named by its number")
  void readDirectory_firstRecordDamaged_namesRecordOne() throws Exception {
    Path zip = base().write(tmp.resolve("sig.zip"));
    patchCentral16(zip, 0, 0x1234);
    assertMalformed(zip, "has a damaged central directory (record 1)");
  }

  @Test
  @DisplayName("INT-1: a name one byte over the limit is UNSAFE_PATH, naming the record")
  void readDirectory_nameOneOverLimit_unsafePath() throws Exception {
    RawZip raw = one();
    byte[] name = ("payload/" + "n".repeat(PackagePath.MAX_BYTES)).substring(0, PackagePath.MAX_BYTES + 1)
        .getBytes(StandardCharsets.US_ASCII);
    raw.members.get(0).name = name;
    raw.members.get(0).localName = name;
    Path zip = raw.write(tmp.resolve("long.zip"));
    RefusalException e = assertRefused(() -> directory(zip), ReasonCode.UNSAFE_PATH);
    assertThat(e.getMessage()).contains("entry 1 of the archive has a name of "
        + (PackagePath.MAX_BYTES + 1) + " bytes, longer than the " + PackagePath.MAX_BYTES + " allowed");
  }

  @Test
  @DisplayName("INT-1: file comments in the central directory are skipped, also across the read buffer")
  void readDirectory_largeComments_skipped() throws Exception {
    Path zip = commented(tmp.resolve("comments.zip"), 40_000, 40_000);
    ZipLayout.Directory d = directory(zip);
    assertThat(d.entries()).extracting(e -> new String(e.rawName(), StandardCharsets.UTF_8))
        .containsExactly(A, "payload/b.txt");
    assertThat(d.size()).isGreaterThan(80_000);
  }

  @Test
  @DisplayName("INT-1: a comment length that runs past the directory's end is refused as such")
  void readDirectory_commentPastEnd_refused() throws Exception {
    Path zip = patchCentral16(one().write(tmp.resolve("comment.zip")), 32, 10);
    assertMalformed(zip, "has a central directory whose records run past its end");
  }

  @Test
  @DisplayName("INT-1: an entry with an empty name and no data, exactly filling the archive, is laid out")
  void check_emptyNameEmptyData_exactlyAtDirectory() throws Exception {
    RawZip raw = one();
    RawZip.Member m = raw.members.get(0);
    m.name = new byte[0];
    m.localName = new byte[0];
    m.data = new byte[0];
    m.crc = m.localCrc = 0;
    m.size = m.compressedSize = m.localSize = m.localCompressedSize = 0;
    Path zip = raw.write(tmp.resolve("empty-name.zip"));
    assertThat(directory(zip).size()).isEqualTo(ZipLayout.CENTRAL_LENGTH);
    ZipLayout l = layout(zip);
    assertThat(l.span("")).isEqualTo(new ZipLayout.Span(0, 30, 30));
    assertThat(l.centralDirectoryOffset()).isEqualTo(30);
  }

  @Test
  @DisplayName("INT-1: an empty last entry whose data starts exactly at the directory is laid out")
  void check_emptyLastEntry_accepted() throws Exception {
    Path zip = BundleTamper.empty().addStored(A, ABC).addStored("payload/e", new byte[0])
        .write(tmp.resolve("empty-last.zip"));
    ZipLayout l = layout(zip);
    assertThat(l.span("payload/e").dataStart()).isEqualTo(l.span("payload/e").end())
        .isEqualTo(l.centralDirectoryOffset());
  }

  @Test
  @DisplayName("INT-1: disk 0xFFFF with a 4-byte ZIP64 disk number 0 is accepted; without it refused")
  void readDirectory_zip64DiskNumber() throws Exception {
    RawZip raw = one();
    raw.members.get(0).centralExtra = new byte[] {1, 0, 4, 0, 0, 0, 0, 0};
    Path zip = patchCentral16(raw.write(tmp.resolve("disk.zip")), 34, 0xffff);
    assertThat(directory(zip).entries()).hasSize(1);
    Path without = patchCentral16(one().write(tmp.resolve("nodisk.zip")), 34, 0xffff);
    assertThat(assertRefused(() -> directory(without), ReasonCode.MALFORMED).getMessage())
        .contains("entry '" + A + "' has a central record with impossible sizes, offset or disk number");
  }

  @Test
  @DisplayName("INT-1: an extra field of exactly its 4-byte header is accepted")
  void readDirectory_emptyExtraField_accepted() throws Exception {
    RawZip raw = one();
    raw.members.get(0).centralExtra = new byte[] {(byte) 0xfe, (byte) 0xca, 0, 0};
    assertThat(directory(raw.write(tmp.resolve("extra.zip"))).entries()).hasSize(1);
  }

  @Test
  @DisplayName("INT-1: a size of 0xFFFFFFFF takes exactly its 8-byte ZIP64 value; without it, refused naming the entry")
  void readDirectory_zip64SizeExactlyEightBytes() throws Exception {
    RawZip raw = one();
    raw.members.get(0).size = 0xffffffffL;
    raw.members.get(0).centralExtra = RawZip.zip64Extra(3);
    assertThat(directory(raw.write(tmp.resolve("z64.zip"))).entries().get(0).size()).isEqualTo(3);
    RawZip bad = one();
    bad.members.get(0).size = 0xffffffffL;
    Path zip = bad.write(tmp.resolve("noz64.zip"));
    assertThat(assertRefused(() -> directory(zip), ReasonCode.MALFORMED).getMessage())
        .contains("entry '" + A + "' has a size or offset of 0xFFFFFFFF without its ZIP64 value");
  }

  @Test
  @DisplayName("INT-1: entries are laid out by local offset, whatever the order they are given in")
  void check_entriesGivenInReverse_laidOutByOffset() throws Exception {
    Path zip = base().write(tmp.resolve("rev.zip"));
    try (FileChannel ch = FileChannel.open(zip)) {
      ZipLayout.Directory d = ZipLayout.readDirectory(ch, TestBundles.LIMITS);
      List<ZipLayout.Entry> reversed = new ArrayList<>(d.entries());
      Collections.reverse(reversed);
      Map<String, ZipLayout.Entry> entries = new LinkedHashMap<>();
      for (ZipLayout.Entry e : reversed) {
        entries.put(new String(e.rawName(), StandardCharsets.UTF_8), e);
      }
      ZipLayout l = ZipLayout.check(ch, entries, d);
      assertThat(l.span(A).start()).isZero();
      assertThat(l.span("payload/b.txt").start()).isEqualTo(l.span(A).end());
    }
  }

  @Test
  @DisplayName("INT-1: an entry whose sizes run past the directory is refused as such")
  void check_dataRunsIntoDirectory_refused() throws Exception {
    RawZip raw = one();
    RawZip.Member m = raw.members.get(0);
    m.size = m.compressedSize = m.localSize = m.localCompressedSize = ABC.length + 5;
    Path zip = raw.write(tmp.resolve("over.zip"));
    assertThat(refusedMalformed(zip)).contains(
        "entry '" + A + "' has data that runs into the central directory");
  }

  @Test
  @DisplayName("INT-1: a local header that would start less than 30 bytes before the directory is refused as such")
  void check_localHeaderIntoDirectory_refused() throws Exception {
    byte[] b = base().bytes();
    int endA = 30 + A.length() + ABC.length;
    int removed = 30 + "payload/b.txt".length() + ABC.length;
    byte[] cut = new byte[b.length - removed];
    System.arraycopy(b, 0, cut, 0, endA);
    System.arraycopy(b, endA + removed, cut, endA, b.length - endA - removed);
    ByteBuffer bb = ByteBuffer.wrap(cut).order(ByteOrder.LITTLE_ENDIAN);
    bb.putInt(cut.length - 22 + 16, bb.getInt(cut.length - 22 + 16) - removed);
    Path zip = Files.write(tmp.resolve("cut.zip"), cut);
    assertThat(refusedMalformed(zip)).contains(
        "entry 'payload/b.txt' has a local header that runs into the central directory");
  }

  @Test
  @DisplayName("INT-1: a name length that runs past the directory's end is refused as such")
  void readDirectory_namePastEnd_refused() throws Exception {
    Path zip = one().write(tmp.resolve("name.zip"));
    byte[] b = Files.readAllBytes(zip);
    ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    int dir = bb.getInt(b.length - 22 + 16);
    bb.putShort(dir + 28, (short) (A.length() + 10));
    Files.write(zip, b);
    assertMalformed(zip, "has a central directory whose records run past its end");
  }

  private Path commented(Path zip, int firstComment) throws IOException {
    return commented(zip, firstComment, 0);
  }

  /** Two stored entries, A and payload/b.txt, with comments of the given lengths (0: none). */
  private Path commented(Path zip, int firstComment, int secondComment) throws IOException {
    try (ZipArchiveOutputStream out = new ZipArchiveOutputStream(zip)) {
      for (String n : List.of(A, "payload/b.txt")) {
        ZipArchiveEntry e = new ZipArchiveEntry(n);
        e.setMethod(ZipArchiveEntry.STORED);
        e.setSize(ABC.length);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(ABC);
        e.setCrc(crc.getValue());
        int comment = n.equals(A) ? firstComment : secondComment;
        if (comment > 0) {
          e.setComment("c".repeat(comment));
        }
        out.putArchiveEntry(e);
        out.write(ABC);
        out.closeArchiveEntry();
      }
    }
    return zip;
  }

  @Test
  @DisplayName("INT-1: a central record that straddles the 64 KiB read buffer near the directory's end is read")
  void readDirectory_recordStraddlesBufferNearEnd_read() throws Exception {
    Path probe = commented(tmp.resolve("probe.zip"), 0);
    byte[] b = Files.readAllBytes(probe);
    ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    int dir = bb.getInt(b.length - 22 + 16);
    int first = ZipLayout.CENTRAL_LENGTH + (bb.getShort(dir + 28) & 0xffff) + (bb.getShort(dir + 30) & 0xffff);
    int comment = 64 * 1024 - 30 - first; // 30 bytes of the second record's header in the buffer
    Path zip = commented(tmp.resolve("straddle.zip"), comment);
    ZipLayout.Directory d = directory(zip);
    assertThat(d.entries()).extracting(e -> new String(e.rawName(), StandardCharsets.UTF_8))
        .containsExactly(A, "payload/b.txt");
    assertThat(d.size()).isGreaterThan(64 * 1024).isLessThan(64 * 1024 + 60);
  }

  /** Reading the directory of {@code zip} is refused MALFORMED, the message saying {@code what}. */
  private static void assertMalformed(Path zip, String what) {
    RefusalException e = assertRefused(() -> directory(zip), ReasonCode.MALFORMED);
    assertThat(e.getMessage()).contains(what);
  }
}
