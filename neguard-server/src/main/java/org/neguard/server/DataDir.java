package org.neguard.server;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.neguard.sign.Certificates;
import org.neguard.sign.TrustStore;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The server's data directory: {@code db/} (embedded database), {@code packages/} (stored
 * bundles, named by SHA-256), {@code tmp/} (uploads in progress), {@code trust/anchors/} and
 * {@code trust/crls/} (the server's own trust configuration for ingest, SRC-2). One server at a
 * time holds {@code server.lock}. Thread-safe.
 */
public final class DataDir implements AutoCloseable {
  /** The uploads-in-progress directory inside a shared package store. */
  static final String INCOMING = ".incoming";

  private final Path root;
  private final Path packages;
  private final boolean shared;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private DataDir(Path root, Path packages, boolean shared, FileChannel lockChannel,
      FileLock lock) {
    this.root = root;
    this.packages = packages;
    this.shared = shared;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /** Bits that would let anyone but the owner into the directory. */
  private static final Set<PosixFilePermission> NOT_OWNER = EnumSet.of(
      PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
      PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

  /**
   * Creates the layout if needed (directories 0700) and takes the lock.
   *
   * @throws RefusalException {@code IO_ERROR} if another server holds the directory; {@code
   *     BAD_INPUT} if an existing directory is not the server user's own, 0700
   */
  public static DataDir open(Path root) throws IOException, RefusalException {
    return open(root, java.util.Optional.empty());
  }

  /**
   * Like {@link #open(Path)}, with the stored bundles in {@code packageStore} instead of {@code
   * packages/}: a directory several replicas share (a shared volume), checked like the data
   * directory (the server user's own, 0700). Uploads in progress are then written into its
   * {@code .incoming/} so that moving a verified one into place is a rename on one file system.
   */
  public static DataDir open(Path root, java.util.Optional<Path> packageStore)
      throws IOException, RefusalException {
    DataDir dir = openData(root);
    if (packageStore.isEmpty()) {
      return dir;
    }
    Path store = packageStore.get().toAbsolutePath().normalize();
    try {
      if (Files.exists(store, LinkOption.NOFOLLOW_LINKS)) {
        checkPrivate(store);
      }
      for (Path d : new Path[] {store, store.resolve(INCOMING)}) {
        if (!Files.isDirectory(d)) {
          Files.createDirectories(d);
          Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
        }
      }
    } catch (IOException | RefusalException | RuntimeException e) {
      dir.close();
      throw e;
    }
    return new DataDir(dir.root, store, true, dir.lockChannel, dir.lock);
  }

  private static DataDir openData(Path root) throws IOException, RefusalException {
    Path abs = root.toAbsolutePath().normalize();
    if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
      checkPrivate(abs);
    }
    for (Path d :
        new Path[] {
          abs, abs.resolve("db"), abs.resolve("packages"), abs.resolve("tmp"),
          abs.resolve("trust"), abs.resolve("trust/anchors"), abs.resolve("trust/crls")
        }) {
      if (!Files.isDirectory(d)) {
        Files.createDirectories(d);
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
      }
    }
    FileChannel ch =
        FileChannel.open(abs.resolve("server.lock"), StandardOpenOption.CREATE,
            StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      ch.close();
      throw new RefusalException(
          ReasonCode.IO_ERROR,
          "another NEGuard server is using the data directory " + abs
              + "; stop it first or choose another --data directory");
    }
    return new DataDir(abs, abs.resolve("packages"), false, ch, lock);
  }

  /**
   * Refuses a data directory others could read or change: it holds the database (password and
   * token hashes, the audit log), the stored bundles and the trust anchors, so, like ssh with
   * {@code ~/.ssh}, the server does not use one that is not private.
   */
  static void checkPrivate(Path dir) throws IOException, RefusalException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new RefusalException(ReasonCode.BAD_INPUT,
          "the data directory " + dir + " is not a directory (or is a symbolic link); give"
              + " --data a directory of its own");
    }
    int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    long me = new com.sun.security.auth.module.UnixSystem().getUid();
    if (owner != me) {
      throw new RefusalException(ReasonCode.BAD_INPUT,
          "the data directory " + dir + " belongs to uid " + owner + ", not to the user running"
              + " the server (uid " + me + "); run the server as its owner or 'chown' it");
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
    if (perms.stream().anyMatch(NOT_OWNER::contains)) {
      throw new RefusalException(ReasonCode.BAD_INPUT,
          "the data directory " + dir + " is open to others (" + PosixFilePermissions.toString(perms)
              + "); it holds password and token hashes and the trust anchors: run 'chmod 700 "
              + dir + "'");
    }
  }

  /**
   * Checks every file, then copies the CA certificates into {@code trust/anchors/} and the CRLs
   * into {@code trust/crls/}. Called only while this server holds the lock, so that a refused
   * second start cannot change a running server's anchors.
   *
   * @throws RefusalException with the reason of the first file that is not a certificate or CRL;
   *     nothing is copied then
   */
  public void installTrust(List<TrustStore.AnchorFile> anchors, List<Path> crls)
      throws IOException, RefusalException {
    for (TrustStore.AnchorFile a : anchors) {
      Certificates.read(a.path());
    }
    for (Path f : crls) {
      Certificates.readCrls(f);
    }
    copyInto(trustAnchors(), anchors.stream().map(TrustStore.AnchorFile::path).toList());
    bind(anchors);
    copyInto(trustCrls(), crls);
  }

  /**
   * Writes each installed anchor's vendor binding into {@code NAME.vendors} beside it; an anchor
   * given unbound loses any binding an earlier start wrote: the command line says what holds now.
   */
  private void bind(List<TrustStore.AnchorFile> anchors) throws IOException {
    Map<Path, Set<String>> vendors = new LinkedHashMap<>();
    for (TrustStore.AnchorFile a : anchors) {
      Set<String> names = vendors.computeIfAbsent(
          trustAnchors().resolve(installedName(a.path())), k -> new LinkedHashSet<>());
      if (a.vendor() != null) {
        names.add(a.vendor());
      }
    }
    for (Map.Entry<Path, Set<String>> e : vendors.entrySet()) {
      Path file = vendorsFile(e.getKey());
      if (e.getValue().isEmpty()) {
        Files.deleteIfExists(file);
      } else {
        Files.writeString(file, String.join("\n", e.getValue()) + "\n", StandardCharsets.UTF_8);
      }
    }
  }

  private static String installedName(Path f) {
    String name = f.getFileName().toString();
    return name.matches(".*\\.(pem|crt|cer|der|crl)$") ? name : name + ".pem";
  }

  private static void copyInto(Path dir, List<Path> files) throws IOException {
    for (Path f : files) {
      Files.copy(f, dir.resolve(installedName(f)), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  public Path root() {
    return root;
  }

  public Path database() {
    return root.resolve("db");
  }

  /** Where stored bundles live: {@code packages/}, or the shared package store. */
  public Path packages() {
    return packages;
  }

  /** Whether {@link #packages} is a store other replicas share. */
  public boolean sharedPackages() {
    return shared;
  }

  /** Where uploads in progress are written: beside the stored bundles' file system. */
  public Path uploads() {
    return shared ? packages.resolve(INCOMING) : tmp();
  }

  public Path tmp() {
    return root.resolve("tmp");
  }

  public Path trustAnchors() {
    return root.resolve("trust/anchors");
  }

  public Path trustCrls() {
    return root.resolve("trust/crls");
  }

  /**
   * The binding file of {@code anchor}: {@code X.pem.vendors} beside {@code X.pem}, one vendor
   * name per line. Part of the layout, so that the trust configuration that reads it and {@link
   * #installTrust} that writes it name the same file.
   */
  public static Path vendorsFile(Path anchor) {
    return anchor.resolveSibling(anchor.getFileName() + VENDORS_SUFFIX);
  }

  /** What a binding file's name ends with. */
  public static final String VENDORS_SUFFIX = ".vendors";

  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      lockChannel.close();
    }
  }
}
