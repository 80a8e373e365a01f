package org.neguard.pkg;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;

/**
 * A ZIP taken apart into its records, field by field, to be put back together with the
 * inconsistencies an attacker would craft: local headers that say other things than the central
 * directory, bytes hidden after a deflate stream, gaps, prefixes, comments. {@link BundleTamper}
 * works at the level of entries; this works at the level of bytes. Reads only what our own
 * writers produce (no ZIP64 end records, no comments).
 */
final class RawZip {
  /** One entry: its central fields, and the local header's own copies, which may differ. */
  static final class Member {
    byte[] name;
    int madeBy;
    int versionNeeded;
    int localVersionNeeded;
    int flags;
    int method;
    int time;
    long crc;
    long compressedSize;
    long size;
    int external;
    byte[] centralExtra = new byte[0];
    byte[] data;
    // The local header's fields: the same as the central ones unless an edit changes them.
    byte[] localName;
    int localFlags;
    int localMethod;
    long localCrc;
    long localCompressedSize;
    long localSize;
    byte[] localExtra = new byte[0];
    /** Bytes written before this entry's local header, outside any entry. */
    byte[] gapBefore = new byte[0];

    String name() {
      return new String(name, StandardCharsets.UTF_8);
    }
  }

  final List<Member> members = new ArrayList<>();
  byte[] prefix = new byte[0];
  byte[] beforeDirectory = new byte[0];
  byte[] afterDirectory = new byte[0];
  byte[] comment = new byte[0];

  private RawZip() {}

  static RawZip read(Path zip) throws IOException {
    byte[] bytes = Files.readAllBytes(zip);
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int eocd = bytes.length - 22;
    if (b.getInt(eocd) != ZipLayout.EOCD_SIGNATURE) {
      throw new IOException("not a plain ZIP without comment: " + zip);
    }
    RawZip raw = new RawZip();
    int count = Short.toUnsignedInt(b.getShort(eocd + 10));
    int p = b.getInt(eocd + 16);
    for (int i = 0; i < count; i++) {
      Member m = new Member();
      m.madeBy = u16(b, p + 4);
      m.versionNeeded = u16(b, p + 6);
      m.flags = u16(b, p + 8);
      m.method = u16(b, p + 10);
      m.time = b.getInt(p + 12);
      m.crc = b.getInt(p + 16) & 0xffffffffL;
      m.compressedSize = b.getInt(p + 20) & 0xffffffffL;
      m.size = b.getInt(p + 24) & 0xffffffffL;
      int nameLength = u16(b, p + 28);
      int extraLength = u16(b, p + 30);
      int commentLength = u16(b, p + 32);
      m.external = b.getInt(p + 38);
      int local = b.getInt(p + 42);
      m.name = Arrays.copyOfRange(bytes, p + 46, p + 46 + nameLength);
      m.centralExtra = Arrays.copyOfRange(bytes, p + 46 + nameLength,
          p + 46 + nameLength + extraLength);
      int localNameLength = u16(b, local + 26);
      int localExtraLength = u16(b, local + 28);
      m.localName = Arrays.copyOfRange(bytes, local + 30, local + 30 + localNameLength);
      m.localExtra = Arrays.copyOfRange(bytes, local + 30 + localNameLength,
          local + 30 + localNameLength + localExtraLength);
      int data = local + 30 + localNameLength + localExtraLength;
      m.data = Arrays.copyOfRange(bytes, data, data + (int) m.compressedSize);
      m.localVersionNeeded = u16(b, local + 4);
      m.localFlags = m.flags;
      m.localMethod = m.method;
      m.localCrc = m.crc;
      m.localCompressedSize = m.compressedSize;
      m.localSize = m.size;
      raw.members.add(m);
      p += 46 + nameLength + extraLength + commentLength;
    }
    return raw;
  }

  Member member(String name) {
    return members.stream().filter(m -> m.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no member " + name));
  }

  /** The first deflated member whose name starts with {@code prefix}. */
  Member firstDeflated(String prefix) {
    return members.stream()
        .filter(m -> m.method == ZipLayout.DEFLATED && m.name().startsWith(prefix))
        .findFirst().orElseThrow(() -> new IllegalArgumentException("no deflated " + prefix));
  }

  /**
   * Hides a complete local entry ({@code hiddenName}, {@code content}) right after the deflate
   * stream of {@code member}, inside that member's compressed size as the central directory
   * gives it. With {@code zip64}, the local header's sizes are all ones and its ZIP64 field gives
   * the deflate stream's own length, so a streaming unzipper goes on to the hidden entry; without,
   * the local header agrees with the central directory and only the stream's end betrays it.
   */
  RawZip hideAfterDeflateStream(String member, String hiddenName, byte[] content, boolean zip64) {
    Member m = member(member);
    if (m.method != ZipLayout.DEFLATED) {
      throw new IllegalArgumentException(member + " is not deflated");
    }
    long deflated = m.compressedSize;
    byte[] hidden = localEntry(hiddenName, content);
    byte[] data = Arrays.copyOf(m.data, m.data.length + hidden.length);
    System.arraycopy(hidden, 0, data, m.data.length, hidden.length);
    m.data = data;
    m.compressedSize = data.length;
    if (zip64) {
      m.localCompressedSize = 0xffffffffL;
      m.localSize = 0xffffffffL;
      m.localExtra = zip64Extra(m.size, deflated);
    } else {
      m.localCompressedSize = data.length;
      m.localExtra = zip64Extra(m.size, data.length); // our writer puts one in every header
    }
    return this;
  }

  /**
   * The bytes of a complete stored local entry (header and data), as a streaming unzipper would
   * read it.
   */
  static byte[] localEntry(String name, byte[] content) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    CRC32 crc = new CRC32();
    crc.update(content);
    ByteBuffer h = little(30 + n.length + content.length);
    h.putInt(ZipLayout.LFH_SIGNATURE).putShort((short) 10).putShort((short) 0x0800)
        .putShort((short) 0).putInt(0).putInt((int) crc.getValue()).putInt(content.length)
        .putInt(content.length).putShort((short) n.length).putShort((short) 0).put(n)
        .put(content);
    return h.array();
  }

  /** A ZIP64 extra field holding {@code values} as 8-byte numbers. */
  static byte[] zip64Extra(long... values) {
    ByteBuffer b = little(4 + 8 * values.length);
    b.putShort((short) 1).putShort((short) (8 * values.length));
    for (long v : values) {
      b.putLong(v);
    }
    return b.array();
  }

  byte[] bytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(prefix);
    long[] offsets = new long[members.size()];
    for (int i = 0; i < members.size(); i++) {
      Member m = members.get(i);
      out.writeBytes(m.gapBefore);
      offsets[i] = out.size();
      ByteBuffer h = little(30);
      h.putInt(ZipLayout.LFH_SIGNATURE).putShort((short) m.localVersionNeeded)
          .putShort((short) m.localFlags)
          .putShort((short) m.localMethod).putInt(m.time).putInt((int) m.localCrc)
          .putInt((int) m.localCompressedSize).putInt((int) m.localSize)
          .putShort((short) m.localName.length).putShort((short) m.localExtra.length);
      out.writeBytes(h.array());
      out.writeBytes(m.localName);
      out.writeBytes(m.localExtra);
      out.writeBytes(m.data);
    }
    out.writeBytes(beforeDirectory);
    long directoryOffset = out.size();
    for (int i = 0; i < members.size(); i++) {
      Member m = members.get(i);
      ByteBuffer r = little(46);
      r.putInt(ZipLayout.CFH_SIGNATURE).putShort((short) m.madeBy)
          .putShort((short) m.versionNeeded)
          .putShort((short) m.flags).putShort((short) m.method).putInt(m.time)
          .putInt((int) m.crc).putInt((int) m.compressedSize).putInt((int) m.size)
          .putShort((short) m.name.length).putShort((short) m.centralExtra.length)
          .putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(m.external)
          .putInt((int) offsets[i]);
      out.writeBytes(r.array());
      out.writeBytes(m.name);
      out.writeBytes(m.centralExtra);
    }
    long directorySize = out.size() - directoryOffset;
    out.writeBytes(afterDirectory);
    ByteBuffer end = little(22);
    end.putInt(ZipLayout.EOCD_SIGNATURE).putShort((short) 0).putShort((short) 0)
        .putShort((short) members.size()).putShort((short) members.size())
        .putInt((int) directorySize).putInt((int) directoryOffset)
        .putShort((short) comment.length);
    out.writeBytes(end.array());
    out.writeBytes(comment);
    return out.toByteArray();
  }

  Path write(Path file) throws IOException {
    Files.write(file, bytes());
    return file;
  }

  private static int u16(ByteBuffer b, int at) {
    return Short.toUnsignedInt(b.getShort(at));
  }

  private static ByteBuffer little(int n) {
    return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
  }
}
