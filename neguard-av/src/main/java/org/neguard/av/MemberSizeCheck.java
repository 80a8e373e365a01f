package org.neguard.av;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.neguard.io.FileTrees;
import org.neguard.scanreport.FileResult;

/**
 * Covers a silent gap in clamd (AV-1, AV-2): a ZIP member larger than {@code MaxFileSize} is cut to
 * its first MaxFileSize bytes ({@code cli_unzip: trimming output size to maxfilesize}) and the
 * stream is answered {@code OK}, {@code AlertExceedsMax yes} or not (ClamAV 1.4.6). clamd finds
 * such members wherever a ZIP sits: at offset 0, behind a stub (a self-extracting installer),
 * through the central directory when the local headers end early, and inside any archive it
 * unpacks.
 *
 * <p>So this check does not look for a ZIP where one is expected; it looks at every byte. Any
 * decompressed member must begin at something with a magic number: a ZIP local header ({@code
 * PK\3\4}, which clamd also requires where the central directory points), a gzip, bzip2 or xz
 * stream. The {@link Sniffer} finds those anywhere in the bytes as they stream to the engine;
 * only a file where it found one is checked further: each candidate is decompressed as far as it
 * goes and the bytes that actually come out are counted (declared sizes, gzip's ISIZE included,
 * are never trusted), and what comes out is searched the same way, down to {@link #MAX_DEPTH}
 * levels. tar, ar and cpio do not compress: their members, and archives inside them, lie in the
 * bytes already searched. A member that comes out larger than MaxFileSize, a ZIP member in a
 * method NEGuard cannot decompress, nesting deeper than {@link #MAX_DEPTH} levels or more work
 * than {@link #MAX_DECODED_BYTES} make the file NOT_SCANNED: fail closed.
 *
 * <p>Content clamd does not unpack is content it did not scan, so a member that really
 * decompresses where clamd 1.4.6 does not unpack it is NOT_SCANNED too: a data-descriptor ZIP
 * member whose ZIP clamd reads only by its local headers (behind a stub, in an ar archive), and
 * a gzip, bzip2 or xz stream that starts neither the bytes nor a tar, cpio or stored-ZIP member
 * (nor, for gzip, follows a gzip member), outside executables.
 *
 * <p>Stored ZIP members need no check: their bytes lie in a file that is itself no larger than
 * MaxFileSize (larger files are not sent). Encrypted ZIP members are left to clamd, which reports
 * them ({@code AlertEncrypted}).
 */
final class MemberSizeCheck {
  /** Levels of compressed nesting followed; clamd's own MaxRecursion default is 17. */
  static final int MAX_DEPTH = 16;

  /** Most bytes decompressed to check one payload file, all candidates and levels together. */
  static final long MAX_DECODED_BYTES = 8L << 30;

  /** Most candidates examined in one payload file, all levels together. */
  static final int MAX_CANDIDATES = 1_000_000;

  private static final int COPY_BUFFER = 64 << 10;

  private final String path;
  private final long maxFileSize;
  private final Path workDir;
  private long decoded;
  private int candidates;
  private int files;

  private MemberSizeCheck(String path, long maxFileSize, Path workDir) {
    this.path = path;
    this.maxFileSize = maxFileSize;
    this.workDir = workDir;
  }

  /**
   * Null when every member that {@code item} decompresses to, at any offset and any level of
   * nesting, fits {@code maxFileSize}; otherwise a not-scanned result that names the member and
   * says what to do.
   *
   * @throws RefusalException {@code IO_ERROR} when the item cannot be read or the check's scratch
   *     files cannot be written
   */
  static FileResult check(ScanItem item, long maxFileSize) throws RefusalException {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("neguard-sizes-");
      MemberSizeCheck run = new MemberSizeCheck(item.path(), maxFileSize, dir);
      Path copy = dir.resolve("f");
      Sniffer sniffer = new Sniffer();
      try (InputStream in = item.openForScan();
          OutputStream out = Files.newOutputStream(copy, StandardOpenOption.CREATE_NEW)) {
        byte[] buf = new byte[COPY_BUFFER];
        for (int n; (n = in.readNBytes(buf, 0, buf.length)) > 0; ) {
          sniffer.update(buf, 0, n);
          out.write(buf, 0, n);
        }
      }
      sniffer.finish();
      return run.layer(copy, sniffer, "", 0);
    } catch (ScanItem.ReadFailure e) {
      throw e.refusal();
    } catch (IOException e) {
      throw RefusalException.about(
          ReasonCode.IO_ERROR,
          item.path(),
          "cannot check the archive members of '" + item.path() + "' before scanning it: "
              + e.getMessage());
    } finally {
      if (dir != null) {
        try {
          FileTrees.deleteTree(dir);
        } catch (IOException e) {
          // A scratch file left in the temporary directory holds package bytes, nothing secret.
        }
      }
    }
  }

  /** Checks every candidate the sniffer found in {@code file}, one level of nesting. */
  private FileResult layer(Path file, Sniffer sniffer, String where, int depth)
      throws IOException {
    if (sniffer.overflow) {
      return tooMuch(where + "more than " + Sniffer.MAX_OFFSETS + " archive headers");
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      List<long[]> zips = null; // found when a data-descriptor member first needs them
      Set<Long> gzipEnds = new HashSet<>(); // where gzip members clamd follows end
      byte[] magic = read(ch, 0, 4);
      // Executables carry compressed resources (curl its manual, busybox its help texts) that
      // clamd does not unpack; that is its way with executables, not an archive walked around.
      boolean executable = (magic.length == 4 && magic[0] == 0x7f && magic[1] == 'E'
          && magic[2] == 'L' && magic[3] == 'F') || (magic.length >= 2 && magic[0] == 'M'
          && magic[1] == 'Z');
      for (int i = 0; i < sniffer.count; i++) {
        if (++candidates > MAX_CANDIDATES) {
          return tooMuch("more than " + MAX_CANDIDATES + " archive headers");
        }
        Candidate c = candidate(ch, size, sniffer.offsets[i]);
        if (c == null) {
          continue;
        }
        boolean readable = true;
        if (c.kind() == Magic.ZIP && c.dataDescriptor()) {
          if (zips == null) {
            zips = zipsClamdReads(ch, size);
          }
          readable = inside(zips, c.offset());
        }
        FileResult r = c.kind() == Magic.ZIP
            ? zipMember(c, readable, where, depth)
            : stream(ch, c, gzipEnds, executable, where, depth);
        if (r != null) {
          return r;
        }
      }
    }
    return null;
  }

  private FileResult zipMember(Candidate c, boolean readable, String where, int depth)
      throws IOException {
    String member = where + c.describe();
    Count n = count(c.decoder());
    if (n == null) {
      if (c.offset() == 0 || c.plausible()) {
        return FileResult.notScanned(path,
            "NEGuard cannot check the size of " + member + " against clamd's MaxFileSize ("
                + maxFileSize + " bytes): it uses ZIP compression method " + c.method()
                + ", which NEGuard does not decompress, and clamd might scan only part of it,"
                + " so the file is not scanned; repack it with deflate");
      }
      return null; // bytes that only look like a header: no engine decompresses them either
    }
    // Only a member that really decompresses counts: machine code holds stray headers too.
    boolean real = (c.plausible() && n.bytes > 0) || (n.complete && n.bytes >= 64);
    if (!readable && real) {
      // Without a central directory clamd has only the local header, whose sizes a data
      // descriptor leaves at zero: it skips the member (a stub in front of the ZIP does this).
      return FileResult.notScanned(path,
          member + " gives its sizes only after its data (a data descriptor), in a ZIP that"
              + " does not start the file or has no central directory: clamd does not unpack"
              + " such a member, so it was not scanned; ship the ZIP as a file of its own");
    }
    return judge(n, member, c.decoder(), depth);
  }

  /**
   * A gzip, bzip2 or xz stream. clamd unpacks one only where it starts a file: the bytes' start,
   * a tar, cpio or stored-ZIP member's start, or (gzip only) the end of a gzip member it
   * followed; not a bzip2 stream after another (pbzip2), nor one behind a stub or in an ar
   * archive (a .deb's data.tar.xz). Content it does not unpack is content it did not scan.
   */
  private FileResult stream(
      FileChannel ch, Candidate c, Set<Long> gzipEnds, boolean executable, String where,
      int depth) throws IOException {
    Count n = count(c.decoder());
    boolean unpacked = executable || c.offset() == 0
        || (c.kind() == Magic.GZIP && gzipEnds.contains(c.offset()))
        || extractedMemberStarts(ch, c.offset());
    if (n != null && n.complete() && n.bytes() > 0) {
      if (!unpacked) {
        return FileResult.notScanned(path,
            where + c.describe() + " is not where clamd unpacks a " + c.kind().label
                + " stream (the start of a file, or of a tar, cpio or ZIP member), so clamd did"
                + " not scan its " + n.bytes() + " bytes; ship the archive as a file of its"
                + " own");
      }
      if (c.kind() == Magic.GZIP && c.end()[0] > 0) {
        gzipEnds.add(c.end()[0]);
      }
    }
    return judge(n, where + c.describe(), c.decoder(), depth);
  }

  /**
   * What starts at {@code at}: a compressed ZIP member (not encrypted) or a gzip, bzip2 or xz
   * stream, with a decoder that decompresses it as far as its data goes; null when nothing that
   * decompresses can start there (no magic, a cut-off header, a stored or encrypted member).
   */
  static Candidate candidate(FileChannel ch, long size, long at) throws IOException {
    byte[] head = read(ch, at, 30);
    Magic kind = Magic.at(head, 0, head.length);
    if (kind == Magic.NONE) {
      return null;
    }
    if (kind != Magic.ZIP) {
      long[] end = new long[1];
      Decoder open = () -> {
        if (kind == Magic.GZIP) {
          // Range supports mark and reset, so the gzip reader gives back what it read past the
          // member's trailer: where it stops is where the member ends.
          Range range = new Range(ch, at, size);
          InputStream gz = GzipCompressorInputStream.builder().setInputStream(range).get();
          return new java.io.FilterInputStream(gz) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
              int r = super.read(b, off, len);
              if (r < 0) {
                end[0] = range.pos;
              }
              return r;
            }
          };
        }
        InputStream raw = new BufferedInputStream(new Range(ch, at, size), COPY_BUFFER);
        return switch (kind) {
          case BZIP2 -> new BZip2CompressorInputStream(raw, false);
          case XZ -> XZCompressorInputStream.builder().setInputStream(raw).get();
          default -> throw new IllegalStateException("not a compressed stream: " + kind);
        };
      };
      return new Candidate(kind, at, null, 0, 0, true, open, end);
    }
    if (head.length < 30) {
      return null; // a cut-off header holds no data
    }
    ByteBuffer h = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
    int flags = h.getShort(6) & 0xffff;
    int method = h.getShort(8) & 0xffff;
    int nameLength = h.getShort(26) & 0xffff;
    int extraLength = h.getShort(28) & 0xffff;
    long dataStart = at + 30 + nameLength + extraLength;
    if ((flags & 1) != 0 || method == 0 || dataStart > size) {
      return null; // encrypted: clamd reports it; stored: inside these bytes; cut off: no data
    }
    byte[] name = read(ch, at + 30, nameLength);
    // A header of our own, so that no size or flag it declares bounds the decoding: the member
    // is decompressed as far as its data goes, as clamd (reading the central directory's sizes,
    // which may differ) would.
    ByteBuffer synthetic = ByteBuffer.allocate(30 + nameLength).order(ByteOrder.LITTLE_ENDIAN);
    synthetic.put(head, 0, 30).put(name);
    synthetic.putShort(6, (short) (flags & ~0x08)); // no data descriptor
    synthetic.putInt(14, 0); // CRC
    synthetic.putInt(18, (int) Math.min(size - dataStart, 0xFFFF_FFFEL)); // compressed size
    synthetic.putInt(22, 0xFFFF_FFFE); // uncompressed size: not ZIP64's marker, not a bound
    synthetic.putShort(28, (short) 0); // extra field, with any ZIP64 sizes, dropped
    Decoder open = () -> {
      ZipArchiveInputStream zip = new ZipArchiveInputStream(
          new SequenceInputStream(new ByteArrayInputStream(synthetic.array()),
              new Range(ch, dataStart, size)),
          StandardCharsets.UTF_8.name(), false, true);
      ZipArchiveEntry entry = zip.getNextEntry();
      if (entry == null || !zip.canReadEntryData(entry)) {
        zip.close();
        return null;
      }
      return zip;
    };
    return new Candidate(kind, at,
        shortName(ArchiveUnpacker.escape(new String(name, StandardCharsets.UTF_8))), method, flags,
        plausibleName(name, head), open, new long[1]);
  }

  /**
   * A member that may start at {@link #offset}.
   *
   * @param name a ZIP member's name (escaped), null for a compressed stream
   * @param plausible whether a ZIP header looks real (a printable name, a known version)
   * @param decoder opens a fresh decompressing stream; null from it for a method NEGuard cannot
   *     decompress
   * @param end where a gzip member ended, once its decoder read it to its end; 0 before
   */
  record Candidate(
      Magic kind, long offset, String name, int method, int flags, boolean plausible,
      Decoder decoder, long[] end) {
    boolean dataDescriptor() {
      return (flags & 0x08) != 0;
    }

    String describe() {
      return kind == Magic.ZIP
          ? "ZIP member '" + name + "' at offset " + offset
          : kind.label + " stream at offset " + offset;
    }
  }

  private FileResult judge(Count c, String member, Decoder open, int depth) throws IOException {
    if (c == null) {
      return null; // not a stream after all: nothing decompresses
    }
    if (c.bytes() > maxFileSize) {
      return FileResult.notScanned(path,
          member + " unpacks to more than clamd's MaxFileSize (" + maxFileSize + " bytes):"
              + " clamd would scan only its first " + maxFileSize + " bytes, or none, and might"
              + " call it clean; raise MaxFileSize (and MaxScanSize) in clamd.conf and the"
              + " engine's maxFileSize option above the largest member (docs/SCANNING-CLAMD.md)");
    }
    if (c.budget() != null) {
      return tooMuch(c.budget());
    }
    if (c.sniffer().count == 0 && !c.sniffer().overflow) {
      return null;
    }
    if (depth + 1 >= MAX_DEPTH) {
      return FileResult.notScanned(path,
          member + " holds archives nested more than " + MAX_DEPTH + " levels deep, whose"
              + " member sizes NEGuard does not check: clamd might scan only part of them, so"
              + " the file is not scanned");
    }
    // Decompressed again, this time to a file: archives inside it need random access.
    Path out = workDir.resolve("l" + (++files));
    Sniffer inner = new Sniffer();
    try (InputStream in = open.open();
        OutputStream o = Files.newOutputStream(out, StandardOpenOption.CREATE_NEW)) {
      byte[] buf = new byte[COPY_BUFFER];
      long left = c.bytes();
      try {
        for (int n; left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0; ) {
          inner.update(buf, 0, n);
          o.write(buf, 0, n);
          left -= n;
        }
      } catch (IOException | RuntimeException e) {
        // As far as it decompressed the first time: the same bytes.
      }
    } catch (RuntimeException e) {
      throw new IOException("cannot decompress " + member + " again: " + e, e);
    }
    inner.finish();
    try {
      return layer(out, inner, member + " > ", depth + 1);
    } finally {
      Files.deleteIfExists(out);
    }
  }

  /**
   * Decompresses as far as the data goes (an error ends it, as it ends clamd's unpacking) and at
   * most one byte past the limit, counting and searching what comes out; null when nothing can
   * be decompressed at all.
   */
  private Count count(Decoder open) throws IOException {
    Sniffer sniffer = new Sniffer();
    long n = 0;
    String budget = null;
    InputStream in;
    try {
      in = open.open();
    } catch (IOException | RuntimeException e) {
      return null;
    }
    if (in == null) {
      return null;
    }
    boolean complete = false;
    try (in) {
      byte[] buf = new byte[COPY_BUFFER];
      int r;
      while ((r = in.read(buf, 0, (int) Math.min(buf.length, maxFileSize + 1 - n))) > 0) {
        n += r;
        decoded += r;
        sniffer.update(buf, 0, r);
        if (n > maxFileSize) {
          break;
        }
        if (decoded > MAX_DECODED_BYTES) {
          budget = "more than " + MAX_DECODED_BYTES + " bytes decompressed";
          break;
        }
      }
      complete = r < 0;
    } catch (IOException | RuntimeException e) {
      // Corrupt or cut-off data: clamd stops there too; what came out so far is what counts.
    }
    sniffer.finish();
    return new Count(n, sniffer, budget, complete);
  }

  private FileResult tooMuch(String what) {
    return FileResult.notScanned(path,
        "its archive members could not be checked against clamd's MaxFileSize within NEGuard's"
            + " limits (" + what + "): clamd might scan only part of them, so the file is not"
            + " scanned; split it into smaller archives");
  }

  /**
   * The spans {@code [start, end)} of the ZIPs whose central directory clamd reads: each end of
   * central directory record (ZIP64 too) gives where its ZIP starts; clamd reads the central
   * directory of a ZIP that starts the bytes, or a tar, cpio or stored-ZIP member it extracts
   * to a file of its own. Not an ar member: clamd does not open ar archives.
   */
  private static List<long[]> zipsClamdReads(FileChannel ch, long size) throws IOException {
    List<long[]> spans = new ArrayList<>();
    byte[] buf = new byte[COPY_BUFFER + 3];
    for (long pos = 0; pos < size; pos += COPY_BUFFER) {
      byte[] b = read(ch, pos, buf.length);
      for (int i = 0; i + 4 <= b.length && i < COPY_BUFFER; i++) {
        if (b[i] == 'P' && b[i + 1] == 'K' && b[i + 2] == 5 && b[i + 3] == 6) {
          long start = zipStart(ch, pos + i);
          if (start >= 0 && (start == 0 || extractedMemberStarts(ch, start))) {
            spans.add(new long[] {start, pos + i});
          }
        }
      }
    }
    return spans;
  }

  private static boolean inside(List<long[]> spans, long offset) {
    for (long[] s : spans) {
      if (s[0] <= offset && offset < s[1]) {
        return true;
      }
    }
    return false;
  }

  /** Where the ZIP whose end record sits at {@code eocd} starts, or -1. */
  private static long zipStart(FileChannel ch, long eocd) throws IOException {
    ByteBuffer e = ByteBuffer.wrap(read(ch, eocd, 22)).order(ByteOrder.LITTLE_ENDIAN);
    if (e.capacity() < 22) {
      return -1;
    }
    long cdSize = e.getInt(12) & 0xFFFF_FFFFL;
    long cdOffset = e.getInt(16) & 0xFFFF_FFFFL;
    long record = eocd;
    if (cdSize == 0xFFFF_FFFFL || cdOffset == 0xFFFF_FFFFL) {
      // ZIP64: the locator just before, and the ZIP64 end record just before that.
      long z64 = eocd - 20 - 56;
      if (z64 < 0) {
        return -1;
      }
      ByteBuffer z = ByteBuffer.wrap(read(ch, z64, 56)).order(ByteOrder.LITTLE_ENDIAN);
      if (z.getInt(0) != 0x06064b50) {
        return -1;
      }
      cdSize = z.getLong(40);
      cdOffset = z.getLong(48);
      record = z64;
    }
    long start = record - cdSize - cdOffset;
    return cdSize < 0 || cdOffset < 0 || start < 0 ? -1 : start;
  }

  /** Whether {@code at} is where a tar, cpio (new or odc) or stored ZIP member's data begins. */
  private static boolean extractedMemberStarts(FileChannel ch, long at) throws IOException {
    if (at >= 512 && "ustar".equals(ascii(read(ch, at - 512 + 257, 5)))) {
      return true;
    }
    long from = Math.max(0, at - 30 - 4096);
    byte[] before = read(ch, from, (int) (at - from));
    for (int i = before.length - 30; i >= 0; i--) {
      if (before[i] == 'P' && before[i + 1] == 'K' && before[i + 2] == 3 && before[i + 3] == 4) {
        ByteBuffer h = ByteBuffer.wrap(before, i, 30).order(ByteOrder.LITTLE_ENDIAN);
        if (h.getShort(i + 8) == 0 && from + i + 30 + (h.getShort(i + 26) & 0xffff)
            + (h.getShort(i + 28) & 0xffff) == at) {
          return true;
        }
      }
      if (i + 110 <= before.length && before[i] == '0' && before[i + 1] == '7'
          && before[i + 2] == '0' && before[i + 3] == '7' && before[i + 4] == '0') {
        String head = ascii(Arrays.copyOfRange(before, i, Math.min(before.length, i + 110)));
        try {
          long data;
          if (head.startsWith("070701") || head.startsWith("070702")) {
            long nameSize = Long.parseLong(head.substring(94, 102), 16);
            data = from + i + ((110 + nameSize + 3) & ~3L);
          } else if (head.startsWith("070707")) {
            data = from + i + 76 + Long.parseLong(head.substring(59, 65), 8);
          } else {
            continue;
          }
          if (data == at) {
            return true;
          }
        } catch (NumberFormatException e) {
          // Not a cpio header after all.
        }
      }
    }
    return false;
  }

  private static String shortName(String name) {
    return name.length() <= 200 ? name : name.substring(0, 200) + "...";
  }

  private static String ascii(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  /** A ZIP name of printable characters and a version NEGuard knows: a real header, not noise. */
  private static boolean plausibleName(byte[] name, byte[] head) {
    if (name.length == 0 || name.length > 1024 || (head[4] & 0xff) > 63) {
      return false;
    }
    for (byte b : name) {
      if ((b & 0xff) < 0x20 || b == 0x7f) {
        return false;
      }
    }
    return true;
  }

  static byte[] read(FileChannel ch, long at, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate((int) Math.max(0, Math.min(length, ch.size() - at)));
    while (b.hasRemaining()) {
      if (ch.read(b, at + b.position()) < 0) {
        break;
      }
    }
    return Arrays.copyOf(b.array(), b.position());
  }

  /** What decompressing gave: bytes (at most one past the limit), whether it reached its end. */
  private record Count(long bytes, Sniffer sniffer, String budget, boolean complete) {}

  /** Opens a fresh decompressing stream; null when the bytes cannot be decompressed at all. */
  @FunctionalInterface
  interface Decoder {
    InputStream open() throws IOException;
  }

  /** Bytes {@code [from, to)} of a channel, by positional reads; mark and reset are free. */
  private static final class Range extends InputStream {
    private final FileChannel ch;
    private long pos;
    private long mark;
    private final long end;

    @Override
    public boolean markSupported() {
      return true;
    }

    @Override
    public synchronized void mark(int limit) {
      mark = pos;
    }

    @Override
    public synchronized void reset() {
      pos = mark;
    }

    @Override
    public long skip(long n) {
      long k = Math.max(0, Math.min(n, end - pos));
      pos += k;
      return k;
    }

    Range(FileChannel ch, long from, long to) {
      this.ch = ch;
      this.pos = from;
      this.mark = from;
      this.end = to;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (pos >= end) {
        return -1;
      }
      int n = ch.read(ByteBuffer.wrap(b, off, (int) Math.min(len, end - pos)), pos);
      if (n > 0) {
        pos += n;
      }
      return n;
    }
  }

  /** The magic numbers a decompressed member starts at. */
  enum Magic {
    ZIP("ZIP"),
    GZIP("gzip"),
    BZIP2("bzip2"),
    XZ("xz"),
    NONE("none");

    /** Bytes a candidate's magic needs to be judged. */
    static final int LOOKAHEAD = 10;

    final String label;

    Magic(String label) {
      this.label = label;
    }

    /**
     * What starts at {@code b[i]}, looking at no byte at or past {@code end}. As strict as the
     * formats allow, so that ordinary binaries rarely lead to a closer look: a ZIP local header
     * with a compressing method; gzip with method deflate, no reserved flags, a known XFL and
     * OS; bzip2 with the block magic (pi's digits); xz's full six-byte magic.
     */
    static Magic at(byte[] b, int i, int end) {
      if (end - i < 6) {
        return NONE;
      }
      int b0 = b[i] & 0xff;
      if (b0 == 'P') {
        if (end - i >= LOOKAHEAD && b[i + 1] == 'K' && b[i + 2] == 3 && b[i + 3] == 4
            && (b[i + 8] != 0 || b[i + 9] != 0)) {
          return ZIP;
        }
      } else if (b0 == 0x1f) {
        if (end - i >= LOOKAHEAD && (b[i + 1] & 0xff) == 0x8b && b[i + 2] == 8
            && (b[i + 3] & 0xe0) == 0) {
          int xfl = b[i + 8] & 0xff;
          int os = b[i + 9] & 0xff;
          if ((xfl == 0 || xfl == 2 || xfl == 4) && (os <= 13 || os == 255)) {
            return GZIP;
          }
        }
      } else if (b0 == 'B') {
        if (end - i >= LOOKAHEAD && b[i + 1] == 'Z' && b[i + 2] == 'h' && b[i + 3] >= '1'
            && b[i + 3] <= '9' && b[i + 4] == 0x31 && b[i + 5] == 0x41 && b[i + 6] == 0x59
            && b[i + 7] == 0x26 && b[i + 8] == 0x53 && b[i + 9] == 0x59) {
          return BZIP2;
        }
      } else if (b0 == 0xfd) {
        if (b[i + 1] == '7' && b[i + 2] == 'z' && b[i + 3] == 'X' && b[i + 4] == 'Z'
            && b[i + 5] == 0) {
          return XZ;
        }
      }
      return NONE;
    }
  }

  /**
   * Finds the offsets of {@link Magic} candidates in bytes fed in order, across chunk
   * boundaries. Cheap enough to run on every byte handed to an engine: one comparison a byte
   * unless it is one of four lead bytes.
   */
  static final class Sniffer {
    static final int MAX_OFFSETS = 1_000_000;

    private static final long ONES = 0x0101010101010101L;
    private static final VarHandle WORDS =
        MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final byte[] window = new byte[2 * Magic.LOOKAHEAD];
    private int carried;
    private long base;
    long[] offsets = new long[8];
    int count;
    boolean overflow;

    /** Whether anything worth a closer look was seen. */
    boolean found() {
      return count > 0 || overflow;
    }

    void update(byte[] b, int off, int len) {
      if (len < Magic.LOOKAHEAD) {
        for (int i = 0; i < len; i++) {
          push(b[off + i]);
        }
        return;
      }
      // Positions held over from the last chunk, judged now that their lookahead is here.
      if (carried > 0) {
        System.arraycopy(b, off, window, carried, Magic.LOOKAHEAD - 1);
        int end = carried + Magic.LOOKAHEAD - 1;
        for (int i = 0; i < carried; i++) {
          if (Magic.at(window, i, end) != Magic.NONE) {
            add(base - carried + i);
          }
        }
      }
      int last = off + len - Magic.LOOKAHEAD;
      int i = off;
      // Eight positions at a time: most hold none of the four magics' first two bytes, and of
      // those that may, only the positions flagged are judged (lowest first, so offsets stay in
      // order). Testing the lead byte alone flagged one word of eight in random content, and
      // judging those was half the sniffer's time; a lead byte followed by its magic's second
      // byte comes about once in 16,000 positions.
      for (; i + 8 <= last; i += 8) {
        long m = leadPairs((long) WORDS.get(b, i), (long) WORDS.get(b, i + 1));
        while (m != 0) {
          judge(b, i + (Long.numberOfTrailingZeros(m) >>> 3), off, len);
          m &= m - 1;
        }
      }
      for (; i <= last; i++) {
        judge(b, i, off, len);
      }
      carried = Magic.LOOKAHEAD - 1;
      System.arraycopy(b, off + len - carried, window, 0, carried);
      base += len;
    }

    private void judge(byte[] b, int i, int off, int len) {
      int v = b[i] & 0xff;
      if ((v == 'P' || v == 0x1f || v == 'B' || v == 0xfd)
          && Magic.at(b, i, off + len) != Magic.NONE) {
        add(base + (i - off));
      }
    }

    /**
     * Bit 7 of each byte of {@code w} that may start a magic: the byte is a lead byte ({@code
     * P}, 0x1f, {@code B}, 0xfd) and the byte after it, the same byte of {@code next} (the word
     * one position on), is that magic's second ({@code K}, 0x8b, {@code Z}, {@code 7}), as
     * {@link Magic#at} requires of each. Every such byte is flagged (the zero-byte test of "Bit
     * Twiddling Hacks": a borrow may flag a byte above a true match, never hide one), so zero
     * means none is.
     */
    static long leadPairs(long w, long next) {
      long p = (w ^ 0x5050505050505050L) | (next ^ 0x4b4b4b4b4b4b4b4bL);
      long g = (w ^ 0x1f1f1f1f1f1f1f1fL) | (next ^ 0x8b8b8b8b8b8b8b8bL);
      long z = (w ^ 0x4242424242424242L) | (next ^ 0x5a5a5a5a5a5a5a5aL);
      long x = (w ^ 0xfdfdfdfdfdfdfdfdL) | (next ^ 0x3737373737373737L);
      return (((p - ONES) & ~p) | ((g - ONES) & ~g) | ((z - ONES) & ~z) | ((x - ONES) & ~x))
          & 0x8080808080808080L;
    }

    /** One byte at a time, for chunks shorter than a magic's lookahead. */
    private void push(byte x) {
      window[carried++] = x;
      base++;
      if (carried == Magic.LOOKAHEAD) {
        if (Magic.at(window, 0, Magic.LOOKAHEAD) != Magic.NONE) {
          add(base - Magic.LOOKAHEAD);
        }
        System.arraycopy(window, 1, window, 0, --carried);
      }
    }

    /** The end of the bytes: held-over positions are judged with what there is. */
    void finish() {
      for (int i = 0; i < carried; i++) {
        if (Magic.at(window, i, carried) != Magic.NONE) {
          add(base - carried + i);
        }
      }
      carried = 0;
    }

    void reset() {
      carried = 0;
      base = 0;
      count = 0;
      overflow = false;
    }

    private void add(long offset) {
      if (count > 0 && offsets[count - 1] >= offset) {
        return; // judged twice at a chunk boundary
      }
      if (count == MAX_OFFSETS) {
        overflow = true;
        return;
      }
      if (count == offsets.length) {
        offsets = Arrays.copyOf(offsets, count * 2);
      }
      offsets[count++] = offset;
    }
  }
}
