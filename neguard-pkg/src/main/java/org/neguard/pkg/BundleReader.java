package org.neguard.pkg;

import org.neguard.io.Streams;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.ZipException;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * An open {@code .ngp} bundle whose structure has been checked: every entry name is safe and
 * unique, every entry is the manifest, the signature, or a file the manifest lists, and every
 * listed file is present. Contents are not yet checked: see {@link BundleVerifier}.
 *
 * <p>The archive has one reading only ({@link ZipLayout}): the central directory, the local
 * headers and the end records account for every byte. Entry contents are read through {@link
 * #openEntry}, which never yields more bytes than asked and checks at the end that the entry's
 * compressed data was consumed exactly ({@link EntryStream}).
 *
 * <p>Thread-safe for concurrent {@link #openEntry} calls; close once, after all reads.
 */
public final class BundleReader implements Closeable {
  private final Path file;
  private final FileChannel channel;
  private final Map<String, ZipLayout.Entry> entries;
  private final ZipLayout layout;
  private final BundleLimits limits;
  // Entries read to their end through openEntry and found exact: safe to copy byte for byte.
  private final Set<String> exact = ConcurrentHashMap.newKeySet();
  // Set once by loadManifest(), before the reader is handed out by open().
  private byte[] manifestBytes;
  private Manifest manifest;
  private byte[] signature;

  private BundleReader(
      Path file,
      FileChannel channel,
      Map<String, ZipLayout.Entry> entries,
      ZipLayout layout,
      BundleLimits limits) {
    this.file = file;
    this.channel = channel;
    this.entries = entries;
    this.layout = layout;
    this.limits = limits;
  }

  /**
   * Opens {@code file} and checks its structure against {@code limits}.
   *
   * @throws IOException if the file cannot be read at all (missing, no permission)
   * @throws RefusalException {@code MALFORMED}, {@code UNSAFE_PATH}, {@code STRUCTURE} or {@code
   *     SIZE_LIMIT} when the bundle is not a well-formed NEGuard package
   */
  public static BundleReader open(Path file, BundleLimits limits)
      throws IOException, RefusalException {
    BundleReader reader = openArchive(file, limits);
    boolean ok = false;
    try {
      reader.loadManifest();
      ok = true;
      return reader;
    } finally {
      if (!ok) {
        reader.close();
      }
    }
  }

  /**
   * Opens the archive and checks every entry's name and shape and the archive's layout, without
   * reading the manifest: a verifier or scanner starts reading entries while the manifest is
   * decoded (on a cold JVM that takes most of a second). Call {@link #loadManifest} before
   * anything that needs the manifest, and trust no entry before it returned.
   *
   * @throws IOException if the file cannot be read at all
   * @throws RefusalException as {@link #open}, except for the manifest's own checks
   */
  public static BundleReader openArchive(Path file, BundleLimits limits)
      throws IOException, RefusalException {
    if (!Files.isRegularFile(file)) {
      throw Files.exists(file)
          ? new IOException("not a regular file: " + file)
          : new java.nio.file.NoSuchFileException(file.toString());
    }
    if (Files.size(file) == 0) {
      throw new RefusalException(ReasonCode.MALFORMED, "the file is empty: " + file);
    }
    // One open file for everything: the layout check, every entry read and a later rewrite all
    // see the same bytes, whatever happens to the path meanwhile.
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    try {
      ZipLayout.Directory directory = ZipLayout.readDirectory(channel, limits);
      Map<String, ZipLayout.Entry> entries = checkEntries(directory, limits);
      ZipLayout layout = ZipLayout.check(channel, entries, directory);
      BundleReader reader = new BundleReader(file, channel, entries, layout, limits);
      channel = null; // owned by the reader now
      return reader;
    } finally {
      if (channel != null) {
        channel.close();
      }
    }
  }

  private static Map<String, ZipLayout.Entry> checkEntries(
      ZipLayout.Directory directory, BundleLimits limits) throws RefusalException {
    Map<String, ZipLayout.Entry> entries = new LinkedHashMap<>();
    for (ZipLayout.Entry entry : directory.entries()) {
      String name = PackagePath.decode(entry.rawName());
      if (entry.isUnixSymlink()) {
        throw RefusalException.about(
            ReasonCode.UNSAFE_PATH, name, "entry '" + PackagePath.printable(name)
                + "' is a symbolic link; packages carry regular files only");
      }
      PackagePath.check(name);
      if (entries.put(name, entry) != null) {
        throw RefusalException.about(
            ReasonCode.STRUCTURE, name, "the archive holds entry '" + name + "' twice");
      }
      checkEntryShape(entry, name, limits);
    }
    return Collections.unmodifiableMap(entries);
  }

  /**
   * Reads, checks and cross-checks the manifest (and reads the signature): afterwards the
   * manifest lists exactly the archive's payload and report entries, none larger than listed.
   * Idempotent; not to be called from two threads at once.
   *
   * @throws RefusalException {@code MALFORMED}, {@code STRUCTURE}, {@code SIZE_LIMIT} and the
   *     manifest's own refusals (see {@link ManifestCodec#decode})
   */
  public void loadManifest() throws IOException, RefusalException {
    if (manifest != null) {
      return;
    }
    ZipLayout.Entry manifestEntry = entries.get(BundleLayout.MANIFEST);
    if (manifestEntry == null) {
      throw new RefusalException(
          ReasonCode.MALFORMED,
          "no " + BundleLayout.MANIFEST + " in the archive: this is not a NEGuard package");
    }
    byte[] bytes = readSmall(manifestEntry, BundleLayout.MANIFEST, limits.maxManifestBytes());
    Manifest parsed = ManifestCodec.decode(bytes);
    ZipLayout.Entry signatureEntry = entries.get(BundleLayout.SIGNATURE);
    byte[] sig =
        signatureEntry == null
            ? null
            : readSmall(signatureEntry, BundleLayout.SIGNATURE, limits.maxSignatureBytes());
    if (parsed.payloadBytes() > limits.maxPayloadBytes() || parsed.payloadBytes() < 0) {
      throw new RefusalException(
          ReasonCode.SIZE_LIMIT,
          "the manifest lists " + parsed.payloadBytes() + " payload bytes, more than the limit of "
              + limits.maxPayloadBytes());
    }
    checkListedAgainstEntries(parsed, entries);
    this.manifestBytes = bytes;
    this.signature = sig;
    this.manifest = parsed;
  }

  /**
   * Every payload file entry with its central-directory size, in archive order: what there is to
   * scan, known before the manifest is read.
   */
  public Map<String, Long> payloadEntries() {
    Map<String, Long> payload = new LinkedHashMap<>();
    entries.forEach((name, e) -> {
      if (name.startsWith(BundleLayout.PAYLOAD_PREFIX)) {
        payload.put(name, e.size());
      }
    });
    return payload;
  }

  /** Whether the archive holds a signature entry; known before the manifest is read. */
  public boolean hasSignatureEntry() {
    return entries.containsKey(BundleLayout.SIGNATURE);
  }

  /**
   * Every payload file and scan report entry with its central-directory size: what there is to
   * hash, known before the manifest is read.
   */
  Map<String, Long> contentEntries() {
    Map<String, Long> content = new LinkedHashMap<>();
    entries.forEach((name, e) -> {
      if (name.startsWith(BundleLayout.PAYLOAD_PREFIX) || name.startsWith(BundleLayout.SCAN_PREFIX)
          || name.equals(BundleLayout.SBOM)) {
        content.put(name, e.size());
      }
    });
    return content;
  }

  private static void checkEntryShape(ZipLayout.Entry entry, String name, BundleLimits limits)
      throws RefusalException {
    if (name.endsWith("/")) {
      throw RefusalException.about(
          ReasonCode.STRUCTURE, name, "directory entry '" + name + "' is not part of the format");
    }
    int flags = entry.flags();
    if ((flags & (ZipLayout.FLAG_ENCRYPTED | ZipLayout.FLAG_STRONG_ENCRYPTION)) != 0) {
      throw RefusalException.about(
          ReasonCode.MALFORMED, name, "entry '" + name + "' is encrypted");
    }
    if ((flags & ZipLayout.FLAG_DATA_DESCRIPTOR) != 0) {
      // Sizes after the data: a streaming unzipper must find the end of the data by itself.
      throw RefusalException.about(ReasonCode.MALFORMED, name, "entry '" + name
          + "' uses a data descriptor, which the format does not allow; rebuild the package");
    }
    if ((flags & ~ZipLayout.ALLOWED_FLAGS) != 0) {
      throw RefusalException.about(ReasonCode.MALFORMED, name, "entry '" + name
          + "' uses general-purpose flags 0x" + Integer.toHexString(flags)
          + ", which the format does not allow; rebuild the package");
    }
    int method = entry.method();
    if (method != ZipLayout.STORED && method != ZipLayout.DEFLATED) {
      throw RefusalException.about(
          ReasonCode.MALFORMED,
          name,
          "entry '" + name + "' uses compression method " + method
              + "; only stored and deflated entries are allowed");
    }
    long size = entry.size();
    long compressed = entry.compressedSize();
    if (size > limits.ratioFloorBytes()
        && size / Math.max(1, compressed) > limits.maxCompressionRatio()) {
      throw RefusalException.about(
          ReasonCode.SIZE_LIMIT,
          name,
          "entry '" + name + "' expands " + size / Math.max(1, compressed)
              + " times, more than the limit of " + limits.maxCompressionRatio()
              + " (a zip bomb?)");
    }
  }

  private static void checkListedAgainstEntries(
      Manifest manifest, Map<String, ZipLayout.Entry> entries) throws RefusalException {
    Map<String, Long> listed = new LinkedHashMap<>();
    listed.put(BundleLayout.MANIFEST, -1L);
    listed.put(BundleLayout.SIGNATURE, -1L);
    for (Manifest.FileEntry f : manifest.files()) {
      listed.put(f.entryName(), f.size());
    }
    for (Manifest.ScanReportRef r : manifest.scanReports()) {
      listed.put(r.path(), r.size());
    }
    // An SBOM entry the manifest does not list falls to the "not listed" refusal below: the
    // signature would not cover it, so nobody may read it as the vendor's.
    manifest.sbom().ifPresent(sbom -> listed.put(sbom.path(), sbom.size()));
    for (Map.Entry<String, ZipLayout.Entry> e : entries.entrySet()) {
      Long size = listed.get(e.getKey());
      if (size == null) {
        throw RefusalException.about(
            ReasonCode.STRUCTURE,
            e.getKey(),
            "entry '" + e.getKey() + "' is not listed in the manifest; the package was altered");
      }
      if (size >= 0 && e.getValue().size() > size) {
        throw RefusalException.about(
            ReasonCode.SIZE_LIMIT,
            e.getKey(),
            "entry '" + e.getKey() + "' is " + e.getValue().size()
                + " bytes, larger than the " + size + " the manifest lists");
      }
    }
    for (String name : listed.keySet()) {
      if (!entries.containsKey(name) && !name.equals(BundleLayout.SIGNATURE)) {
        throw RefusalException.about(
            ReasonCode.STRUCTURE,
            name,
            "'" + name + "' is listed in the manifest but missing from the archive");
      }
    }
  }

  private byte[] readSmall(ZipLayout.Entry entry, String name, int limit)
      throws RefusalException, IOException {
    // The declared size is checked before it sizes the buffer; the stream holds the entry to it.
    if (entry.size() > limit) {
      throw RefusalException.about(
          ReasonCode.SIZE_LIMIT, name, name + " is larger than the limit of " + limit + " bytes");
    }
    try (InputStream in = openEntry(name, entry.size())) {
      byte[] bytes = new byte[(int) entry.size()];
      if (in.readNBytes(bytes, 0, bytes.length) != bytes.length || in.read() != -1) {
        throw new ZipException(name + " is not as long as the archive says");
      }
      return bytes;
    } catch (SizeExceededException e) {
      throw RefusalException.about(ReasonCode.SIZE_LIMIT, name,
          name + " holds more than the " + entry.size() + " bytes the archive says");
    } catch (ZipException e) {
      throw RefusalException.about(
          ReasonCode.MALFORMED, name, name + " cannot be read: " + e.getMessage());
    }
  }

  /**
   * The SBOM the manifest lists, read whole and checked against the manifest's size and SHA-256;
   * empty when the manifest lists none. The bytes are the vendor's only once the signature over
   * the manifest has verified ({@link BundleVerifier}); this method checks the SBOM against the
   * manifest, not the manifest against the signature.
   *
   * @throws RefusalException {@code SIZE_LIMIT} if the listed size is above {@link
   *     BundleLimits#MAX_SBOM_BYTES} (checked before the buffer is allocated) or the entry holds
   *     more than listed, {@code DIGEST_MISMATCH} if its size or SHA-256 are not the listed
   *     ones, {@code MALFORMED} if it cannot be decompressed
   */
  public Optional<byte[]> readSbom() throws IOException, RefusalException {
    return readSbom(BundleLimits.MAX_SBOM_BYTES);
  }

  /** As {@link #readSbom()}, with another bound. */
  public Optional<byte[]> readSbom(int maxBytes) throws IOException, RefusalException {
    Optional<Manifest.SbomRef> listed = manifest().sbom();
    if (listed.isEmpty()) {
      return Optional.empty();
    }
    Manifest.SbomRef ref = listed.get();
    String name = ref.path();
    if (ref.size() > maxBytes) {
      throw RefusalException.about(ReasonCode.SIZE_LIMIT, name, "the manifest lists the SBOM as "
          + ref.size() + " bytes, more than the limit of " + maxBytes
          + "; ship a smaller SBOM (one component per package, no embedded licence texts)");
    }
    ZipLayout.Entry entry = entries.get(name);
    if (entry == null) {
      // loadManifest() refused this already; kept so the method fails closed on its own.
      throw RefusalException.about(ReasonCode.STRUCTURE, name,
          "'" + name + "' is listed in the manifest but missing from the archive");
    }
    byte[] bytes = new byte[(int) ref.size()];
    int n;
    try (InputStream in = openEntry(name, ref.size())) {
      n = in.readNBytes(bytes, 0, bytes.length);
      if (in.read() != -1) {
        throw new SizeExceededException(name, ref.size());
      }
    } catch (SizeExceededException e) {
      throw RefusalException.about(ReasonCode.SIZE_LIMIT, name,
          "'" + name + "' holds more than the " + ref.size()
              + " bytes the manifest lists; the package was altered");
    } catch (ZipException | java.io.EOFException e) {
      throw RefusalException.about(ReasonCode.MALFORMED, name,
          "'" + name + "' cannot be read (" + e.getMessage() + "); the package is damaged");
    }
    if (n != ref.size()) {
      throw RefusalException.about(ReasonCode.DIGEST_MISMATCH, name,
          "'" + name + "' is " + n + " bytes, the manifest lists " + ref.size()
              + "; the package was altered");
    }
    String sha256 = org.neguard.measure.Sha256.hex(bytes);
    if (!sha256.equals(ref.sha256())) {
      throw RefusalException.about(ReasonCode.DIGEST_MISMATCH, name,
          "'" + name + "' has SHA-256 " + sha256 + ", the manifest lists " + ref.sha256()
              + "; the package was altered");
    }
    return Optional.of(bytes);
  }

  /** The bundle file. */
  public Path file() {
    return file;
  }

  /** The parsed, shape-checked manifest. */
  public Manifest manifest() {
    requireManifest();
    return manifest;
  }

  /** The exact bytes of the manifest, as signed. */
  public byte[] manifestBytes() {
    requireManifest();
    return manifestBytes.clone();
  }

  /** The DER CMS signature, if the bundle is signed. */
  public Optional<byte[]> signature() {
    requireManifest();
    return Optional.ofNullable(signature).map(byte[]::clone);
  }

  private void requireManifest() {
    if (manifest == null) {
      throw new IllegalStateException("loadManifest() was not called");
    }
  }

  /** Names of all entries, in central-directory order. */
  public Iterable<String> entryNames() {
    return entries.keySet();
  }

  /**
   * Opens a listed entry for reading. The stream yields at most {@code maxBytes} bytes and fails
   * with a {@link SizeExceededException} if the entry holds more; decompression errors surface as
   * {@link ZipException}.
   */
  public InputStream openEntry(String name, long maxBytes) throws IOException {
    ZipLayout.Entry entry = entries.get(name);
    if (entry == null) {
      throw new IllegalArgumentException("no such entry: " + name);
    }
    // Positional reads only: entries may be read on several threads at once.
    return bounded(
        new EntryStream(channel, name, entry, layout.span(name), null, () -> exact.add(name)),
        entry, name, maxBytes);
  }

  /** Told the size and SHA-256 of an entry read whole and found exact. */
  @FunctionalInterface
  public interface Digested {
    void digested(long size, String sha256);
  }

  /**
   * As {@link #openEntry}, and the one reading also hashes: every byte the stream yields is fed
   * to a SHA-256 as it is yielded, and once the entry was read to its end and found exact (its
   * size and CRC-32 those of its headers, its compressed data consumed exactly), {@code done} is
   * told the size and digest, before the stream returns -1. Nothing is told of a read that
   * stops early, fails or skipped bytes ({@code skip}): such a reading proves nothing about the
   * bytes handed on. So a scanner that
   * hands the bytes on hashes exactly what it handed on, at no second reading.
   */
  public InputStream openHashed(String name, long maxBytes, Digested done) throws IOException {
    ZipLayout.Entry entry = entries.get(name);
    if (entry == null) {
      throw new IllegalArgumentException("no such entry: " + name);
    }
    java.security.MessageDigest digest = org.neguard.measure.Sha256.newDigest();
    return bounded(
        new EntryStream(channel, name, entry, layout.span(name), digest, () -> {
          exact.add(name);
          done.digested(entry.size(), org.neguard.measure.Sha256.hex(digest));
        }),
        entry, name, maxBytes);
  }

  private static InputStream bounded(
      EntryStream in, ZipLayout.Entry entry, String name, long maxBytes) {
    // The entry stream refuses more bytes than its headers say: a bound at or above that needs
    // no layer of its own (one less call per read for each of thousands of files).
    return maxBytes >= entry.size() ? in : new BoundedInputStream(in, name, maxBytes);
  }

  /** Whether {@code name} was read to its end and found exact (see {@link EntryStream}). */
  boolean readExactly(String name) {
    return exact.contains(name);
  }

  /** The open bundle file: read it with positional reads only. */
  FileChannel channel() {
    return channel;
  }

  /** Where each entry and the central directory lie in the file (checked when opened). */
  ZipLayout layout() {
    return layout;
  }

  /** The central-directory record named {@code name}, or null. */
  ZipLayout.Entry entry(String name) {
    return entries.get(name);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  /** An entry held more bytes than allowed. */
  public static final class SizeExceededException extends IOException {
    private static final long serialVersionUID = 1L;
    private final String entry;

    SizeExceededException(String entry, long limit) {
      super("entry '" + entry + "' holds more than " + limit + " bytes");
      this.entry = entry;
    }

    public String entry() {
      return entry;
    }
  }

  private static final class BoundedInputStream extends FilterInputStream {
    private final String name;
    private final long limit;
    private long count;

    BoundedInputStream(InputStream in, String name, long limit) {
      super(in);
      this.name = name;
      this.limit = limit;
    }

    @Override
    public int read() throws IOException {
      return Streams.readOne(this);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      // One byte past the limit is asked for, to tell "exactly at the limit" from "over it".
      long room = limit - count;
      int n = super.read(b, off, room >= len ? len : (int) room + 1);
      if (n > 0) {
        count += n;
        if (count > limit) {
          throw new SizeExceededException(name, limit);
        }
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      throw new IOException("skip is not supported");
    }
  }
}
