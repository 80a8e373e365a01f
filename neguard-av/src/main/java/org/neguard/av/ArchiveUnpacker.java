package org.neguard.av;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.Enumeration;
import java.util.List;
import java.util.Objects;
import org.apache.commons.compress.archivers.ArchiveEntry;
import org.apache.commons.compress.archivers.ArchiveInputStream;
import org.apache.commons.compress.archivers.ar.ArArchiveInputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * Unpacks the archives a payload file contains, so that an engine that cannot open archives
 * (YARA) still sees every member. Recognises zip (and jar, apk, docx...), tar, ar (.deb), cpio,
 * gzip, bzip2 and xz by their magic bytes, not their names, and unpacks nested archives down to
 * {@link Limits#maxDepth()} levels. A file that does not start as an archive is searched for
 * ZIP members and gzip, bzip2 and xz streams further in (a ZIP behind a self-extractor's stub,
 * a tar.gz appended to a script), as clamd finds ZIPs wherever they start.
 *
 * <p>Safety, because the input is untrusted: member names are never used as file names (every
 * member is written to a fresh numbered file under the work directory, so no name can escape
 * it); links, devices and FIFOs are skipped, never created or followed; and every byte written is
 * counted against the {@link Limits}, so an archive bomb stops at the limit, not at a full disk.
 *
 * <p>Anything that cannot be unpacked in full (encrypted member, unsupported method or format,
 * corrupt data, a limit reached) is listed in {@link Unpacked#problems()}: the caller must then
 * report the payload file as not scanned. Members unpacked before a problem are still returned,
 * so that findings in them are reported.
 *
 * <p>Immutable and thread-safe; each {@link #unpack} call uses only its own work directory.
 */
public final class ArchiveUnpacker {
  /** Separates an archive's path from a member's path in {@link Member#path()}. */
  public static final String SEPARATOR = "!/";

  private static final int COPY_BUFFER = 64 << 10;
  private static final int MAGIC_BYTES = 265;

  private final Limits limits;

  private ArchiveUnpacker(Limits limits) {
    this.limits = limits;
  }

  public static ArchiveUnpacker of(Limits limits) {
    return new ArchiveUnpacker(Objects.requireNonNull(limits, "limits"));
  }

  public Limits limits() {
    return limits;
  }

  /**
   * Bounds on what one payload file may unpack to, all levels of nesting together.
   *
   * @param maxTotalBytes most bytes written for all members of one payload file
   * @param maxFiles most members of one payload file
   * @param maxDepth most levels of nesting unpacked (a zip in a tar.gz is three levels: gzip,
   *     tar, zip); an archive deeper than this is not opened, and the payload file is not scanned
   * @param maxRatio largest ratio of the bytes unpacked to the payload file's own size, once
   *     more than {@code ratioFloorBytes} were unpacked (an archive bomb's tell)
   * @param ratioFloorBytes unpacked totals up to this size are exempt from the ratio check
   */
  public record Limits(
      long maxTotalBytes, int maxFiles, int maxDepth, int maxRatio, long ratioFloorBytes) {
    public Limits {
      if (maxTotalBytes < 1) {
        throw new IllegalArgumentException("maxTotalBytes < 1: " + maxTotalBytes);
      }
      if (maxFiles < 1) {
        throw new IllegalArgumentException("maxFiles < 1: " + maxFiles);
      }
      if (maxDepth < 1) {
        throw new IllegalArgumentException("maxDepth < 1: " + maxDepth);
      }
      if (maxRatio < 1) {
        throw new IllegalArgumentException("maxRatio < 1: " + maxRatio);
      }
      if (ratioFloorBytes < 0) {
        throw new IllegalArgumentException("ratioFloorBytes < 0: " + ratioFloorBytes);
      }
    }

    /**
     * 4 GiB, 100,000 members, 8 levels, ratio 200 above 64 MiB: far above real firmware and
     * Java packages (jars compress 3-10×, text logs up to ~50×), far below what a bomb needs.
     */
    public static Limits defaults() {
      return new Limits(4L << 30, 100_000, 8, 200, 64L << 20);
    }
  }

  /**
   * A file found inside an archive, written to a temporary file.
   *
   * @param path where it sits, relative to the payload file: {@code pkg/e.zip!/inner/eicar.com}
   *     for a member of {@code pkg/e.zip} inside the payload file (names are escaped: control
   *     characters appear as {@code \xNN})
   * @param file the temporary file holding its bytes
   * @param depth its level of nesting, 1 for a member of the payload file itself
   */
  public record Member(String path, Path file, int depth) {
    public Member {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(file, "file");
    }
  }

  /**
   * What unpacking one payload file gave.
   *
   * @param members every member unpacked, archives and their members alike, outermost first
   * @param problems why parts could not be unpacked; empty when everything was
   */
  public record Unpacked(List<Member> members, List<String> problems) {
    public Unpacked {
      members = List.copyOf(members);
      problems = List.copyOf(problems);
    }

    /** Whether every archive was unpacked in full, so the members cover all of the content. */
    public boolean complete() {
      return problems.isEmpty();
    }
  }

  /**
   * Unpacks {@code file} (when it is an archive) and every archive inside it.
   *
   * @param file a payload file's bytes, as a regular file
   * @param name the payload file's name, used for a gzip member that carries no name of its own
   * @param workDir an existing, empty directory that only this call writes to; the caller
   *     deletes it
   * @throws IOException when the work directory cannot be written (disk full, permissions):
   *     faults of the archive itself are problems, not exceptions
   */
  public Unpacked unpack(Path file, String name, Path workDir) throws IOException {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(workDir, "workDir");
    Run run = new Run(workDir, Math.max(1, Files.size(file)));
    Deque<Member> queue = new ArrayDeque<>();
    queue.add(new Member("", file, 0));
    while (!queue.isEmpty()) {
      Member archive = queue.poll();
      Format format = Format.detect(archive.file());
      String where = archive.depth() == 0 ? "the file" : archive.path();
      if (format == Format.NONE) {
        // Not an archive at its start, but it may hold one further in (a self-extracting
        // installer, a compressed blob in a binary): clamd unpacks such ZIPs, so must we.
        int before = run.members.size();
        try {
          embedded(archive, run);
        } catch (LimitReached e) {
          return run.stopped(e);
        } catch (IOException | RuntimeException e) {
          run.rethrowIfWriteFailed(e);
          run.problems.add(where + " holds an archive NEGuard could not unpack ("
              + describe(e) + "): its members were not all scanned");
        }
        queue.addAll(run.members.subList(before, run.members.size()));
        continue;
      }
      if (!format.supported) {
        run.problems.add(where + " is a " + format.label
            + " archive, which NEGuard does not unpack for YARA: its members were not scanned");
        continue;
      }
      if (archive.depth() >= limits.maxDepth()) {
        run.problems.add(where + " is an archive nested deeper than " + limits.maxDepth()
            + " levels (limit maxDepth): its members were not scanned");
        continue;
      }
      String prefix = archive.depth() == 0 ? "" : archive.path() + SEPARATOR;
      String ownName = archive.depth() == 0 ? lastSegment(name) : lastSegment(archive.path());
      int before = run.members.size();
      try {
        switch (format) {
          case ZIP -> unzip(archive, prefix, run);
          case GZIP, BZIP2, XZ -> decompress(format, archive, prefix, ownName, run);
          case TAR, AR, CPIO -> unarchive(format, archive, prefix, run);
          default -> throw new IllegalStateException("unhandled format " + format);
        }
      } catch (LimitReached e) {
        return run.stopped(e);
      } catch (IOException | RuntimeException e) {
        // commons-compress reports corrupt input as IOException or, for some formats, as an
        // unchecked exception; either way the archive's content is unknown.
        run.rethrowIfWriteFailed(e);
        run.problems.add(where + " is a corrupt or unreadable " + format.label + " archive ("
            + describe(e) + "): its members were not all scanned");
      }
      queue.addAll(run.members.subList(before, run.members.size()));
    }
    return new Unpacked(run.members, run.problems);
  }

  private void unzip(Member archive, String prefix, Run run) throws IOException {
    try (ZipFile zip = ZipFile.builder().setPath(archive.file()).get()) {
      for (Enumeration<ZipArchiveEntry> e = zip.getEntriesInPhysicalOrder();
          e.hasMoreElements(); ) {
        ZipArchiveEntry entry = e.nextElement();
        String path = prefix + escape(entry.getName());
        if (entry.isDirectory() || entry.isUnixSymlink()) {
          continue; // no content of its own; a link is never followed
        }
        if (entry.getGeneralPurposeBit().usesEncryption()) {
          run.problems.add(path + " is encrypted: it was not scanned");
          continue;
        }
        if (!zip.canReadEntryData(entry)) {
          run.problems.add(path + " uses an unsupported ZIP method (" + entry.getMethod()
              + "): it was not scanned");
          continue;
        }
        try (InputStream in = zip.getInputStream(entry)) {
          run.write(in, path, archive.depth() + 1);
        }
      }
    }
  }

  /**
   * Unpacks what {@link MemberSizeCheck.Sniffer} finds inside a file that does not start as an
   * archive: compressed ZIP members (through their local headers, as clamd reads a ZIP behind a
   * stub) and gzip, bzip2 and xz streams. Each is decompressed once in full first, so that bytes
   * that merely look like a header (they fail to decompress) are left as data.
   */
  private void embedded(Member archive, Run run) throws IOException {
    MemberSizeCheck.Sniffer sniffer = new MemberSizeCheck.Sniffer();
    try (InputStream in = Files.newInputStream(archive.file())) {
      byte[] buf = new byte[COPY_BUFFER];
      for (int n; (n = in.readNBytes(buf, 0, buf.length)) > 0; ) {
        sniffer.update(buf, 0, n);
      }
    }
    sniffer.finish();
    if (!sniffer.found()) {
      return;
    }
    String where = archive.depth() == 0 ? "the file" : archive.path();
    String prefix = archive.depth() == 0 ? "" : archive.path() + SEPARATOR;
    if (sniffer.overflow) {
      run.problems.add(where + " holds more than " + MemberSizeCheck.Sniffer.MAX_OFFSETS
          + " archive headers: they were not all unpacked and scanned");
      return;
    }
    try (FileChannel ch = FileChannel.open(archive.file(), StandardOpenOption.READ)) {
      long size = ch.size();
      for (int i = 0; i < sniffer.count; i++) {
        MemberSizeCheck.Candidate c = MemberSizeCheck.candidate(ch, size, sniffer.offsets[i]);
        if (c == null) {
          continue;
        }
        String path = prefix + "@" + c.offset()
            + (c.name() != null ? SEPARATOR + c.name() : " (" + c.kind().label + " content)");
        long n = decodedLength(c.decoder(), limits.maxTotalBytes() + 1);
        if (n == UNSUPPORTED) {
          if (c.plausible()) {
            run.problems.add(path + " uses ZIP method " + c.method()
                + ", which NEGuard does not unpack for YARA: it was not scanned");
          }
          continue;
        }
        if (n <= 0) {
          continue; // not a stream after all, or an empty one
        }
        if (archive.depth() >= limits.maxDepth()) {
          run.problems.add(path + " is an archive nested deeper than " + limits.maxDepth()
              + " levels (limit maxDepth): its members were not scanned");
          return;
        }
        try (InputStream in = c.decoder().open()) {
          run.write(in, path, archive.depth() + 1);
        }
      }
    }
  }

  private static final long UNSUPPORTED = -2;

  /**
   * The bytes a decoder gives up to {@code max}; -1 when decoding fails before its end (noise, or
   * a corrupt stream no tool would unpack either), {@link #UNSUPPORTED} for a ZIP method NEGuard
   * cannot decompress.
   */
  private static long decodedLength(MemberSizeCheck.Decoder decoder, long max) {
    try (InputStream in = decoder.open()) {
      if (in == null) {
        return UNSUPPORTED;
      }
      byte[] buf = new byte[COPY_BUFFER];
      long n = 0;
      for (int r; n < max && (r = in.read(buf)) > 0; ) {
        n += r;
      }
      return n;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private void decompress(Format format, Member archive, String prefix, String ownName, Run run)
      throws IOException {
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive.file()));
        InputStream in = switch (format) {
          case GZIP -> GzipCompressorInputStream.builder()
              .setInputStream(raw)
              .setDecompressConcatenated(true)
              .get();
          case BZIP2 -> new BZip2CompressorInputStream(raw, true);
          case XZ -> XZCompressorInputStream.builder()
              .setInputStream(raw)
              .setDecompressConcatenated(true)
              .get();
          default -> throw new IllegalStateException("not a compressor: " + format);
        }) {
      String member = ownName;
      for (String suffix : format.suffixes) {
        if (member.length() > suffix.length() && member.toLowerCase().endsWith(suffix)) {
          member = member.substring(0, member.length() - suffix.length())
              + (suffix.startsWith(".t") ? ".tar" : "");
          break;
        }
      }
      if (member.equals(ownName)) {
        member = ownName + "(" + format.label + " content)";
      }
      run.write(in, prefix + member, archive.depth() + 1);
    }
  }

  private void unarchive(Format format, Member archive, String prefix, Run run)
      throws IOException {
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive.file()));
        ArchiveInputStream<?> in = switch (format) {
          case TAR -> new TarArchiveInputStream(raw);
          case AR -> new ArArchiveInputStream(raw);
          case CPIO -> new CpioArchiveInputStream(raw);
          default -> throw new IllegalStateException("not an archive: " + format);
        }) {
      ArchiveEntry entry;
      while ((entry = in.getNextEntry()) != null) {
        String path = prefix + escape(entry.getName());
        if (!isRegularFile(entry)) {
          continue; // directories, links, devices, FIFOs: no content to scan, nothing followed
        }
        if (!in.canReadEntryData(entry)) {
          run.problems.add(path + " cannot be read (unsupported entry): it was not scanned");
          continue;
        }
        run.write(in, path, archive.depth() + 1);
      }
    }
  }

  private static boolean isRegularFile(ArchiveEntry entry) {
    if (entry instanceof TarArchiveEntry tar) {
      return tar.isFile() && !tar.isLink() && !tar.isSymbolicLink();
    }
    if (entry instanceof CpioArchiveEntry cpio) {
      return cpio.isRegularFile();
    }
    return !entry.isDirectory();
  }

  /** One unpack call's state: the members so far and the byte and file budgets. */
  private final class Run {
    final Path workDir;
    final long outerSize;
    final List<Member> members = new ArrayList<>();
    final List<String> problems = new ArrayList<>();
    long totalBytes;
    boolean writeFailed;

    /** The members so far, and the limit that stopped the unpacking among the problems. */
    Unpacked stopped(LimitReached e) {
      problems.add(e.getMessage());
      return new Unpacked(members, problems);
    }

    /**
     * Rethrows {@code e} when writing a member failed: that is this machine's fault (a full
     * disk), not the archive's, and must not pass as "an archive NEGuard could not unpack".
     */
    void rethrowIfWriteFailed(Exception e) throws IOException {
      if (writeFailed) {
        throw e instanceof IOException io ? io : new IOException(e);
      }
    }

    Run(Path workDir, long outerSize) {
      this.workDir = workDir;
      this.outerSize = outerSize;
    }

    void write(InputStream in, String path, int depth) throws IOException {
      if (members.size() >= limits.maxFiles()) {
        throw new LimitReached("more than " + limits.maxFiles()
            + " archive members (limit maxFiles): the rest, from " + path + " on, were not"
            + " scanned");
      }
      Path target = workDir.resolve("m" + members.size());
      members.add(new Member(path, target, depth));
      byte[] buffer = new byte[COPY_BUFFER];
      try (OutputStream out = newFile(target)) {
        int n;
        while ((n = in.read(buffer)) > 0) {
          totalBytes += n;
          if (totalBytes > limits.maxTotalBytes()) {
            throw new LimitReached("the archives unpack to more than " + limits.maxTotalBytes()
                + " bytes (limit maxTotalBytes), at " + path + ": the rest was not scanned");
          }
          if (totalBytes > limits.ratioFloorBytes()
              && totalBytes / outerSize > limits.maxRatio()) {
            throw new LimitReached("the archives expand more than " + limits.maxRatio()
                + " times the file's size (limit maxRatio; an archive bomb?), at " + path
                + ": the rest was not scanned");
          }
          try {
            out.write(buffer, 0, n);
          } catch (IOException e) {
            writeFailed = true;
            throw e;
          }
        }
      }
    }

    private OutputStream newFile(Path target) throws IOException {
      try {
        return Files.newOutputStream(target, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
      } catch (IOException e) {
        writeFailed = true;
        throw e;
      }
    }
  }

  /** A limit was reached: unpacking this payload file stops at once. */
  private static final class LimitReached extends IOException {
    private static final long serialVersionUID = 1L;

    LimitReached(String message) {
      super(message);
    }
  }

  /** What a file's first bytes say it is. */
  enum Format {
    ZIP("zip", true),
    TAR("tar", true),
    AR("ar", true),
    CPIO("cpio", true),
    GZIP("gzip", true, ".tgz", ".gz"),
    BZIP2("bzip2", true, ".tbz2", ".bz2"),
    XZ("xz", true, ".txz", ".xz"),
    SEVEN_Z("7z", false),
    RAR("RAR", false),
    ZSTD("zstd", false),
    RPM("RPM", false),
    CAB("CAB", false),
    NONE("plain", false);

    final String label;
    final boolean supported;
    final List<String> suffixes;

    Format(String label, boolean supported, String... suffixes) {
      this.label = label;
      this.supported = supported;
      this.suffixes = List.of(suffixes);
    }

    static Format detect(Path file) throws IOException {
      byte[] head;
      try (InputStream in = Files.newInputStream(file)) {
        head = in.readNBytes(MAGIC_BYTES);
      }
      if (starts(head, 'P', 'K', 3, 4) || starts(head, 'P', 'K', 5, 6)) {
        return ZIP;
      }
      // Magic numbers as long as the formats allow, so that random data (an encrypted blob, a
      // class file's constant pool) is rarely taken for an archive and then "not scanned":
      // gzip's method is always deflate (8) and its reserved flag bits are zero; bzip2's first
      // block starts with the digits of pi.
      if (starts(head, 0x1f, 0x8b, 0x08) && head.length > 3 && (head[3] & 0xe0) == 0) {
        return GZIP;
      }
      if (starts(head, 'B', 'Z', 'h') && head.length >= 10 && head[3] >= '1' && head[3] <= '9'
          && starts(Arrays.copyOfRange(head, 4, 10), 0x31, 0x41, 0x59, 0x26, 0x53, 0x59)) {
        return BZIP2;
      }
      if (starts(head, 0xfd, '7', 'z', 'X', 'Z', 0)) {
        return XZ;
      }
      if (head.length >= 262
          && new String(head, 257, 5, StandardCharsets.ISO_8859_1).equals("ustar")) {
        return TAR;
      }
      if (starts(head, '!', '<', 'a', 'r', 'c', 'h', '>', '\n')) {
        return AR;
      }
      if (starts(head, '0', '7', '0', '7', '0')) {
        return CPIO;
      }
      if (starts(head, '7', 'z', 0xbc, 0xaf, 0x27, 0x1c)) {
        return SEVEN_Z;
      }
      if (starts(head, 'R', 'a', 'r', '!', 0x1a, 0x07)) {
        return RAR;
      }
      if (starts(head, 0x28, 0xb5, 0x2f, 0xfd)) {
        return ZSTD;
      }
      if (starts(head, 0xed, 0xab, 0xee, 0xdb)) {
        return RPM;
      }
      if (starts(head, 'M', 'S', 'C', 'F')) {
        return CAB;
      }
      return NONE;
    }

    private static boolean starts(byte[] head, int... magic) {
      if (head.length < magic.length) {
        return false;
      }
      for (int i = 0; i < magic.length; i++) {
        if ((head[i] & 0xff) != magic[i]) {
          return false;
        }
      }
      return true;
    }
  }

  /** The name shown for a member: control characters and backslashes escaped, at most 1 KiB. */
  static String escape(String name) {
    StringBuilder b = new StringBuilder(Math.min(name.length(), 1024) + 8);
    for (int i = 0; i < name.length() && b.length() < 1024; i++) {
      char c = name.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '\\') {
        b.append(String.format("\\x%02X", (int) c));
      } else {
        b.append(c);
      }
    }
    if (b.length() >= 1024) {
      b.append("...");
    }
    return b.toString();
  }

  private static String lastSegment(String path) {
    String p = path;
    int bang = p.lastIndexOf(SEPARATOR);
    if (bang >= 0) {
      p = p.substring(bang + SEPARATOR.length());
    }
    int slash = p.lastIndexOf('/');
    return slash >= 0 ? p.substring(slash + 1) : p;
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  @Override
  public String toString() {
    return "ArchiveUnpacker[" + limits + "]";
  }
}
