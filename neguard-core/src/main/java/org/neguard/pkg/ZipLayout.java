package org.neguard.pkg;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Checks that a ZIP has one reading only: every local header agrees with its central-directory
 * record, and the entries tile the file from offset 0 to the central directory with no gap and no
 * overlap. Without this, bytes the verifier never looked at (a hidden entry, a local header that
 * names another file) would be what a streaming unzipper on an NE extracts.
 */
final class ZipLayout {
  static final int LFH_SIGNATURE = 0x04034b50;
  static final int CFH_SIGNATURE = 0x02014b50;
  static final int EOCD_SIGNATURE = 0x06054b50;
  static final int ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
  static final int ZIP64_EOCD_SIGNATURE = 0x06064b50;
  static final long FFFFFFFF = 0xffffffffL;

  /** Where an entry lies: its local header at {@code start}, its data ending before {@code end}. */
  record Span(long start, long end) {}

  private final Map<String, Span> spans;
  private final long centralDirectoryOffset;
  private final long centralDirectorySize;

  private ZipLayout(Map<String, Span> spans, long centralDirectoryOffset, long centralDirectorySize) {
    this.spans = spans;
    this.centralDirectoryOffset = centralDirectoryOffset;
    this.centralDirectorySize = centralDirectorySize;
  }

  /** Each entry's span, by name. */
  Span span(String name) {
    return spans.get(name);
  }

  long centralDirectoryOffset() {
    return centralDirectoryOffset;
  }

  long centralDirectorySize() {
    return centralDirectorySize;
  }

  /**
   * Checks that {@code entries} (the central directory as read) tile the file open in {@code
   * ch}, and returns where each lies. Reads with positional reads only.
   *
   * @throws RefusalException {@code MALFORMED} if they do not
   */
  static ZipLayout check(FileChannel ch, Map<String, ZipArchiveEntry> entries)
      throws IOException, RefusalException {
    long[] directory = centralDirectory(ch);
    long end = directory[0];
    Map<String, Span> spans = new java.util.HashMap<>();
    List<Map.Entry<String, ZipArchiveEntry>> byOffset = new ArrayList<>(entries.entrySet());
    byOffset.sort(Comparator.comparingLong(e -> e.getValue().getLocalHeaderOffset()));
    long expected = 0;
    for (Map.Entry<String, ZipArchiveEntry> e : byOffset) {
      ZipArchiveEntry entry = e.getValue();
      String name = e.getKey();
      if (entry.getLocalHeaderOffset() != expected) {
        throw malformed(name, "does not start where the previous entry ends (hidden or"
            + " overlapping data)");
      }
      ByteBuffer h = read(ch, expected, 30);
      if (h.getInt(0) != LFH_SIGNATURE) {
        throw malformed(name, "has no local header");
      }
      int flags = h.getShort(6) & 0xffff;
      if ((flags & 0x08) != 0) {
        throw malformed(name, "uses a data descriptor, which the format does not allow");
      }
      int method = h.getShort(8) & 0xffff;
      long crc = h.getInt(14) & FFFFFFFF;
      long compressed = h.getInt(18) & FFFFFFFF;
      long size = h.getInt(22) & FFFFFFFF;
      int nameLength = h.getShort(26) & 0xffff;
      int extraLength = h.getShort(28) & 0xffff;
      byte[] localName = new byte[nameLength];
      read(ch, expected + 30, nameLength).get(localName);
      if (!Arrays.equals(localName, entry.getRawName())) {
        throw malformed(name, "has another name in its local header");
      }
      if (method != entry.getMethod() || crc != entry.getCrc()
          || (compressed != FFFFFFFF && compressed != entry.getCompressedSize())
          || (size != FFFFFFFF && size != entry.getSize())) {
        throw malformed(name, "has a local header that disagrees with the central directory");
      }
      long next = expected + 30L + nameLength + extraLength + entry.getCompressedSize();
      spans.put(name, new Span(expected, next));
      expected = next;
    }
    if (expected != end) {
      throw malformed(null, "holds data between its last entry and the central directory");
    }
    if (directory[1] < 0 || end + directory[1] > ch.size()) {
      throw malformed(null, "has a central directory that does not fit in the file");
    }
    return new ZipLayout(Map.copyOf(spans), end, directory[1]);
  }

  /**
   * Where the central directory starts and how long it is, from the end-of-central-directory
   * record, or from the ZIP64 record when a ZIP64 locator precedes it (as ZIP readers do). Where
   * both are present they must agree, so that every reader finds the same central directory.
   */
  private static long[] centralDirectory(FileChannel ch) throws IOException, RefusalException {
    long size = ch.size();
    int tail = (int) Math.min(size, 22 + 65535);
    ByteBuffer b = read(ch, size - tail, tail);
    for (int i = tail - 22; i >= 0; i--) {
      if (b.getInt(i) != EOCD_SIGNATURE) {
        continue;
      }
      long eocd = size - tail + i;
      int count = b.getShort(i + 10) & 0xffff;
      long directorySize = b.getInt(i + 12) & FFFFFFFF;
      long offset = b.getInt(i + 16) & FFFFFFFF;
      ByteBuffer locator = eocd >= 20 ? read(ch, eocd - 20, 20) : null;
      if (locator == null || locator.getInt(0) != ZIP64_LOCATOR_SIGNATURE) {
        if (offset == FFFFFFFF) {
          break;
        }
        return new long[] {offset, directorySize};
      }
      ByteBuffer zip64 = read(ch, locator.getLong(8), 56);
      if (zip64.getInt(0) != ZIP64_EOCD_SIGNATURE) {
        break;
      }
      long zip64Count = zip64.getLong(32);
      long zip64Size = zip64.getLong(40);
      long zip64Offset = zip64.getLong(48);
      if ((count != 0xffff && count != zip64Count)
          || (directorySize != FFFFFFFF && directorySize != zip64Size)
          || (offset != FFFFFFFF && offset != zip64Offset)) {
        throw malformed(null, "has two end-of-central-directory records that disagree");
      }
      return new long[] {zip64Offset, zip64Size};
    }
    throw malformed(null, "has no readable end-of-central-directory record");
  }

  static ByteBuffer read(FileChannel ch, long position, int length)
      throws IOException, RefusalException {
    if (position < 0 || position + length > ch.size()) {
      throw malformed(null, "points outside the file");
    }
    ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    while (b.hasRemaining()) {
      if (ch.read(b, position + b.position()) < 0) {
        throw malformed(null, "ends early");
      }
    }
    return b.flip();
  }

  private static RefusalException malformed(String entry, String what) {
    String message = (entry == null ? "the archive " : "entry '" + entry + "' ") + what
        + "; the package was altered or is damaged";
    return entry == null
        ? new RefusalException(ReasonCode.MALFORMED, message)
        : RefusalException.about(ReasonCode.MALFORMED, entry, message);
  }
}
