package org.neguard.pkg;

import java.io.Closeable;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.zip.ZipException;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.apache.commons.compress.archivers.zip.ZipMethod;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * An open {@code .ngp} bundle whose structure has been checked: every entry name is safe and
 * unique, every entry is the manifest, the signature, or a file the manifest lists, and every
 * listed file is present. Contents are not yet checked: see {@link BundleVerifier}.
 *
 * <p>Reads go through the ZIP central directory only. Entry contents are read through {@link
 * #openEntry}, which never yields more bytes than the manifest lists.
 *
 * <p>Thread-safe for concurrent {@link #openEntry} calls; close once, after all reads.
 */
public final class BundleReader implements Closeable {
  private final Path file;
  private final FileChannel channel;
  private final ZipFile zip;
  private final Map<String, ZipArchiveEntry> entries;
  private final ZipLayout layout;
  private final BundleLimits limits;
  // Set once by loadManifest(), before the reader is handed out by open().
  private byte[] manifestBytes;
  private Manifest manifest;
  private byte[] signature;

  private BundleReader(
      Path file,
      FileChannel channel,
      ZipFile zip,
      Map<String, ZipArchiveEntry> entries,
      ZipLayout layout,
      BundleLimits limits) {
    this.file = file;
    this.channel = channel;
    this.zip = zip;
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
    // One open file for everything: the archive reader, the layout check and a later rewrite
    // all see the same bytes, whatever happens to the path meanwhile.
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    ZipFile zip = null;
    try {
      try {
        zip =
            ZipFile.builder()
                .setSeekableByteChannel(channel)
                .setCharset(StandardCharsets.UTF_8)
                .setUseUnicodeExtraFields(false)
                .setIgnoreLocalFileHeader(true)
                .get();
      } catch (IOException e) {
        throw new RefusalException(
            ReasonCode.MALFORMED,
            "not a readable ZIP archive (truncated, or not a package at all): " + e.getMessage(),
            e);
      }
      Map<String, ZipArchiveEntry> entries = checkEntries(zip, limits);
      ZipLayout layout = ZipLayout.check(channel, entries);
      BundleReader reader = new BundleReader(file, channel, zip, entries, layout, limits);
      channel = null; // owned by the reader now, with zip
      return reader;
    } finally {
      if (channel != null) {
        if (zip != null) {
          zip.close(); // closes the channel too
        }
        channel.close();
      }
    }
  }

  private static Map<String, ZipArchiveEntry> checkEntries(ZipFile zip, BundleLimits limits)
      throws RefusalException {
    if (zip.getFirstLocalFileHeaderOffset() != 0) {
      throw new RefusalException(
          ReasonCode.MALFORMED, "the archive has data before its first entry; rebuild the package");
    }
    Map<String, ZipArchiveEntry> entries = new LinkedHashMap<>();
    for (ZipArchiveEntry entry : Collections.list(zip.getEntries())) {
      if (entries.size() >= limits.maxEntries()) {
        throw new RefusalException(
            ReasonCode.SIZE_LIMIT, "more than " + limits.maxEntries() + " entries in the archive");
      }
      String name = PackagePath.decode(entry.getRawName());
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
      checkEntryShape(zip, entry, name, limits);
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
    ZipArchiveEntry manifestEntry = entries.get(BundleLayout.MANIFEST);
    if (manifestEntry == null) {
      throw new RefusalException(
          ReasonCode.MALFORMED,
          "no " + BundleLayout.MANIFEST + " in the archive: this is not a NEGuard package");
    }
    byte[] bytes = readSmall(zip, manifestEntry, BundleLayout.MANIFEST, limits.maxManifestBytes());
    Manifest parsed = ManifestCodec.decode(bytes);
    ZipArchiveEntry signatureEntry = entries.get(BundleLayout.SIGNATURE);
    byte[] sig =
        signatureEntry == null
            ? null
            : readSmall(zip, signatureEntry, BundleLayout.SIGNATURE, limits.maxSignatureBytes());
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
        payload.put(name, e.getSize());
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
      if (name.startsWith(BundleLayout.PAYLOAD_PREFIX) || name.startsWith(BundleLayout.SCAN_PREFIX)) {
        content.put(name, e.getSize());
      }
    });
    return content;
  }

  private static void checkEntryShape(
      ZipFile zip, ZipArchiveEntry entry, String name, BundleLimits limits)
      throws RefusalException {
    if (entry.isDirectory()) {
      throw RefusalException.about(
          ReasonCode.STRUCTURE, name, "directory entry '" + name + "' is not part of the format");
    }
    if (entry.getGeneralPurposeBit().usesEncryption()) {
      throw RefusalException.about(
          ReasonCode.MALFORMED, name, "entry '" + name + "' is encrypted");
    }
    int method = entry.getMethod();
    if (method != ZipMethod.STORED.getCode() && method != ZipMethod.DEFLATED.getCode()
        || !zip.canReadEntryData(entry)) {
      throw RefusalException.about(
          ReasonCode.MALFORMED,
          name,
          "entry '" + name + "' uses compression method " + method
              + "; only stored and deflated entries are allowed");
    }
    long size = entry.getSize();
    long compressed = entry.getCompressedSize();
    if (size < 0 || compressed < 0) {
      throw RefusalException.about(
          ReasonCode.MALFORMED, name, "entry '" + name + "' has no size in the central directory");
    }
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
      Manifest manifest, Map<String, ZipArchiveEntry> entries) throws RefusalException {
    Map<String, Long> listed = new LinkedHashMap<>();
    listed.put(BundleLayout.MANIFEST, -1L);
    listed.put(BundleLayout.SIGNATURE, -1L);
    for (Manifest.FileEntry f : manifest.files()) {
      listed.put(f.entryName(), f.size());
    }
    for (Manifest.ScanReportRef r : manifest.scanReports()) {
      listed.put(r.path(), r.size());
    }
    for (Map.Entry<String, ZipArchiveEntry> e : entries.entrySet()) {
      Long size = listed.get(e.getKey());
      if (size == null) {
        throw RefusalException.about(
            ReasonCode.STRUCTURE,
            e.getKey(),
            "entry '" + e.getKey() + "' is not listed in the manifest; the package was altered");
      }
      if (size >= 0 && e.getValue().getSize() > size) {
        throw RefusalException.about(
            ReasonCode.SIZE_LIMIT,
            e.getKey(),
            "entry '" + e.getKey() + "' is " + e.getValue().getSize()
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

  private static byte[] readSmall(ZipFile zip, ZipArchiveEntry entry, String name, int limit)
      throws RefusalException, IOException {
    if (entry.getSize() > limit) {
      throw RefusalException.about(
          ReasonCode.SIZE_LIMIT, name, name + " is larger than the limit of " + limit + " bytes");
    }
    InputStream opened;
    synchronized (zip) { // hashing threads may be opening entries at the same time
      opened = zip.getInputStream(entry);
    }
    try (InputStream in = opened) {
      byte[] bytes = in.readNBytes(limit + 1);
      if (bytes.length > limit) {
        throw RefusalException.about(
            ReasonCode.SIZE_LIMIT, name, name + " is larger than the limit of " + limit + " bytes");
      }
      if (bytes.length != entry.getSize()) {
        throw RefusalException.about(
            ReasonCode.MALFORMED, name, name + " is not as long as the archive says");
      }
      return bytes;
    } catch (ZipException | EOFException e) {
      throw RefusalException.about(
          ReasonCode.MALFORMED, name, name + " cannot be decompressed: " + e.getMessage());
    }
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
    ZipArchiveEntry entry = entries.get(name);
    if (entry == null) {
      throw new IllegalArgumentException("no such entry: " + name);
    }
    InputStream in;
    synchronized (zip) {
      // Opening resolves the local header with a positioned read; the reads that follow are
      // positional and may run in parallel.
      in = zip.getInputStream(entry);
    }
    return new BoundedInputStream(in, name, maxBytes);
  }

  /** The open bundle file: read it with positional reads only. */
  FileChannel channel() {
    return channel;
  }

  /** Where each entry and the central directory lie in the file (checked when opened). */
  ZipLayout layout() {
    return layout;
  }

  /** The central-directory entry named {@code name}, or null. */
  ZipArchiveEntry entry(String name) {
    return entries.get(name);
  }

  @Override
  public void close() throws IOException {
    try {
      zip.close();
    } finally {
      channel.close();
    }
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
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, (int) Math.min(len, limit - count + 1));
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
