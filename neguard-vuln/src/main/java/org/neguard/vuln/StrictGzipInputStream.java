package org.neguard.vuln;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import java.util.zip.ZipException;

/**
 * A gzip stream (RFC 1952) read strictly: every member's CRC-32 and length checked, and
 * anything after the last member refused. {@link java.util.zip.GZIPInputStream} stops silently
 * at bytes after a member that do not start another one, so a feed with data appended would
 * be read by it as clean while {@code gzip -t} calls it damaged: two readers, two answers.
 * Damage is a {@link ZipException} or {@link EOFException} (truncated).
 */
final class StrictGzipInputStream extends InputStream {
  private static final int FHCRC = 2;
  private static final int FEXTRA = 4;
  private static final int FNAME = 8;
  private static final int FCOMMENT = 16;
  private static final int MAX_HEADER_STRING = 1 << 16;

  private final InputStream in;
  private final Inflater inflater = new Inflater(true);
  private final CRC32 crc = new CRC32();
  private final byte[] raw = new byte[1 << 16];
  private int rawPos;
  private int rawLim;
  private long size;
  private boolean eof;

  StrictGzipInputStream(InputStream in) throws IOException {
    this.in = in;
    header(true);
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (!eof) {
      if (inflater.finished()) {
        rawPos = rawLim - inflater.getRemaining();
        trailer();
        continue;
      }
      if (inflater.needsInput()) {
        if (rawPos == rawLim && !fill()) {
          throw new EOFException("the gzip stream ends before its data does (truncated)");
        }
        inflater.setInput(raw, rawPos, rawLim - rawPos);
        rawPos = rawLim;
      }
      int n;
      try {
        n = inflater.inflate(b, off, len);
      } catch (DataFormatException e) {
        throw new ZipException("damaged gzip data: " + e.getMessage());
      }
      if (n > 0) {
        crc.update(b, off, n);
        size += n;
        return n;
      }
      if (inflater.needsDictionary()) {
        throw new ZipException("damaged gzip data: a preset dictionary");
      }
    }
    return -1;
  }

  /** Frees the inflater; the underlying stream is the caller's and stays open. */
  @Override
  public void close() {
    inflater.end();
  }

  private void trailer() throws IOException {
    long storedCrc = u32();
    long storedSize = u32();
    if (storedCrc != crc.getValue()) {
      throw new ZipException("gzip CRC-32 mismatch: the data is damaged");
    }
    if (storedSize != (size & 0xffffffffL)) {
      throw new ZipException("gzip length mismatch: the data is damaged");
    }
    // RFC 1952: members may follow one another; anything else after a member is damage.
    if (rawPos == rawLim && !fill()) {
      eof = true;
      return;
    }
    inflater.reset();
    crc.reset();
    size = 0;
    header(false);
  }

  private void header(boolean first) throws IOException {
    int id1 = u8();
    int id2 = u8();
    if (id1 != 0x1f || id2 != 0x8b) {
      throw new ZipException(first ? "not gzip" : "data after the gzip stream");
    }
    if (u8() != 8) {
      throw new ZipException("gzip compression method is not deflate");
    }
    int flags = u8();
    if ((flags & 0xe0) != 0) {
      throw new ZipException("gzip header has reserved flags set");
    }
    for (int i = 0; i < 6; i++) {
      u8(); // MTIME, XFL, OS: not used
    }
    if ((flags & FEXTRA) != 0) {
      int xlen = u8() | (u8() << 8);
      for (int i = 0; i < xlen; i++) {
        u8();
      }
    }
    if ((flags & FNAME) != 0) {
      zeroTerminated();
    }
    if ((flags & FCOMMENT) != 0) {
      zeroTerminated();
    }
    if ((flags & FHCRC) != 0) {
      u8();
      u8();
    }
  }

  private void zeroTerminated() throws IOException {
    for (int i = 0; i < MAX_HEADER_STRING; i++) {
      if (u8() == 0) {
        return;
      }
    }
    throw new ZipException("gzip header name or comment longer than " + MAX_HEADER_STRING);
  }

  private long u32() throws IOException {
    return (u8() | (u8() << 8) | (u8() << 16) | ((long) u8() << 24)) & 0xffffffffL;
  }

  private int u8() throws IOException {
    if (rawPos == rawLim && !fill()) {
      throw new EOFException("the gzip stream ends inside a header or trailer (truncated)");
    }
    return raw[rawPos++] & 0xff;
  }

  private boolean fill() throws IOException {
    int n = in.read(raw, 0, raw.length);
    if (n <= 0) {
      // InputStream.read returns 0 only for len 0; -1 is the end.
      return false;
    }
    rawPos = 0;
    rawLim = n;
    return true;
  }
}
