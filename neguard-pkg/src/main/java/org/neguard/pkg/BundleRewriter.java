package org.neguard.pkg;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.ZipException;
import org.neguard.io.AtomicFiles;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Writes a new bundle from an open one: new small entries (a manifest, a signature, scan reports)
 * and entries kept from the old bundle, in the order given. A kept entry is copied byte for byte,
 * local header and data, by the kernel ({@link FileChannel#transferTo}): a 200 MiB payload is not
 * read into the JVM to be written out again. The central directory is written anew, from the
 * values the reader validated (name, method, CRC, sizes, mode) and the time in the copied local
 * header: UTF-8 names, no extra fields but a ZIP64 field where a size or offset needs one, no
 * comments. The result is written to a temporary file in the target's directory and moved into
 * place, so a failure leaves the target as it was.
 *
 * <p>The old bundle's layout was checked when it was opened ({@link ZipLayout}): its entries tile
 * the file, each local header agrees with its central record. A kept entry must also have been
 * read to its end and found exact (its compressed data ends where its span ends, see {@link
 * EntryStream}); one that was not is read here first, so that no slack inside a span is carried
 * into the new bundle. Then a byte copy of an entry's span is that entry and nothing else. The
 * copy reads the reader's own open file, not the path again.
 */
final class BundleRewriter {
  private static final int MADE_BY_UNIX = 3 << 8;
  private static final int VERSION_STORED = 10;
  private static final int VERSION_DEFLATE = 20;
  private static final int VERSION_ZIP64 = 45;
  private static final int FLAG_UTF8 = 1 << 11;
  private static final int ZIP64_EXTRA = 0x0001;

  /** One entry of the new bundle. */
  sealed interface Part permits Fresh, Kept {
    String name();
  }

  /** A new entry: {@code bytes}, deflated or stored, as a regular file with mode 0644. */
  record Fresh(String name, byte[] bytes, boolean deflate) implements Part {
    Fresh {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(bytes, "bytes");
    }
  }

  /** An entry of the old bundle, copied as it is. */
  record Kept(String name) implements Part {
    Kept {
      Objects.requireNonNull(name, "name");
    }
  }

  private BundleRewriter() {}

  /**
   * Writes {@code parts}, in order, to {@code out} (which may be the reader's own file).
   *
   * @param time the time recorded for new entries (the package's creation time)
   * @throws IllegalArgumentException if a kept entry is not in the old bundle
   * @throws RefusalException {@code MALFORMED} or {@code SIZE_LIMIT} if a kept entry is not
   *     exactly what its headers say
   */
  static void write(BundleReader reader, List<Part> parts, Instant time, Path out)
      throws IOException, RefusalException {
    for (Part part : parts) {
      if (part instanceof Kept kept) {
        requireExact(reader, kept.name());
      }
    }
    try (AtomicFiles.Pending pending = AtomicFiles.create(out, AtomicFiles.Existing.REPLACE)) {
      try (FileChannel target = FileChannel.open(pending.path(), StandardOpenOption.WRITE)) {
        writeTo(reader, reader.channel(), parts, dosTime(time), target);
      }
      pending.commit();
    }
  }

  private static void writeTo(
      BundleReader reader, FileChannel source, List<Part> parts, int dosTime, FileChannel target)
      throws IOException {
    Written w = new Written();
    writeParts(reader, source, parts, dosTime, target, w);
    writeEnd(target, w);
  }

  /** What a rewrite has written so far: the central records, their count, the next offset. */
  private static final class Written {
    final ByteArrayOutputStream directory = new ByteArrayOutputStream();
    long position;
    int count;
  }

  /** Writes {@code parts} from {@code w.position} on, adding their central records to {@code w}. */
  private static void writeParts(BundleReader reader, FileChannel source, List<Part> parts,
      int dosTime, FileChannel target, Written w) throws IOException {
    ZipLayout layout = reader.layout();
    long position = w.position;
    // Kept entries that follow each other in the old file go in one transfer.
    long runStart = -1;
    long runEnd = -1;
    for (Part part : parts) {
      byte[] record;
      if (part instanceof Kept kept) {
        ZipLayout.Span span = layout.span(kept.name());
        ZipLayout.Entry entry = reader.entry(kept.name());
        if (span == null || entry == null) {
          throw new IllegalArgumentException("no such entry: " + kept.name());
        }
        if (span.start() != runEnd) {
          position = flush(source, runStart, runEnd, target, position);
          runStart = span.start();
        }
        long offset = position + (span.start() - runStart);
        runEnd = span.end();
        int localTime = localTime(source, span.start());
        record = central(entry.rawName(), entry.method(), localTime, entry.crc(),
            entry.compressedSize(), entry.size(), entry.unixMode(), offset);
      } else {
        position = flush(source, runStart, runEnd, target, position);
        runStart = -1;
        runEnd = -1;
        Fresh fresh = (Fresh) part;
        Encoded e = encode(fresh);
        byte[] name = fresh.name().getBytes(StandardCharsets.UTF_8);
        ByteBuffer local = little(30 + name.length);
        local.putInt(ZipLayout.LFH_SIGNATURE).putShort((short) e.versionNeeded())
            .putShort((short) FLAG_UTF8).putShort((short) e.method()).putInt(dosTime)
            .putInt((int) e.crc()).putInt(e.data().length).putInt(fresh.bytes().length)
            .putShort((short) name.length).putShort((short) 0).put(name);
        writeFully(target, local.flip());
        writeFully(target, ByteBuffer.wrap(e.data()));
        record = central(name, e.method(), dosTime, e.crc(), e.data().length,
            fresh.bytes().length, 0644, position);
        position += local.capacity() + e.data().length;
      }
      w.directory.write(record);
    }
    w.position = flush(source, runStart, runEnd, target, position);
    w.count += parts.size();
  }

  private static void writeEnd(FileChannel target, Written w) throws IOException {
    writeFully(target, ByteBuffer.wrap(w.directory.toByteArray()));
    writeFully(target, endRecords(w.count, w.directory.size(), w.position));
  }

  /**
   * Starts a rewrite whose first entries are {@code kept}, copied on a thread of their own while
   * the caller works out the rest (a scan: the kernel copies 200 MiB while clamd scans, not
   * after). {@link Started#finish} writes the rest and moves the file into place; {@link
   * Started#close} without it leaves {@code out} as it was. Entry order carries no meaning in a
   * bundle (docs/FORMAT.md).
   */
  static Started start(BundleReader reader, List<Kept> kept, Path out) throws IOException {
    return new Started(reader, List.copyOf(kept), out);
  }

  /** A rewrite whose kept entries are being copied. */
  static final class Started implements AutoCloseable {
    private final BundleReader reader;
    private final List<Kept> kept;
    private final AtomicFiles.Pending pending;
    private final FileChannel target;
    private final Written written = new Written();
    private final Thread copier;
    private volatile Throwable failure;

    private Started(BundleReader reader, List<Kept> kept, Path out) throws IOException {
      this.reader = reader;
      this.kept = kept;
      AtomicFiles.Pending p = AtomicFiles.create(out, AtomicFiles.Existing.REPLACE);
      try {
        this.target = FileChannel.open(p.path(), StandardOpenOption.WRITE);
      } catch (IOException | RuntimeException e) {
        p.close();
        throw e;
      }
      this.pending = p;
      this.copier = new Thread(() -> {
        try {
          writeParts(reader, reader.channel(), List.copyOf(kept), 0, target, written);
        } catch (IOException | RuntimeException e) {
          failure = e;
        }
      }, "neguard-bundle-copy");
      copier.setDaemon(true);
      copier.start();
    }

    /**
     * Waits for the copy, checks every kept entry is exact (as {@link BundleRewriter#write}
     * does), writes {@code rest} after it and the central directory, and moves the file into
     * place.
     */
    void finish(List<Part> rest, Instant time) throws IOException, RefusalException {
      join();
      if (failure instanceof IOException io) {
        throw io;
      }
      if (failure instanceof RuntimeException rt) {
        throw rt;
      }
      for (Kept k : kept) {
        requireExact(reader, k.name());
      }
      for (Part part : rest) {
        if (part instanceof Kept k) {
          requireExact(reader, k.name());
        }
      }
      writeParts(reader, reader.channel(), rest, dosTime(time), target, written);
      writeEnd(target, written);
      target.close();
      pending.commit();
    }

    private void join() throws java.io.InterruptedIOException {
      try {
        copier.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while the bundle was copied");
      }
    }

    /** Ends the rewrite; without {@link #finish}, deletes what was written. */
    @Override
    public void close() throws IOException {
      try {
        copier.join(); // it writes to the file about to be deleted
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      try {
        target.close();
      } finally {
        pending.close();
      }
    }
  }

  /** Reads {@code name} to its end unless that was done already, which checks it is exact. */
  private static void requireExact(BundleReader reader, String name)
      throws IOException, RefusalException {
    ZipLayout.Entry entry = reader.entry(name);
    if (entry == null) {
      throw new IllegalArgumentException("no such entry: " + name);
    }
    if (reader.readExactly(name)) {
      return;
    }
    try (java.io.InputStream in = reader.openEntry(name, entry.size())) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
    } catch (BundleReader.SizeExceededException e) {
      throw RefusalException.about(ReasonCode.SIZE_LIMIT, name, e.getMessage()
          + "; the package was altered or is damaged");
    } catch (ZipException e) {
      throw RefusalException.about(ReasonCode.MALFORMED, name, e.getMessage()
          + "; the package was altered or is damaged");
    }
  }

  /** Copies the old bytes [start, end) to the target at {@code position}; the new position. */
  private static long flush(
      FileChannel source, long start, long end, FileChannel target, long position)
      throws IOException {
    if (start < 0) {
      return position;
    }
    long done = 0;
    long length = end - start;
    while (done < length) {
      long n = source.transferTo(start + done, length - done, target);
      if (n <= 0) {
        throw new IOException("the package changed while it was being rewritten: "
            + "expected " + length + " bytes at offset " + start);
      }
      done += n;
    }
    return position + length;
  }

  /**
   * A central record: UTF-8 name, regular file with {@code mode}'s permission bits, no comment, and
   * a ZIP64 extra field only for the values that do not fit in 32 bits (size, compressed size,
   * offset: the order the format requires).
   */
  static byte[] central(byte[] name, int method, int dosTime, long crc, long compressed,
      long size, int mode, long offset) {
    ByteBuffer zip64 = little(4 + 24);
    zip64.putShort((short) ZIP64_EXTRA).putShort((short) 0);
    long[] values = {size, compressed, offset};
    for (long value : values) {
      if (value >= ZipLayout.FFFFFFFF) {
        zip64.putLong(value);
      }
    }
    int extraLength = zip64.position() > 4 ? zip64.position() : 0;
    zip64.putShort(2, (short) (extraLength - 4));
    int version = extraLength > 0 ? VERSION_ZIP64
        : method == ZipLayout.STORED ? VERSION_STORED : VERSION_DEFLATE;
    ByteBuffer r = little(46 + name.length + extraLength);
    r.putInt(ZipLayout.CFH_SIGNATURE).putShort((short) (MADE_BY_UNIX | version))
        .putShort((short) version).putShort((short) FLAG_UTF8).putShort((short) method)
        .putInt(dosTime).putInt((int) crc)
        .putInt((int) Math.min(compressed, ZipLayout.FFFFFFFF))
        .putInt((int) Math.min(size, ZipLayout.FFFFFFFF))
        .putShort((short) name.length).putShort((short) extraLength)
        .putShort((short) 0).putShort((short) 0).putShort((short) 0)
        .putInt((0100000 | (mode & 07777)) << 16)
        .putInt((int) Math.min(offset, ZipLayout.FFFFFFFF))
        .put(name).put(zip64.array(), 0, extraLength);
    return r.array();
  }

  /** The MS-DOS time and date in the local header at {@code start}, which is copied as it is. */
  private static int localTime(FileChannel source, long start) throws IOException {
    ByteBuffer b = little(4);
    while (b.hasRemaining()) {
      if (source.read(b, start + 10 + b.position()) < 0) {
        throw new IOException("the package ends inside a local header at offset " + start);
      }
    }
    return b.getInt(0);
  }

  /** End of central directory, with the ZIP64 records first when a count or offset needs them. */
  private static ByteBuffer endRecords(int count, long directorySize, long directoryOffset) {
    boolean zip64 = count >= 0xffff || directorySize >= ZipLayout.FFFFFFFF
        || directoryOffset >= ZipLayout.FFFFFFFF;
    ByteBuffer b = little((zip64 ? 56 + 20 : 0) + 22);
    if (zip64) {
      long zip64End = directoryOffset + directorySize;
      b.putInt(ZipLayout.ZIP64_EOCD_SIGNATURE).putLong(44)
          .putShort((short) (MADE_BY_UNIX | VERSION_ZIP64)).putShort((short) VERSION_ZIP64)
          .putInt(0).putInt(0).putLong(count).putLong(count).putLong(directorySize)
          .putLong(directoryOffset);
      b.putInt(ZipLayout.ZIP64_LOCATOR_SIGNATURE).putInt(0).putLong(zip64End).putInt(1);
    }
    b.putInt(ZipLayout.EOCD_SIGNATURE).putShort((short) 0).putShort((short) 0)
        .putShort((short) (zip64 ? 0xffff : count)).putShort((short) (zip64 ? 0xffff : count))
        .putInt(zip64 ? -1 : (int) directorySize).putInt(zip64 ? -1 : (int) directoryOffset)
        .putShort((short) 0);
    return b.flip();
  }

  private record Encoded(byte[] data, long crc, int method, int versionNeeded) {}

  private static Encoded encode(Fresh fresh) {
    CRC32 crc = new CRC32();
    crc.update(fresh.bytes());
    if (!fresh.deflate()) {
      return new Encoded(fresh.bytes(), crc.getValue(), ZipLayout.STORED, VERSION_STORED);
    }
    Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
    try {
      deflater.setInput(fresh.bytes());
      deflater.finish();
      ByteArrayOutputStream out = new ByteArrayOutputStream(fresh.bytes().length / 2 + 64);
      byte[] buffer = new byte[64 * 1024];
      while (!deflater.finished()) {
        out.write(buffer, 0, deflater.deflate(buffer));
      }
      return new Encoded(out.toByteArray(), crc.getValue(), ZipLayout.DEFLATED,
          VERSION_DEFLATE);
    } finally {
      deflater.end();
    }
  }

  /**
   * MS-DOS date and time of {@code time} read in UTC, as {@link BundleBuilder} records it: the
   * same bytes in every time zone.
   */
  static int dosTime(Instant time) {
    ZonedDateTime t = time.atZone(ZoneOffset.UTC);
    int year = Math.max(1980, Math.min(2107, t.getYear()));
    int date = ((year - 1980) << 9) | (t.getMonthValue() << 5) | t.getDayOfMonth();
    int clock = (t.getHour() << 11) | (t.getMinute() << 5) | (t.getSecond() / 2);
    return (date << 16) | clock;
  }

  private static ByteBuffer little(int capacity) {
    return ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static void writeFully(FileChannel target, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      target.write(b);
    }
  }

  /** Names of the old bundle's entries kept as they are, in file order. */
  static List<Part> kept(BundleReader reader, java.util.function.Predicate<String> include) {
    List<String> names = new ArrayList<>();
    for (String name : reader.entryNames()) {
      if (include.test(name)) {
        names.add(name);
      }
    }
    names.sort(java.util.Comparator.comparingLong(n -> reader.layout().span(n).start()));
    List<Part> parts = new ArrayList<>();
    for (String name : names) {
      parts.add(new Kept(name));
    }
    return parts;
  }
}
