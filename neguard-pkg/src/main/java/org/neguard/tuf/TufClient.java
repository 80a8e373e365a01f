package org.neguard.tuf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The TUF client: the specification's client workflow (5.1 to 5.7) against one repository, with
 * the trusted metadata kept in a state directory ({@code root.json}, {@code timestamp.json},
 * {@code snapshot.json}, {@code targets.json}: the bytes as fetched).
 *
 * <p>One deliberate difference from the specification's wording: the state directory changes
 * only when a whole refresh succeeds (each file replaced atomically, a temporary file moved over
 * it), rather than after each step. A refused refresh therefore leaves exactly what was trusted
 * before, which is what an NE needs to keep running its current software; a later refresh
 * repeats the accepted steps (a new root is fetched again), and no check is weakened, because
 * every comparison of one refresh runs against what that refresh already accepted.
 *
 * <p>Every refusal is a {@link RefusalException} with one of: {@code REPO_SIGNATURE},
 * {@code REPO_ROLLBACK}, {@code REPO_EXPIRED}, {@code REPO_MISMATCH}, {@code SIZE_LIMIT},
 * {@code DIGEST_MISMATCH}, {@code UNSAFE_PATH}, {@code MALFORMED}; and the errors
 * {@code SERVER_UNREACHABLE}, {@code IO_ERROR}, {@code TRUST_CONFIG}, {@code CONFLICT}.
 *
 * <p>Thread-safe: refreshes and downloads of one client run one at a time.
 */
public final class TufClient {
  /** The trusted root in a client's state directory, written by {@link #bootstrap}. */
  public static final String ROOT_FILE = "root.json";
  static final String TIMESTAMP_FILE = "timestamp.json";
  static final String SNAPSHOT_FILE = "snapshot.json";
  static final String TARGETS_FILE = "targets.json";
  /** What a trusted file in the state directory may have at most (it was fetched with limits). */
  private static final long MAX_STATE_FILE = 256L * 1024 * 1024;

  private final ClientConfig config;
  private TrustedMetadata refreshed;

  public TufClient(ClientConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  /**
   * Makes {@code stateDir} trust {@code rootJson}, the root a user handed over out of band (the
   * one trust decision TUF cannot make itself). The root must parse and carry its own root
   * threshold of signatures. When the directory already trusts this root: nothing; when it
   * trusts a later version (reached from a bootstrap root by the chain): nothing either.
   *
   * @throws RefusalException {@code MALFORMED}, {@code SIZE_LIMIT}, {@code REPO_SIGNATURE};
   *     {@code CONFLICT} when the directory trusts another root of the same or a lower version
   *     (delete the state directory to start over); {@code IO_ERROR}
   */
  public static void bootstrap(Path stateDir, byte[] rootJson) throws RefusalException {
    Objects.requireNonNull(stateDir, "stateDir");
    Metadata md = Metadata.parse(rootJson, ClientConfig.DEFAULT_MAX_ROOT_BYTES);
    if (md.role() != Role.ROOT) {
      throw Fields.malformed("the file given as the trusted root is " + md.role().roleName()
          + " metadata");
    }
    RootMetadata root = RootChain.checkFirst(md);
    Path file = stateDir.resolve(ROOT_FILE);
    try {
      Files.createDirectories(stateDir);
      if (Files.exists(file)) {
        byte[] existing = Files.readAllBytes(file);
        if (Arrays.equals(existing, rootJson)) {
          return;
        }
        int existingVersion;
        try {
          existingVersion = Metadata.parse(existing, MAX_STATE_FILE).version();
        } catch (RefusalException e) {
          existingVersion = 0;
        }
        if (existingVersion > root.version()) {
          return;
        }
        throw new RefusalException(ReasonCode.CONFLICT, stateDir + " already trusts root "
            + "version " + existingVersion + ", another root than the one given (version "
            + root.version() + "); delete the state directory to trust the new one");
      }
      writeAtomically(file, rootJson);
    } catch (IOException e) {
      throw new RefusalException(ReasonCode.IO_ERROR,
          "cannot write the trusted root to " + stateDir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Runs the workflow: fix the time (5.1); load the trusted root (5.2); follow newer roots, at
   * most {@code maxRootRotations} (5.3), and forget the trusted timestamp and snapshot if their
   * keys changed; then timestamp (5.4), snapshot (5.5), targets (5.6). A snapshot or targets
   * file the state directory already holds at the version (and hash) the role above names is
   * used again, not fetched: a refresh with nothing new transfers only timestamp.json (and the
   * 404 of the next root).
   *
   * @throws RefusalException as the class says; {@code TRUST_CONFIG} when the state directory
   *     was never bootstrapped
   */
  public synchronized TrustedMetadata refresh() throws RefusalException {
    Instant now = config.clock().instant();
    State state = loadState();
    if (state.root == null) {
      throw new RefusalException(ReasonCode.TRUST_CONFIG, config.stateDir()
          + " trusts no root yet; bootstrap it with the repository's root.json "
          + "(`neguard repo verify --root root.json`)");
    }

    // 5.3: the root chain. Each step is checked against the root before it.
    RootMetadata original = state.root.md.root();
    RootMetadata root = original;
    byte[] newRootBytes = null;
    for (int i = 0; i < config.maxRootRotations(); i++) {
      int next = root.version() + 1;
      Optional<byte[]> bytes = fetch(metadataUri(Role.ROOT.fileName(next)),
          config.maxRootBytes(), "root version " + next);
      if (bytes.isEmpty()) {
        break;
      }
      root = RootChain.checkStep(root, Metadata.parse(bytes.get(), config.maxRootBytes()));
      newRootBytes = bytes.get();
    }
    checkExpiry(Role.ROOT, root.version(), root.expires(), now);
    // 5.3.11: a rotated timestamp or snapshot key means the old key may be compromised and may
    // have signed a very high version; forgetting what it signed lets the repository recover.
    boolean onlineKeysRotated =
        !original.role(Role.TIMESTAMP).equals(root.role(Role.TIMESTAMP))
            || !original.role(Role.SNAPSHOT).equals(root.role(Role.SNAPSHOT));
    Trusted trustedTimestamp = onlineKeysRotated ? null : state.timestamp;
    Trusted trustedSnapshot = onlineKeysRotated ? null : state.snapshot;

    // 5.4: timestamp.
    byte[] tsBytes = fetch(metadataUri(Role.TIMESTAMP.fileName(0)), config.maxTimestampBytes(),
        "timestamp.json").orElseThrow(() -> missing("timestamp.json"));
    Metadata tsMd = parseAs(tsBytes, config.maxTimestampBytes(), Role.TIMESTAMP);
    root.verifyThreshold(Role.TIMESTAMP, tsMd);
    TimestampMetadata timestamp = tsMd.timestamp();
    if (trustedTimestamp != null) {
      TimestampMetadata old = trustedTimestamp.md.timestamp();
      if (timestamp.version() < old.version()) {
        throw rollback("timestamp", timestamp.version(), old.version());
      }
      if (timestamp.snapshotMeta().version() < old.snapshotMeta().version()) {
        throw rollback("the snapshot the timestamp names", timestamp.snapshotMeta().version(),
            old.snapshotMeta().version());
      }
      if (timestamp.version() == old.version()) {
        // 5.4.3.1: the same version again; keep the trusted one.
        tsBytes = trustedTimestamp.bytes;
        timestamp = old;
      }
    }
    checkExpiry(Role.TIMESTAMP, timestamp.version(), timestamp.expires(), now);

    // 5.5: snapshot.
    MetaFile snapshotMeta = timestamp.snapshotMeta();
    // A trusted file reused is not parsed again (a targets file of 10,000 entries is 3 MB), but
    // its signatures are checked again below, against the root this refresh trusts.
    byte[] snapshotBytes = reuse(trustedSnapshot, snapshotMeta);
    Metadata snapshotMd;
    if (snapshotBytes == null) {
      snapshotBytes = fetchListed(Role.SNAPSHOT, snapshotMeta, root, config.maxSnapshotBytes(),
          "timestamp");
      snapshotMd = parseAs(snapshotBytes, MAX_STATE_FILE, Role.SNAPSHOT);
    } else {
      snapshotMd = trustedSnapshot.md;
    }
    root.verifyThreshold(Role.SNAPSHOT, snapshotMd);
    SnapshotMetadata snapshot = snapshotMd.snapshot();
    if (snapshot.version() != snapshotMeta.version()) {
      throw mismatch("snapshot", "version " + snapshot.version(),
          "version " + snapshotMeta.version(), "timestamp");
    }
    if (trustedSnapshot != null) {
      SnapshotMetadata old = trustedSnapshot.md.snapshot();
      if (snapshot.version() < old.version()) {
        throw rollback("snapshot", snapshot.version(), old.version());
      }
      for (Map.Entry<String, MetaFile> e : old.meta().entrySet()) {
        MetaFile now2 = snapshot.meta().get(e.getKey());
        if (now2 == null) {
          throw RefusalException.about(ReasonCode.REPO_ROLLBACK, e.getKey(),
              "snapshot version " + snapshot.version() + " no longer lists " + e.getKey()
                  + ", which the trusted snapshot lists: a rollback; use another mirror or "
                  + "tell the repository's administrator");
        }
        if (now2.version() < e.getValue().version()) {
          throw rollback(e.getKey() + " in the snapshot", now2.version(),
              e.getValue().version());
        }
      }
    }
    checkExpiry(Role.SNAPSHOT, snapshot.version(), snapshot.expires(), now);

    // 5.6: targets.
    MetaFile targetsMeta = snapshot.targetsMeta();
    byte[] targetsBytes = reuse(state.targets, targetsMeta);
    Metadata targetsMd;
    if (targetsBytes == null) {
      targetsBytes = fetchListed(Role.TARGETS, targetsMeta, root, config.maxTargetsBytes(),
          "snapshot");
      targetsMd = parseAs(targetsBytes, MAX_STATE_FILE, Role.TARGETS);
    } else {
      targetsMd = state.targets.md;
    }
    root.verifyThreshold(Role.TARGETS, targetsMd);
    if (targetsMd.version() != targetsMeta.version()) {
      throw mismatch("targets", "version " + targetsMd.version(),
          "version " + targetsMeta.version(), "snapshot");
    }
    TargetsMetadata targets = targetsMd.targets();
    if (state.targets != null && targets.version() < state.targets.md.version()) {
      throw rollback("targets", targets.version(), state.targets.md.version());
    }
    checkExpiry(Role.TARGETS, targets.version(), targets.expires(), now);

    // Everything verified: only now does the state directory change.
    try {
      if (onlineKeysRotated) {
        Files.deleteIfExists(config.stateDir().resolve(TIMESTAMP_FILE));
        Files.deleteIfExists(config.stateDir().resolve(SNAPSHOT_FILE));
      }
      if (newRootBytes != null) {
        writeAtomically(config.stateDir().resolve(ROOT_FILE), newRootBytes);
      }
      keep(TARGETS_FILE, state.targets, targetsBytes);
      keep(SNAPSHOT_FILE, trustedSnapshot, snapshotBytes);
      keep(TIMESTAMP_FILE, trustedTimestamp, tsBytes);
    } catch (IOException e) {
      throw new RefusalException(ReasonCode.IO_ERROR, "cannot write the trusted metadata to "
          + config.stateDir() + ": " + e.getMessage(), e);
    }
    refreshed = new TrustedMetadata(root, timestamp, snapshot, targets);
    return refreshed;
  }

  /**
   * The entry of target {@code name} in the refreshed targets (refreshing first if this client
   * has not yet).
   *
   * @throws RefusalException {@code UNSAFE_PATH} for a name off {@link TargetFile#NAME}, and
   *     {@link #refresh()}'s
   */
  public synchronized Optional<TargetFile> targetInfo(String name) throws RefusalException {
    checkName(name);
    if (refreshed == null) {
      refresh();
    }
    return Optional.ofNullable(refreshed.targets().targets().get(name));
  }

  /**
   * 5.7: fetches the target ({@code targetsBase/<sha256>.<name>}), reading at most its length
   * (one byte more is {@code SIZE_LIMIT}: endless data) into a temporary file in
   * {@code directory} while hashing it, then checks length and SHA-256 ({@code DIGEST_MISMATCH})
   * and only then moves it to {@code directory/name}. Nothing is left on a refusal.
   *
   * @throws RefusalException {@code UNSAFE_PATH}, {@code SIZE_LIMIT} (also for a length above
   *     {@code maxTargetBytes}), {@code DIGEST_MISMATCH}, {@code SERVER_UNREACHABLE},
   *     {@code IO_ERROR}
   */
  public synchronized Path download(TargetFile target, Path directory) throws RefusalException {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(directory, "directory");
    checkName(target.name());
    if (target.length() > config.maxTargetBytes()) {
      throw RefusalException.about(ReasonCode.SIZE_LIMIT, target.name(), "target "
          + target.name() + " is listed with " + target.length() + " bytes, above this client's "
          + "limit of " + config.maxTargetBytes() + "; raise the limit if it is expected");
    }
    boolean consistent = refreshed == null || refreshed.root().consistentSnapshot();
    URI uri = config.targetsBase().resolve(
        consistent ? target.consistentFileName() : target.name());
    Path tmp = null;
    try {
      tmp = Files.createTempFile(directory, ".tuf-", ".part");
      MessageDigest sha = Crypto.sha256();
      long total = 0;
      Optional<InputStream> opened = open(uri, target.length());
      if (opened.isEmpty()) {
        throw new RefusalException(ReasonCode.SERVER_UNREACHABLE, "the repository has no file "
            + "for target " + target.name() + " (" + uri + " is not found); tell its "
            + "administrator");
      }
      try (InputStream in = opened.get();
          OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.WRITE)) {
        byte[] buf = new byte[64 * 1024];
        int n;
        while ((n = in.read(buf, 0, (int) Math.min(buf.length, target.length() + 1 - total)))
            > 0) {
          total += n;
          if (total > target.length()) {
            throw RefusalException.about(ReasonCode.SIZE_LIMIT, target.name(), "target "
                + target.name() + " is longer than the " + target.length() + " bytes its "
                + "signed entry says (endless data); the download was stopped: use another "
                + "mirror or tell the repository's administrator");
          }
          sha.update(buf, 0, n);
          out.write(buf, 0, n);
        }
      } catch (IOException e) {
        throw unreachable(uri, e);
      }
      String hash = Crypto.HEX.formatHex(sha.digest());
      if (total != target.length() || !hash.equals(target.sha256())) {
        throw RefusalException.about(ReasonCode.DIGEST_MISMATCH, target.name(), "target "
            + target.name() + " is " + total + " bytes with SHA-256 " + hash + ", not the "
            + target.length() + " bytes with SHA-256 " + target.sha256() + " its signed entry "
            + "says: it was altered or replaced; do not install it, and use another mirror");
      }
      Path result = directory.resolve(target.name());
      move(tmp, result);
      tmp = null;
      return result;
    } catch (IOException e) {
      throw new RefusalException(ReasonCode.IO_ERROR, "cannot write target " + target.name()
          + " to " + directory + ": " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // The refusal is what matters; a leftover ".part" file is never used.
        }
      }
    }
  }

  /**
   * What the state directory trusts now, without fetching anything; roles it holds no file of
   * are null.
   *
   * @throws RefusalException {@code TRUST_CONFIG} for a damaged state file, {@code IO_ERROR}
   */
  public synchronized TrustedMetadata trusted() throws RefusalException {
    State s = loadState();
    return new TrustedMetadata(s.root == null ? null : s.root.md.root(),
        s.timestamp == null ? null : s.timestamp.md.timestamp(),
        s.snapshot == null ? null : s.snapshot.md.snapshot(),
        s.targets == null ? null : s.targets.md.targets());
  }

  // ---------------------------------------------------------------------------------------------

  /** A trusted file: its bytes as fetched and their parse. */
  private record Trusted(byte[] bytes, Metadata md) {}

  private record State(Trusted root, Trusted timestamp, Trusted snapshot, Trusted targets) {}

  private State loadState() throws RefusalException {
    return new State(loadTrusted(ROOT_FILE, Role.ROOT), loadTrusted(TIMESTAMP_FILE,
        Role.TIMESTAMP), loadTrusted(SNAPSHOT_FILE, Role.SNAPSHOT),
        loadTrusted(TARGETS_FILE, Role.TARGETS));
  }

  private Trusted loadTrusted(String file, Role role) throws RefusalException {
    Path p = config.stateDir().resolve(file);
    byte[] bytes;
    try {
      if (!Files.exists(p)) {
        return null;
      }
      bytes = Files.readAllBytes(p);
    } catch (IOException e) {
      throw new RefusalException(ReasonCode.IO_ERROR,
          "cannot read the trusted " + p + ": " + e.getMessage(), e);
    }
    try {
      Metadata md = Metadata.parse(bytes, MAX_STATE_FILE);
      if (md.role() != role) {
        throw Fields.malformed(file + " holds " + md.role().roleName() + " metadata");
      }
      return new Trusted(bytes, md);
    } catch (RefusalException e) {
      throw new RefusalException(ReasonCode.TRUST_CONFIG, "the trusted " + p + " is damaged ("
          + e.reasons().get(0).message() + "); delete it and refresh again", e);
    }
  }

  /**
   * The trusted file's bytes when it is the one {@code meta} names (version, and length and hash
   * when given): then it need not be fetched again. Null otherwise.
   */
  private static byte[] reuse(Trusted trusted, MetaFile meta) {
    if (trusted == null || trusted.md.version() != meta.version()) {
      return null;
    }
    if (meta.length() != null && meta.length() != trusted.bytes.length) {
      return null;
    }
    if (meta.sha256() != null && !meta.sha256().equals(Crypto.sha256Hex(trusted.bytes))) {
      return null;
    }
    return trusted.bytes;
  }

  /** Fetches the snapshot or targets file {@code meta} names, and checks length and hash. */
  private byte[] fetchListed(Role role, MetaFile meta, RootMetadata root, long max,
      String above) throws RefusalException {
    String name = root.consistentSnapshot() ? role.fileName(meta.version())
        : role.roleName() + ".json";
    long limit = meta.length() == null ? max : Math.min(meta.length(), max);
    byte[] bytes = fetch(metadataUri(name), limit, name).orElseThrow(() -> missing(name));
    if (meta.length() != null && bytes.length != meta.length()) {
      throw mismatch(name, bytes.length + " bytes", meta.length() + " bytes", above);
    }
    if (meta.sha256() != null) {
      String hash = Crypto.sha256Hex(bytes);
      if (!hash.equals(meta.sha256())) {
        throw mismatch(name, "SHA-256 " + hash, "SHA-256 " + meta.sha256(), above);
      }
    }
    return bytes;
  }

  private static Metadata parseAs(byte[] bytes, long max, Role role) throws RefusalException {
    Metadata md = Metadata.parse(bytes, max);
    if (md.role() != role) {
      throw Fields.malformed("a " + md.role().roleName() + " file is served as "
          + role.roleName() + " metadata");
    }
    return md;
  }

  private URI metadataUri(String file) {
    return config.metadataBase().resolve(file);
  }

  /**
   * Fetches {@code uri}, reading at most {@code limit} bytes: the byte after the limit is
   * refused as {@code SIZE_LIMIT}, never read on (endless data costs at most the limit).
   */
  private Optional<byte[]> fetch(URI uri, long limit, String what) throws RefusalException {
    Optional<InputStream> opened = open(uri, limit);
    if (opened.isEmpty()) {
      return Optional.empty();
    }
    try (InputStream in = opened.get()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[16 * 1024];
      long total = 0;
      int n;
      while ((n = in.read(buf, 0, (int) Math.min(buf.length, limit + 1 - total))) > 0) {
        total += n;
        if (total > limit) {
          throw RefusalException.about(ReasonCode.SIZE_LIMIT, what, what + " from " + uri
              + " is longer than the " + limit + " bytes allowed for it (endless data); the "
              + "download was stopped: use another mirror or tell the repository's "
              + "administrator");
        }
        out.write(buf, 0, n);
      }
      return Optional.of(out.toByteArray());
    } catch (IOException e) {
      throw unreachable(uri, e);
    }
  }

  private Optional<InputStream> open(URI uri, long limit) throws RefusalException {
    try {
      return config.fetcher().open(uri, limit);
    } catch (IOException e) {
      throw unreachable(uri, e);
    }
  }

  private void keep(String file, Trusted before, byte[] bytes) throws IOException {
    if (before == null || !Arrays.equals(before.bytes, bytes)) {
      writeAtomically(config.stateDir().resolve(file), bytes);
    }
  }

  /** A temporary file in the same directory, forced to disk, then moved over the old one. */
  static void writeAtomically(Path file, byte[] bytes) throws IOException {
    Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(),
        "." + file.getFileName(), ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.write(java.nio.ByteBuffer.wrap(bytes));
        ch.force(true);
      }
      move(tmp, file);
      tmp = null;
    } finally {
      if (tmp != null) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static void checkName(String name) throws RefusalException {
    if (!TargetFile.isSafeName(name)) {
      throw RefusalException.about(ReasonCode.UNSAFE_PATH, Shown.shown(name), "target name "
          + Shown.shown(name) + " is not a plain file name (" + TargetFile.NAME.pattern()
          + "): it could reach outside the download directory; ask for the package by its "
          + "target name, <package>-<version>.ngp");
    }
  }

  private static void checkExpiry(Role role, int version, Instant expires, Instant now)
      throws RefusalException {
    if (!now.isBefore(expires)) {
      throw RefusalException.about(ReasonCode.REPO_EXPIRED, role.roleName(), role.roleName()
          + " metadata version " + version + " expired at " + expires + " (now " + now
          + "): the repository or a mirror serves stale metadata (an indefinite freeze); check "
          + "this device's clock, and tell the repository's administrator if it persists");
    }
  }

  private static RefusalException rollback(String what, int version, int trusted) {
    return RefusalException.about(ReasonCode.REPO_ROLLBACK, what, what + " version " + version
        + " is lower than the trusted version " + trusted + ": old metadata is served (a "
        + "rollback); use another mirror or tell the repository's administrator");
  }

  private static RefusalException mismatch(String what, String is, String expected,
      String above) {
    return RefusalException.about(ReasonCode.REPO_MISMATCH, what, what + " has " + is
        + " where the trusted " + above + " says " + expected + ": metadata of different "
        + "moments are mixed (mix-and-match) or the file was altered; use another mirror or "
        + "tell the repository's administrator");
  }

  private static RefusalException missing(String file) {
    return new RefusalException(ReasonCode.SERVER_UNREACHABLE, "the repository has no " + file
        + "; if it is new, publish its root first (`neguard repo init`)");
  }

  private static RefusalException unreachable(URI uri, IOException e) {
    return new RefusalException(ReasonCode.SERVER_UNREACHABLE, "cannot fetch " + uri + ": "
        + e.getMessage() + "; check the repository URL and the network", e);
  }
}
