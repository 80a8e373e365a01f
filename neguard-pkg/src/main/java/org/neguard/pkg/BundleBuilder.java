package org.neguard.pkg;

import org.neguard.measure.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import java.util.zip.Deflater;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.neguard.io.AtomicFiles;
import org.neguard.measure.FileModes;
import org.neguard.measure.TreeDigest;
import org.neguard.progress.ProgressListener;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Builds an unsigned bundle from a directory tree: every regular file below it becomes a payload
 * file, listed in the manifest with its size, mode and SHA-256.
 *
 * <p>Files that do not shrink under deflate (already compressed) are stored as they are, which
 * keeps verification as fast as reading the disk. Entries carry the creation time, so the same
 * tree and metadata give the same bytes.
 */
public final class BundleBuilder {
  private static final int SAMPLE = 64 << 10;
  private static final byte[] NO_BYTES = new byte[0];

  private final String name;
  private final String version;
  private final long securityVersion;
  private final String neType;
  private final String vendor;
  private final Instant created;
  private final BundleLimits limits;
  private final int threads;
  private final ProgressListener progress;
  private final byte[] sbom;

  private BundleBuilder(Builder b) {
    this.sbom = b.sbom;
    this.name = b.name;
    this.version = b.version;
    this.securityVersion = b.securityVersion;
    this.neType = b.neType;
    this.vendor = b.vendor;
    this.created = b.created;
    this.limits = b.limits;
    this.threads = b.threads;
    this.progress = b.progress;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Builds the bundle of {@code sourceDir} into {@code out}. The output appears whole or not at
   * all: it is written to a temporary file beside it and moved into place.
   *
   * @return the manifest written
   * @throws IOException if the tree or the output cannot be read or written
   * @throws RefusalException {@code BAD_INPUT} for a tree that cannot become a package (no
   *     files, a symbolic link or special file, a file changing while being read), {@code
   *     UNSAFE_PATH} for a file name a package cannot carry
   */
  public Manifest build(Path sourceDir, Path out) throws IOException, RefusalException {
    List<Source> sources = list(sourceDir);
    // Progress counts each byte twice: once measured, once written.
    long bytes = 0;
    for (Source src : sources) {
      bytes += 2 * Files.size(src.file());
    }
    long total = bytes;
    AtomicLong done = new AtomicLong();
    LongConsumer advance = n -> progress.progress(Math.min(done.addAndGet(n), total), total);
    List<Measured> measured = measure(sources, advance);
    List<Manifest.FileEntry> files = new ArrayList<>();
    for (Measured m : measured) {
      files.add(
          new Manifest.FileEntry(
              m.source().path(), m.size(), TreeDigest.formatMode(m.mode()), m.sha256()));
    }
    Manifest manifest;
    try {
      manifest =
          new Manifest(
              sbom == null ? BundleLayout.FORMAT : BundleLayout.FORMAT_SBOM,
              name,
              version,
              securityVersion,
              neType,
              vendor,
              created.truncatedTo(ChronoUnit.SECONDS).toString(),
              new Manifest.Rim(TreeDigest.ALGORITHM, ManifestCodec.rimOf(files)),
              files,
              List.of(),
              sbom == null
                  ? java.util.Optional.empty()
                  : java.util.Optional.of(new Manifest.SbomRef(
                      BundleLayout.SBOM, sbom.length, Sha256.hex(sbom))));
    } catch (IllegalArgumentException e) {
      throw new RefusalException(ReasonCode.BAD_INPUT, e.getMessage(), e);
    }
    if (manifest.payloadBytes() > limits.maxPayloadBytes()) {
      throw new RefusalException(
          ReasonCode.SIZE_LIMIT,
          "the tree holds " + manifest.payloadBytes() + " bytes, more than the limit of "
              + limits.maxPayloadBytes());
    }
    byte[] manifestBytes = ManifestCodec.encode(manifest);
    Set<String> forceStored = new HashSet<>();
    // A file that deflates past the reader's ratio limit is rewritten stored: at most two passes.
    for (int attempt = 0; attempt < 2; attempt++) {
      Set<String> tooCompressible = write(out, manifestBytes, measured, forceStored, advance);
      if (tooCompressible.isEmpty()) {
        return manifest;
      }
      forceStored.addAll(tooCompressible);
    }
    throw new IllegalStateException("stored entries cannot exceed the compression ratio");
  }

  private record Source(Path file, String path) {}

  private record Measured(Source source, long size, int mode, String sha256, boolean deflate) {}

  private static List<Source> list(Path sourceDir) throws IOException, RefusalException {
    if (!Files.isDirectory(sourceDir, LinkOption.NOFOLLOW_LINKS)) {
      throw new RefusalException(
          ReasonCode.BAD_INPUT, "--from must be a directory (not a link): " + sourceDir);
    }
    List<Source> sources = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    Files.walkFileTree(
        sourceDir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            String rel = sourceDir.relativize(file).toString().replace(file.getFileSystem()
                .getSeparator(), "/");
            if (attrs.isSymbolicLink()) {
              problems.add("'" + rel + "' is a symbolic link; packages carry regular files only");
            } else if (!attrs.isRegularFile()) {
              problems.add("'" + rel + "' is not a regular file");
            } else {
              sources.add(new Source(file, rel));
            }
            return FileVisitResult.CONTINUE;
          }
        });
    if (!problems.isEmpty()) {
      throw new RefusalException(
          ReasonCode.BAD_INPUT, "cannot package " + sourceDir + ": " + String.join("; ", problems));
    }
    if (sources.isEmpty()) {
      throw new RefusalException(ReasonCode.BAD_INPUT, "no files to package in " + sourceDir);
    }
    for (Source s : sources) {
      PackagePath.check(s.path());
    }
    sources.sort((a, b) -> a.path().compareTo(b.path()));
    return sources;
  }

  private List<Measured> measure(List<Source> sources, LongConsumer advance) throws IOException {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Measured>> futures = new ArrayList<>();
      for (Source s : sources) {
        futures.add(pool.submit(() -> measure(s, advance)));
      }
      List<Measured> out = new ArrayList<>();
      for (Future<Measured> f : futures) {
        out.add(f.get());
      }
      return out;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("build interrupted");
    } finally {
      pool.shutdownNow();
    }
  }

  private static Measured measure(Source s, LongConsumer advance)
      throws IOException {
    MessageDigest sha = Sha256.newDigest();
    byte[] buffer = new byte[1 << 20];
    byte[] sample = NO_BYTES;
    long size = 0;
    try (InputStream in = Files.newInputStream(s.file(), LinkOption.NOFOLLOW_LINKS)) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        if (size == 0) {
          sample = java.util.Arrays.copyOf(buffer, Math.min(n, SAMPLE));
        }
        sha.update(buffer, 0, n);
        size += n;
        advance.accept(n);
      }
    }
    int mode = FileModes.bits(Files.getPosixFilePermissions(s.file(), LinkOption.NOFOLLOW_LINKS));
    return new Measured(s, size, mode, Sha256.hex(sha), shrinks(sample));
  }

  /** Whether deflate gains at least a tenth on the file's first 64 KiB. */
  private static boolean shrinks(byte[] sample) {
    if (sample.length == 0) {
      return false;
    }
    Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
    try {
      deflater.setInput(sample);
      deflater.finish();
      byte[] out = new byte[sample.length + 64];
      int total = 0;
      while (!deflater.finished() && total < out.length) {
        total += deflater.deflate(out, total, out.length - total);
      }
      return deflater.finished() && total < sample.length * 9L / 10;
    } finally {
      deflater.end();
    }
  }

  private Set<String> write(
      Path out, byte[] manifestBytes, List<Measured> measured,
      Set<String> forceStored, LongConsumer advance)
      throws IOException, RefusalException {
    Set<String> tooCompressible = new HashSet<>();
    try (AtomicFiles.Pending pending = AtomicFiles.create(out, AtomicFiles.Existing.REPLACE)) {
      Path tmp = pending.path();
      FileTime time = FileTime.from(created.truncatedTo(ChronoUnit.SECONDS));
      try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(tmp)) {
        zip.setEncoding("UTF-8");
        ZipArchiveEntry me = entry(BundleLayout.MANIFEST, 0644, time, true);
        zip.putArchiveEntry(me);
        zip.write(manifestBytes);
        zip.closeArchiveEntry();
        if (sbom != null) {
          // Right after the manifest: a reader of the vulnerabilities finds it without
          // seeking past the payload. Deflated unless it would exceed readers' ratio limit
          // (JSON shrinks about tenfold; a repetitive one could shrink more).
          boolean deflate = !forceStored.contains(BundleLayout.SBOM);
          ZipArchiveEntry se = entry(BundleLayout.SBOM, 0644, time, deflate);
          zip.putArchiveEntry(se);
          zip.write(sbom);
          zip.closeArchiveEntry();
          if (deflate
              && se.getSize() > limits.ratioFloorBytes()
              && se.getSize() / Math.max(1, se.getCompressedSize()) > limits.maxCompressionRatio()) {
            tooCompressible.add(BundleLayout.SBOM);
          }
        }
        byte[] buffer = new byte[1 << 20];
        for (Measured m : measured) {
          boolean deflate = m.deflate() && !forceStored.contains(m.source().path());
          ZipArchiveEntry e =
              entry(BundleLayout.PAYLOAD_PREFIX + m.source().path(), m.mode(), time, deflate);
          zip.putArchiveEntry(e);
          MessageDigest sha = Sha256.newDigest();
          long size = 0;
          try (InputStream in = Files.newInputStream(m.source().file(), LinkOption.NOFOLLOW_LINKS)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
              sha.update(buffer, 0, n);
              zip.write(buffer, 0, n);
              size += n;
              advance.accept(n);
            }
          }
          zip.closeArchiveEntry();
          if (size != m.size() || !Sha256.hex(sha).equals(m.sha256())) {
            throw new RefusalException(
                ReasonCode.BAD_INPUT,
                "'" + m.source().path() + "' changed while the package was being built; build again"
                    + " from a tree nobody is writing to");
          }
          if (deflate
              && e.getSize() > limits.ratioFloorBytes()
              && e.getSize() / Math.max(1, e.getCompressedSize()) > limits.maxCompressionRatio()) {
            tooCompressible.add(m.source().path());
          }
        }
      }
      if (!tooCompressible.isEmpty()) {
        return tooCompressible;
      }
      pending.commit();
      return tooCompressible;
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  static ZipArchiveEntry entry(String name, int mode, FileTime time, boolean deflate) {
    ZipArchiveEntry e = new ZipArchiveEntry(name);
    e.setUnixMode(0100000 | mode);
    // DOS time only: extended time fields (NTFS, X5455) cost every reader a BigDecimal parse per
    // entry and say nothing the manifest does not (docs/BENCHMARKS.md). DOS time is a local
    // calendar time; shifting by the zone's offset makes it read as UTC, so the same tree and
    // creation time give the same bytes in every time zone.
    long utc = time.toMillis();
    e.setTime(utc - java.util.TimeZone.getDefault().getOffset(utc));
    e.setMethod(deflate ? ZipArchiveEntry.DEFLATED : ZipArchiveEntry.STORED);
    return e;
  }

  /** Configures a {@link BundleBuilder}. */
  public static final class Builder {
    private String name;
    private String version;
    private long securityVersion = -1;
    private String neType;
    private String vendor;
    private Instant created = Instant.now();
    private BundleLimits limits = BundleLimits.defaults();
    private int threads = Runtime.getRuntime().availableProcessors();
    private ProgressListener progress = ProgressListener.NONE;
    private byte[] sbom;

    private Builder() {}

    /**
     * The CycloneDX JSON SBOM to carry as {@link BundleLayout#SBOM}, exactly these bytes (the
     * caller validates them); the bundle's format becomes {@link BundleLayout#FORMAT_SBOM}.
     */
    public Builder sbom(byte[] sbom) {
      Objects.requireNonNull(sbom, "sbom");
      if (sbom.length > BundleLimits.MAX_SBOM_BYTES) {
        throw new IllegalArgumentException("the SBOM is " + sbom.length
            + " bytes, more than the limit of " + BundleLimits.MAX_SBOM_BYTES + " readers apply");
      }
      this.sbom = sbom.clone();
      return this;
    }

    public Builder name(String name) {
      this.name = Objects.requireNonNull(name, "name");
      return this;
    }

    public Builder version(String version) {
      this.version = Objects.requireNonNull(version, "version");
      return this;
    }

    public Builder securityVersion(long securityVersion) {
      this.securityVersion = securityVersion;
      return this;
    }

    public Builder neType(String neType) {
      this.neType = Objects.requireNonNull(neType, "neType");
      return this;
    }

    public Builder vendor(String vendor) {
      this.vendor = Objects.requireNonNull(vendor, "vendor");
      return this;
    }

    /** The creation time recorded in the manifest and on every entry; defaults to now. */
    public Builder created(Instant created) {
      this.created = Objects.requireNonNull(created, "created");
      return this;
    }

    public Builder limits(BundleLimits limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    public Builder threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads < 1: " + threads);
      }
      this.threads = threads;
      return this;
    }

    /** Told how many bytes have been read and written; called from worker threads. */
    public Builder progress(ProgressListener progress) {
      this.progress = Objects.requireNonNull(progress, "progress");
      return this;
    }

    public BundleBuilder build() {
      return new BundleBuilder(this);
    }
  }
}
