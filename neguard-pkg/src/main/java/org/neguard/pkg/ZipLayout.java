package org.neguard.pkg;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Reads a ZIP's structure so that it has one reading only: the end records, the central directory
 * and the local headers account for every byte of the file exactly once. Every local header agrees
 * with its central-directory record (ZIP64 values included), the entries tile the file from offset
 * 0 to the central directory, the central directory ends where the end records begin, and the end
 * of central directory record is the file's last 22 bytes. Without this, bytes the verifier never
 * looked at (a hidden entry, a local header that names another file or size) would be what a
 * streaming unzipper on an NE extracts. That each compressed stream ends exactly where its entry
 * ends is checked when the entry is read ({@link EntryStream}).
 *
 * <p>Every count and length is checked against {@link BundleLimits} before the memory it sizes is
 * spent: the central directory is streamed record by record, never loaded whole.
 */
final class ZipLayout {
  static final int LFH_SIGNATURE = 0x04034b50;
  static final int CFH_SIGNATURE = 0x02014b50;
  static final int EOCD_SIGNATURE = 0x06054b50;
  static final int ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
  static final int ZIP64_EOCD_SIGNATURE = 0x06064b50;
  static final long FFFFFFFF = 0xffffffffL;
  static final int EOCD_LENGTH = 22;
  static final int ZIP64_LOCATOR_LENGTH = 20;
  static final int ZIP64_EOCD_LENGTH = 56;
  static final int CENTRAL_LENGTH = 46;
  static final int LOCAL_LENGTH = 30;
  static final int ZIP64_EXTRA = 0x0001;
  static final int STORED = 0;
  static final int DEFLATED = 8;
  /** General-purpose flags a bundle may use: deflate options (bits 1, 2) and UTF-8 names (11). */
  static final int ALLOWED_FLAGS = 0x0806;
  static final int FLAG_ENCRYPTED = 0x0001;
  static final int FLAG_DATA_DESCRIPTOR = 0x0008;
  static final int FLAG_STRONG_ENCRYPTION = 0x0040;
  private static final int UNIX = 3;
  private static final int CHUNK = 64 * 1024;
  /**
   * Extra-field bytes read with a local header: a local ZIP64 field takes 20; longer extra
   * fields are read on their own.
   */
  static final int LOCAL_READ_AHEAD = 64;

  /**
   * One central-directory record. {@code rawName} is the record's own array: not to be changed.
   */
  record Entry(byte[] rawName, int madeBy, int flags, int method, long crc, long compressedSize,
      long size, long localOffset, int externalAttributes) {

    /** The Unix mode in the high half of the external attributes, 0 if not made on Unix. */
    int unixMode() {
      return (madeBy >> 8) == UNIX ? externalAttributes >>> 16 : 0;
    }

    boolean isUnixSymlink() {
      return (unixMode() & 0170000) == 0120000;
    }
  }

  /** The central directory: its records in file order, where it starts and how long it is. */
  record Directory(List<Entry> entries, long offset, long size) {}

  /**
   * Where an entry lies: its local header at {@code start}, its compressed data from {@code
   * dataStart} to just before {@code end}.
   */
  record Span(long start, long dataStart, long end) {}

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
   * Reads the end records and then the central directory, checking the declared entry count
   * against {@code limits} before any record is read and each name length before its bytes are.
   *
   * @throws RefusalException {@code SIZE_LIMIT} for too many entries, {@code UNSAFE_PATH} for a
   *     name longer than {@link PackagePath#MAX_BYTES}, {@code MALFORMED} for anything else
   */
  static Directory readDirectory(FileChannel ch, BundleLimits limits)
      throws IOException, RefusalException {
    long fileSize = ch.size();
    if (fileSize < EOCD_LENGTH) {
      throw malformed(null, "is too short to be a ZIP archive");
    }
    long eocd = fileSize - EOCD_LENGTH;
    ByteBuffer end = read(ch, eocd, EOCD_LENGTH);
    if (end.getInt(0) != EOCD_SIGNATURE || u16(end, 20) != 0) {
      // A reader that searches backwards for the record could find one inside a comment or in
      // appended data: no such search, and no trailing bytes, so all readers find this one.
      throw malformed(null, "does not end with an end-of-central-directory record (it is"
          + " truncated, has an archive comment, or has data appended)");
    }
    int count16 = u16(end, 10);
    if (u16(end, 4) != 0 || u16(end, 6) != 0 || u16(end, 8) != count16) {
      throw malformed(null, "claims to span several disks");
    }
    long count = count16;
    long size = u32(end, 12);
    long offset = u32(end, 16);
    long directoryEnd = eocd;
    ByteBuffer locator = eocd >= ZIP64_LOCATOR_LENGTH
        ? read(ch, eocd - ZIP64_LOCATOR_LENGTH, ZIP64_LOCATOR_LENGTH) : null;
    if (locator != null && locator.getInt(0) == ZIP64_LOCATOR_SIGNATURE) {
      long record = eocd - ZIP64_LOCATOR_LENGTH - ZIP64_EOCD_LENGTH;
      if (locator.getInt(4) != 0 || locator.getInt(16) != 1 || locator.getLong(8) != record) {
        throw malformed(null, "has a ZIP64 locator that does not point to the ZIP64 end record"
            + " just before it");
      }
      ByteBuffer zip64 = read(ch, record, ZIP64_EOCD_LENGTH);
      if (zip64.getInt(0) != ZIP64_EOCD_SIGNATURE || zip64.getLong(4) != ZIP64_EOCD_LENGTH - 12
          || zip64.getInt(16) != 0 || zip64.getInt(20) != 0
          || zip64.getLong(24) != zip64.getLong(32)) {
        throw malformed(null, "has a damaged ZIP64 end-of-central-directory record");
      }
      long zip64Count = zip64.getLong(32);
      long zip64Size = zip64.getLong(40);
      long zip64Offset = zip64.getLong(48);
      if ((count16 != 0xffff && count16 != zip64Count)
          || (size != FFFFFFFF && size != zip64Size)
          || (offset != FFFFFFFF && offset != zip64Offset)) {
        throw malformed(null, "has two end-of-central-directory records that disagree");
      }
      count = zip64Count;
      size = zip64Size;
      offset = zip64Offset;
      directoryEnd = record;
    } else if (size == FFFFFFFF || offset == FFFFFFFF) {
      throw malformed(null, "refers to ZIP64 end records it does not have");
    }
    // The count is the first thing checked: it sizes everything read after it.
    if (count < 0 || count > limits.maxEntries()) {
      throw new RefusalException(ReasonCode.SIZE_LIMIT, "the archive declares "
          + Long.toUnsignedString(count) + " entries, more than the limit of "
          + limits.maxEntries() + "; a package this large must be split or the limit raised");
    }
    if (offset < 0 || size < 0 || offset > directoryEnd || size != directoryEnd - offset) {
      throw malformed(null, "has a central directory that does not end where its end records"
          + " begin (hidden or missing data)");
    }
    if (size < count * CENTRAL_LENGTH) {
      throw malformed(null, "has a central directory too small for its " + count + " entries");
    }
    return new Directory(records(ch, offset, size, (int) count), offset, size);
  }

  /** Streams {@code count} records from the central directory at {@code offset}. */
  private static List<Entry> records(FileChannel ch, long offset, long size, int count)
      throws IOException, RefusalException {
    Sequential in = new Sequential(ch, offset, offset + size);
    // Grown as records arrive, not presized from a count the file declares.
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ByteBuffer r = in.next(CENTRAL_LENGTH);
      if (r.getInt(0) != CFH_SIGNATURE) {
        throw malformed(null, "has a damaged central directory (record " + (i + 1) + ")");
      }
      int nameLength = u16(r, 28);
      int extraLength = u16(r, 30);
      int commentLength = u16(r, 32);
      if (nameLength > PackagePath.MAX_BYTES) {
        throw new RefusalException(ReasonCode.UNSAFE_PATH, "entry " + (i + 1) + " of the archive"
            + " has a name of " + nameLength + " bytes, longer than the " + PackagePath.MAX_BYTES
            + " allowed");
      }
      int madeBy = u16(r, 4);
      int flags = u16(r, 8);
      int method = u16(r, 10);
      long crc = u32(r, 16);
      long compressed = u32(r, 20);
      long uncompressed = u32(r, 24);
      int disk = u16(r, 34);
      int external = r.getInt(38);
      long local = u32(r, 42);
      byte[] name = new byte[nameLength];
      in.next(nameLength).get(name);
      ByteBuffer zip64 = zip64Field(in.next(extraLength), name);
      in.skip(commentLength);
      // ZIP64 values come in this order, each only where its 32-bit field is all ones.
      if (uncompressed == FFFFFFFF) {
        uncompressed = zip64Value(zip64, name);
      }
      if (compressed == FFFFFFFF) {
        compressed = zip64Value(zip64, name);
      }
      if (local == FFFFFFFF) {
        local = zip64Value(zip64, name);
      }
      if (disk == 0xffff) {
        disk = zip64 != null && zip64.remaining() >= 4 ? zip64.getInt() : -1;
      }
      if (disk != 0 || uncompressed < 0 || compressed < 0 || local < 0) {
        throw malformed(PackagePath.printable(new String(name,
            java.nio.charset.StandardCharsets.UTF_8)), "has a central record with impossible"
            + " sizes, offset or disk number");
      }
      entries.add(new Entry(name, madeBy, flags, method, crc, compressed, uncompressed, local,
          external));
    }
    if (!in.atEnd()) {
      throw malformed(null, "holds more in its central directory than its " + count
          + " records (hidden data)");
    }
    return entries;
  }

  /**
   * Checks every local header of {@code entries} (name to central record) against its record and
   * that the entries tile the file from offset 0 to the central directory.
   *
   * @throws RefusalException {@code MALFORMED} if they do not
   */
  static ZipLayout check(FileChannel ch, Map<String, Entry> entries, Directory directory)
      throws IOException, RefusalException {
    Map<String, Span> spans = new HashMap<>();
    List<Map.Entry<String, Entry>> byOffset = new ArrayList<>(entries.entrySet());
    byOffset.sort(Comparator.comparingLong(e -> e.getValue().localOffset()));
    long fileSize = ch.size();
    // One positional read per local header (its fixed part, its name, and an extra field up to
    // LOCAL_READ_AHEAD bytes), into one buffer reused for every entry: a bundle of 4,718 files
    // took three reads, three file-size calls and three buffers per entry before.
    ByteBuffer buffer = ByteBuffer.allocate(LOCAL_LENGTH + PackagePath.MAX_BYTES + LOCAL_READ_AHEAD)
        .order(ByteOrder.LITTLE_ENDIAN);
    long expected = 0;
    for (Map.Entry<String, Entry> e : byOffset) {
      Entry entry = e.getValue();
      String name = e.getKey();
      if (entry.localOffset() != expected) {
        throw malformed(name, "does not start where the previous entry ends (hidden or"
            + " overlapping data)");
      }
      if (expected + LOCAL_LENGTH > directory.offset()) {
        throw malformed(name, "has a local header that runs into the central directory");
      }
      byte[] rawName = entry.rawName();
      // Never past the central directory: what lies there is not this header's.
      int want = (int) Math.min(directory.offset() - expected,
          LOCAL_LENGTH + rawName.length + LOCAL_READ_AHEAD);
      ByteBuffer h = readInto(ch, buffer, expected, want, fileSize);
      if (h.getInt(0) != LFH_SIGNATURE) {
        throw malformed(name, "has no local header");
      }
      int nameLength = u16(h, 26);
      int extraLength = u16(h, 28);
      if (u16(h, 6) != entry.flags() || u16(h, 8) != entry.method() || u32(h, 14) != entry.crc()) {
        throw malformed(name, "has a local header whose flags, method or CRC disagree with the"
            + " central directory");
      }
      if (nameLength != rawName.length) {
        throw malformed(name, "has another name in its local header");
      }
      long dataStart = expected + LOCAL_LENGTH + nameLength + extraLength;
      if (dataStart > directory.offset()) {
        throw malformed(name, "has a local header that runs into the central directory");
      }
      // The name was read whole: want >= LOCAL_LENGTH + nameLength, since the data start, past
      // it, is at most the central directory's offset.
      if (!Arrays.equals(h.array(), LOCAL_LENGTH, LOCAL_LENGTH + nameLength,
          rawName, 0, nameLength)) {
        throw malformed(name, "has another name in its local header");
      }
      ByteBuffer extra = LOCAL_LENGTH + nameLength + extraLength <= want
          ? h.slice(LOCAL_LENGTH + nameLength, extraLength).order(ByteOrder.LITTLE_ENDIAN)
          : read(ch, expected + LOCAL_LENGTH + nameLength, extraLength);
      checkLocalSizes(name, entry, u32(h, 18), u32(h, 22), zip64Field(extra, rawName));
      if (entry.method() == STORED && entry.compressedSize() != entry.size()) {
        throw malformed(name, "is stored but has a compressed size other than its size");
      }
      if (entry.compressedSize() > directory.offset() - dataStart) {
        throw malformed(name, "has data that runs into the central directory");
      }
      long next = dataStart + entry.compressedSize();
      spans.put(name, new Span(expected, dataStart, next));
      expected = next;
    }
    if (expected != directory.offset()) {
      throw malformed(null, "holds data between its last entry and the central directory");
    }
    return new ZipLayout(Map.copyOf(spans), directory.offset(), directory.size());
  }

  /**
   * The local sizes, from the 32-bit fields or, where those are all ones, from the local ZIP64
   * field, must be the central ones: a streaming unzipper reads only the local header.
   */
  private static void checkLocalSizes(String name, Entry entry, long compressed, long size,
      ByteBuffer zip64) throws RefusalException {
    long localSize = size;
    long localCompressed = compressed;
    if (zip64 != null) {
      // The local ZIP64 field holds both sizes, whatever the 32-bit fields say; where those are
      // not all ones most readers ignore it, so it may not say anything else either.
      if (zip64.remaining() != 16) {
        throw malformed(name, "has a local ZIP64 field of " + zip64.remaining()
            + " bytes; it must hold exactly the two sizes");
      }
      long zip64Size = zip64.getLong();
      long zip64Compressed = zip64.getLong();
      if (zip64Size != entry.size() || zip64Compressed != entry.compressedSize()) {
        throw malformed(name, "has a local ZIP64 field whose sizes disagree with the central"
            + " directory");
      }
      if (size == FFFFFFFF) {
        localSize = zip64Size;
      }
      if (compressed == FFFFFFFF) {
        localCompressed = zip64Compressed;
      }
    }
    if (localSize != entry.size() || localCompressed != entry.compressedSize()) {
      throw malformed(name, "has a local header whose sizes disagree with the central"
          + " directory");
    }
  }

  /**
   * The ZIP64 field's data among {@code extra}'s fields, or null; the fields must fill {@code
   * extra} exactly (no slack), and hold at most one ZIP64 field.
   */
  private static ByteBuffer zip64Field(ByteBuffer extra, byte[] name) throws RefusalException {
    ByteBuffer zip64 = null;
    while (extra.remaining() > 0) {
      if (extra.remaining() < 4) {
        throw malformedExtra(name);
      }
      int id = u16(extra, extra.position());
      int length = u16(extra, extra.position() + 2);
      if (length > extra.remaining() - 4) {
        throw malformedExtra(name);
      }
      extra.position(extra.position() + 4);
      if (id == ZIP64_EXTRA) {
        if (zip64 != null) {
          throw malformedExtra(name);
        }
        zip64 = extra.slice(extra.position(), length).order(ByteOrder.LITTLE_ENDIAN);
      }
      extra.position(extra.position() + length);
    }
    return zip64;
  }

  private static long zip64Value(ByteBuffer zip64, byte[] name) throws RefusalException {
    if (zip64 == null || zip64.remaining() < 8) {
      throw malformed(printable(name), "has a size or offset of 0xFFFFFFFF without its ZIP64"
          + " value");
    }
    return zip64.getLong();
  }

  private static RefusalException malformedExtra(byte[] name) {
    return malformed(printable(name), "has damaged extra fields");
  }

  private static String printable(byte[] name) {
    return PackagePath.printable(new String(name, java.nio.charset.StandardCharsets.UTF_8));
  }

  static ByteBuffer read(FileChannel ch, long position, int length)
      throws IOException, RefusalException {
    if (position < 0 || length > ch.size() - position) {
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

  /**
   * Reads {@code length} bytes at {@code position} into {@code buffer} (from its start), for a
   * file of {@code fileSize} bytes; the returned view is valid until the buffer is used again.
   */
  private static ByteBuffer readInto(FileChannel ch, ByteBuffer buffer, long position,
      int length, long fileSize) throws IOException, RefusalException {
    if (position < 0 || length > fileSize - position) {
      throw malformed(null, "points outside the file");
    }
    buffer.clear().limit(length);
    while (buffer.hasRemaining()) {
      if (ch.read(buffer, position + buffer.position()) < 0) {
        throw malformed(null, "ends early");
      }
    }
    return buffer.flip();
  }

  private static int u16(ByteBuffer b, int at) {
    return b.getShort(at) & 0xffff;
  }

  private static long u32(ByteBuffer b, int at) {
    return b.getInt(at) & FFFFFFFF;
  }

  private static RefusalException malformed(String entry, String what) {
    String message = (entry == null ? "the archive " : "entry '" + entry + "' ") + what
        + "; the package was altered or is damaged";
    return entry == null
        ? new RefusalException(ReasonCode.MALFORMED, message)
        : RefusalException.about(ReasonCode.MALFORMED, entry, message);
  }

  /**
   * Reads a region of the file front to back through one reused buffer, so that the memory a
   * central directory costs does not depend on its declared size.
   */
  private static final class Sequential {
    private final FileChannel ch;
    private final long end;
    private final ByteBuffer buffer = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
    private long position;

    Sequential(FileChannel ch, long start, long end) {
      this.ch = ch;
      this.position = start;
      this.end = end;
      buffer.limit(0);
    }

    /** The next {@code length} bytes (at most 65,535), valid until the next call. */
    ByteBuffer next(int length) throws IOException, RefusalException {
      if (length > buffer.remaining()) {
        if (length > end - position + buffer.remaining()) {
          throw malformed(null, "has a central directory whose records run past its end");
        }
        buffer.compact();
        while (buffer.position() < length) {
          int want = (int) Math.min(buffer.remaining(), end - position);
          int n = ch.read(buffer.slice(buffer.position(), want), position);
          if (n <= 0) {
            throw malformed(null, "ends early");
          }
          buffer.position(buffer.position() + n);
          position += n;
        }
        buffer.flip();
      }
      ByteBuffer piece = buffer.slice(buffer.position(), length).order(ByteOrder.LITTLE_ENDIAN);
      buffer.position(buffer.position() + length);
      return piece;
    }

    void skip(int length) throws IOException, RefusalException {
      int inBuffer = Math.min(length, buffer.remaining());
      buffer.position(buffer.position() + inBuffer);
      long rest = length - inBuffer;
      if (rest > end - position) {
        throw malformed(null, "has a central directory whose records run past its end");
      }
      position += rest;
    }

    boolean atEnd() {
      return buffer.remaining() == 0 && position == end;
    }
  }
}
