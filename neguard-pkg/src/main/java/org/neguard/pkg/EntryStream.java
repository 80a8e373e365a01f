package org.neguard.pkg;

import org.neguard.io.Streams;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import java.util.zip.ZipException;

/**
 * An entry's content, read with positional reads from its compressed data and nothing else. At
 * the end it checks that the data was consumed exactly: a deflate stream that ends before the
 * entry's compressed size leaves bytes a streaming unzipper would read as the next entry, so that
 * is refused, as is content of another size or CRC than the central directory says.
 */
final class EntryStream extends InputStream {
  private static final int CHUNK = 64 * 1024;

  /**
   * The entry's content was delivered whole, but is not exactly what its headers say: the bytes
   * read so far are the entry's, the archive around them is not sound.
   */
  static final class MismatchException extends ZipException {
    private static final long serialVersionUID = 1L;

    MismatchException(String message) {
      super(message);
    }
  }

  private final FileChannel channel;
  private final String name;
  private final ZipLayout.Entry entry;
  private final long end;
  private final Runnable exact;
  private final MessageDigest digest;
  private final Inflater inflater;
  private final byte[] raw;
  private final CRC32 crc = new CRC32();
  private long position;
  private long produced;
  private boolean done;
  private boolean skipped;

  /**
   * @param digest null, or a digest fed every byte the stream yields, as it yields it: the one
   *     reading of the entry serves its reader and its hash
   * @param exact run once the entry was read to its end and found exact
   */
  EntryStream(FileChannel channel, String name, ZipLayout.Entry entry, ZipLayout.Span span,
      MessageDigest digest, Runnable exact) {
    this.channel = channel;
    this.name = name;
    this.entry = entry;
    this.position = span.dataStart();
    this.end = span.end();
    this.digest = digest;
    this.exact = exact;
    boolean deflated = entry.method() == ZipLayout.DEFLATED;
    this.inflater = deflated ? new Inflater(true) : null;
    this.raw = deflated ? new byte[(int) Math.min(CHUNK, Math.max(1, end - position))] : null;
  }

  @Override
  public int read() throws IOException {
    return Streams.readOne(this);
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (done) {
      return -1;
    }
    if (len == 0) {
      return 0;
    }
    int n = inflater == null ? readStored(b, off, len) : inflate(b, off, len);
    if (n < 0) {
      finish();
      return -1;
    }
    produced += n;
    crc.update(b, off, n);
    if (digest != null) {
      digest.update(b, off, n);
    }
    if (produced > entry.size()) {
      throw new BundleReader.SizeExceededException(name, entry.size());
    }
    return n;
  }

  /**
   * Skipped bytes are still read (and checked against the size and CRC-32), but when a digest is
   * taken the reading proves nothing: the reader never saw them, so a digest of them would be a
   * claim about bytes nobody examined. Such a reading ends with nothing told.
   */
  @Override
  public long skip(long n) throws IOException {
    if (n > 0 && digest != null) {
      skipped = true;
    }
    return super.skip(n);
  }

  private int readStored(byte[] b, int off, int len) throws IOException {
    long left = end - position;
    if (left == 0) {
      return -1;
    }
    int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, left)), position);
    if (n <= 0) {
      throw new ZipException("entry '" + name + "' ends early: the file was truncated");
    }
    position += n;
    return n;
  }

  private int inflate(byte[] b, int off, int len) throws IOException {
    while (true) {
      int n;
      try {
        n = inflater.inflate(b, off, len);
      } catch (DataFormatException e) {
        throw new ZipException("entry '" + name + "' is not valid deflate data ("
            + e.getMessage() + ")");
      }
      if (n > 0) {
        return n;
      }
      if (inflater.finished()) {
        return -1;
      }
      if (!inflater.needsInput()) {
        throw new ZipException("entry '" + name + "' is not valid deflate data (it needs a"
            + " preset dictionary)");
      }
      long left = end - position;
      if (left == 0) {
        throw new ZipException("entry '" + name + "' ends inside its compressed data");
      }
      int r = channel.read(ByteBuffer.wrap(raw, 0, (int) Math.min(raw.length, left)), position);
      if (r <= 0) {
        throw new ZipException("entry '" + name + "' ends early: the file was truncated");
      }
      position += r;
      inflater.setInput(raw, 0, r);
    }
  }

  private void finish() throws IOException {
    done = true;
    if (inflater != null) {
      long unread = end - position + inflater.getRemaining();
      inflater.end();
      if (unread != 0) {
        throw new MismatchException("entry '" + name + "' has " + unread + " bytes after the"
            + " end of its compressed data, which another unzipper could read as more entries");
      }
    }
    if (produced != entry.size()) {
      throw new MismatchException("entry '" + name + "' holds " + produced + " bytes, its"
          + " headers say " + entry.size());
    }
    if (crc.getValue() != entry.crc()) {
      throw new MismatchException("entry '" + name + "' does not match the CRC-32 in its"
          + " headers");
    }
    if (!skipped) {
      exact.run();
    }
  }

  @Override
  public void close() {
    done = true;
    if (inflater != null) {
      inflater.end();
    }
  }
}
