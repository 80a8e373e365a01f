package org.neguard.server.repo;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.neguard.measure.Sha256;
import org.neguard.server.ServerConfig;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.pkg.StoredBundles;
import org.neguard.tuf.Expiries;
import org.neguard.tuf.MetaFile;
import org.neguard.tuf.Metadata;
import org.neguard.tuf.NeguardCustom;
import org.neguard.tuf.OnlineKeys;
import org.neguard.tuf.Published;
import org.neguard.tuf.RepositoryWriter;
import org.neguard.tuf.Role;
import org.neguard.tuf.RootMetadata;
import org.neguard.tuf.SigningKey;
import org.neguard.tuf.SnapshotMetadata;
import org.neguard.tuf.TargetFile;
import org.neguard.tuf.TargetsMetadata;
import org.neguard.tuf.TimestampMetadata;
import org.neguard.tuf.Versions;
import org.neguard.verdict.RefusalException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Signs the repository's online roles (docs/REPOSITORY.md). One publication runs in one
 * transaction holding the publisher's lock row ({@code repo_publisher}, {@code SELECT ... FOR
 * UPDATE}): it reads the newest root, the verified packages and what is published, and, when
 * the package set or the root changed or a role is in the second half of its lifetime, signs
 * the next versions and stores them with their audit row. So two replicas never sign the same
 * version twice, and a client never sees targets without the snapshot and timestamp naming
 * them. When the root's targets keys are offline the publisher never signs targets: it signs
 * snapshot and timestamp over the targets the holders published ({@link OfflineTargets}).
 * Thread-safe.
 */
@Component
final class Publisher {
  private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);
  /** The largest metadata file the server reads back from its own database. */
  static final long MAX_METADATA_BYTES = 1L << 30;

  /** What a publication did; null fields: that role was not re-signed. */
  record Outcome(Integer targets, Integer snapshot, Integer timestamp, int targetCount,
      String why) {
    boolean any() {
      return targets != null || snapshot != null || timestamp != null;
    }

    String summary() {
      List<String> parts = new ArrayList<>();
      if (targets != null) {
        parts.add("targets " + targets + " (" + targetCount + " targets)");
      }
      if (snapshot != null) {
        parts.add("snapshot " + snapshot);
      }
      if (timestamp != null) {
        parts.add("timestamp " + timestamp);
      }
      return String.join(", ", parts) + ": " + why;
    }
  }

  /** The targets the packages make, and those that could not be targets. */
  record TargetSet(List<TargetFile> targets, List<String> skipped, String digest) {}

  private final RepoStore store;
  private final OnlineKeyStore keys;
  private final StoredBundles bundles;
  private final AuditLog audit;
  private final TransactionTemplate tx;
  private final ServerConfig.Repo config;
  private final Clock clock = Clock.systemUTC();

  Publisher(RepoStore store, OnlineKeyStore keys, StoredBundles bundles, AuditLog audit,
      PlatformTransactionManager transactions, ServerConfig config) {
    this.store = store;
    this.keys = keys;
    this.bundles = bundles;
    this.audit = audit;
    this.tx = new TransactionTemplate(transactions);
    this.config = config.repo();
  }

  /** Now, as publications read it. */
  Instant now() {
    return clock.instant();
  }

  /**
   * Publishes what is due, waiting for another publication to end first.
   *
   * @param actor who caused it (a user, or {@code system} for the schedule)
   * @return what was published; nothing when no root is published yet or nothing is due
   */
  Outcome publish(String actor) {
    return tx.execute(s -> {
      RepoStore.Lock lock = store.lock();
      return publishLocked(actor, lock, false);
    });
  }

  /**
   * As {@link #publish}, but does nothing when another replica is publishing right now: the
   * schedule's round, which the next one repeats.
   */
  Outcome publishIfFree(String actor) {
    return tx.execute(s -> store.tryLock()
        .map(lock -> publishLocked(actor, lock, false))
        .orElse(null));
  }

  /**
   * The body of a publication; the caller's transaction holds the lock row. {@code force}: sign
   * all three roles whatever changed (a new root was just stored).
   */
  Outcome publishLocked(String actor, RepoStore.Lock lock, boolean force) {
    Optional<RepoStore.RootRow> rootRow = store.root();
    if (rootRow.isEmpty()) {
      return null;
    }
    RootMetadata root = parseRoot(rootRow.get().content());
    Instant now = clock.instant();
    TargetSet set = targetSet();
    Optional<RepoStore.MetaRow> targets = store.current(Role.TARGETS);
    Optional<RepoStore.MetaRow> snapshot = store.current(Role.SNAPSHOT);
    Optional<RepoStore.MetaRow> timestamp = store.current(Role.TIMESTAMP);
    if (offlineTargets(root)) {
      return publishOfflineLocked(actor, lock, root, force, now, targets, snapshot, timestamp);
    }
    boolean none = targets.isEmpty() || snapshot.isEmpty() || timestamp.isEmpty();
    String why;
    if (force || none) {
      why = none ? "first publication under root " + root.version()
          : "root " + root.version() + " published";
    } else if (lock.rootVersion() != root.version()) {
      why = "root " + root.version() + " published";
    } else if (!set.digest().equals(lock.targetsDigest())) {
      why = "the verified packages changed";
    } else if (due(targets.get(), now)) {
      why = "targets renewed before it expires (" + targets.get().expires() + ")";
    } else {
      why = null;
    }
    OnlineKeys signing = signingKeys(root);
    Published next;
    if (why != null) {
      Versions previous = none ? Versions.NONE : new Versions(targets.get().version(),
          snapshot.get().version(), timestamp.get().version());
      next = RepositoryWriter.publish(root, signing, set.targets(), previous,
          new Expiries(now.plus(config.targetsExpiry()), now.plus(config.snapshotExpiry()),
              now.plus(config.timestampExpiry())));
    } else {
      Published current = parse(targets.get(), snapshot.get(), timestamp.get());
      if (due(snapshot.get(), now)) {
        why = "snapshot renewed before it expires (" + snapshot.get().expires() + ")";
        next = RepositoryWriter.renewSnapshot(root, signing, current,
            now.plus(config.snapshotExpiry()), now.plus(config.timestampExpiry()));
      } else if (due(timestamp.get(), now)) {
        why = "timestamp renewed before it expires (" + timestamp.get().expires() + ")";
        next = RepositoryWriter.renewTimestamp(root, signing, current,
            now.plus(config.timestampExpiry()));
      } else {
        return new Outcome(null, null, null, set.targets().size(), "nothing due");
      }
    }
    Integer t = store(Role.TARGETS, next.targets(), next.targetsBytes(), targets, now);
    Integer sn = store(Role.SNAPSHOT, next.snapshot(), next.snapshotBytes(), snapshot, now);
    Integer ts = store(Role.TIMESTAMP, next.timestamp(), next.timestampBytes(), timestamp, now);
    store.published(root.version(), set.digest(), now);
    if (!set.skipped().isEmpty()) {
      why += "; not published (no safe target name of their own): "
          + String.join(", ", set.skipped());
    }
    Outcome o = new Outcome(t, sn, ts, set.targets().size(), why);
    audit.append(AuditEvent.success(actor, "REPO_PUBLISH", "repository", o.summary()));
    LOG.info("repository published: {}", o.summary());
    return o;
  }

  /**
   * A publication when the root's targets keys are offline: the server never signs targets. It
   * re-signs snapshot and timestamp over the published targets (a new root, or one of them in
   * the second half of its life) as long as that targets carries the root's targets threshold;
   * otherwise (none yet, or signed by keys this root no longer names) nothing can be signed
   * until the holders publish one ({@code POST /api/repo/targets}): no audit row then, as every
   * round of the schedule would add one.
   */
  private Outcome publishOfflineLocked(String actor, RepoStore.Lock lock, RootMetadata root,
      boolean force, Instant now, Optional<RepoStore.MetaRow> targets,
      Optional<RepoStore.MetaRow> snapshot, Optional<RepoStore.MetaRow> timestamp) {
    if (targets.isEmpty()) {
      return new Outcome(null, null, null, 0, WAITING);
    }
    Metadata t = parseMetadata(targets.get().content());
    if (!signedUnder(root, t)) {
      return new Outcome(null, null, null, 0, WAITING);
    }
    int count = parseTargets(t).targets().size();
    String why;
    boolean withSnapshot;
    if (force || snapshot.isEmpty() || timestamp.isEmpty()
        || lock.rootVersion() != root.version()) {
      why = "root " + root.version() + " published (targets " + t.version()
          + " signed offline)";
      withSnapshot = true;
    } else if (due(snapshot.get(), now)) {
      why = "snapshot renewed before it expires (" + snapshot.get().expires() + ")";
      withSnapshot = true;
    } else if (due(timestamp.get(), now)) {
      why = "timestamp renewed before it expires (" + timestamp.get().expires() + ")";
      withSnapshot = false;
    } else {
      return new Outcome(null, null, null, count, "nothing due");
    }
    Integer sn = null;
    Metadata snap;
    if (withSnapshot) {
      snap = snapshot(root, t, snapshot.map(RepoStore.MetaRow::version).orElse(0) + 1, now);
      sn = store(Role.SNAPSHOT, snap, snap.toBytes(), snapshot, now);
    } else {
      snap = parseMetadata(snapshot.get().content());
    }
    Metadata ts = timestamp(root, snap,
        timestamp.map(RepoStore.MetaRow::version).orElse(0) + 1, now);
    Integer tsv = store(Role.TIMESTAMP, ts, ts.toBytes(), timestamp, now);
    store.published(root.version(), lock.targetsDigest(), now);
    Outcome o = new Outcome(null, sn, tsv, count, why);
    audit.append(AuditEvent.success(actor, "REPO_PUBLISH", "repository", o.summary()));
    LOG.info("repository published: {}", o.summary());
    return o;
  }

  /** What a publication answers while an offline-targets repository has no valid targets. */
  static final String WAITING = "waiting for targets signed offline (neguard repo targets pull,"
      + " sign, publish)";

  /**
   * Stores targets signed offline, already checked by the caller ({@code OfflineTargets}), and
   * signs a new snapshot and timestamp over it; the caller's transaction holds the lock row.
   */
  Outcome publishSignedTargets(String actor, RootMetadata root, Metadata targets,
      List<TargetFile> entries, Instant now) {
    Optional<RepoStore.MetaRow> snapshot = store.current(Role.SNAPSHOT);
    Optional<RepoStore.MetaRow> timestamp = store.current(Role.TIMESTAMP);
    byte[] bytes = targets.toBytes();
    store.insert(Role.TARGETS, targets.version(), bytes, targets.expires(), now);
    Metadata snap = snapshot(root, targets,
        snapshot.map(RepoStore.MetaRow::version).orElse(0) + 1, now);
    store.insert(Role.SNAPSHOT, snap.version(), snap.toBytes(), snap.expires(), now);
    Metadata ts = timestamp(root, snap,
        timestamp.map(RepoStore.MetaRow::version).orElse(0) + 1, now);
    store.insert(Role.TIMESTAMP, ts.version(), ts.toBytes(), ts.expires(), now);
    store.published(root.version(), digest(entries), now);
    Outcome o = new Outcome(targets.version(), snap.version(), ts.version(), entries.size(),
        "targets signed offline published");
    audit.append(AuditEvent.success(actor, "REPO_PUBLISH", "repository", o.summary()));
    LOG.info("repository published: {}", o.summary());
    return o;
  }

  /** A snapshot naming {@code targets}, signed with the server's snapshot key. */
  private Metadata snapshot(RootMetadata root, Metadata targets, int version, Instant now) {
    return new SnapshotMetadata(version,
        now.plus(config.snapshotExpiry()).truncatedTo(ChronoUnit.SECONDS),
        Map.of(SnapshotMetadata.TARGETS_JSON, MetaFile.of(targets.version(), targets.toBytes())))
        .toMetadata().sign(signingKey(root, Role.SNAPSHOT));
  }

  /** A timestamp naming {@code snapshot}, signed with the server's timestamp key. */
  private Metadata timestamp(RootMetadata root, Metadata snapshot, int version, Instant now) {
    return new TimestampMetadata(version,
        now.plus(config.timestampExpiry()).truncatedTo(ChronoUnit.SECONDS),
        MetaFile.of(snapshot.version(), snapshot.toBytes()))
        .toMetadata().sign(signingKey(root, Role.TIMESTAMP));
  }

  /**
   * Whether {@code root} has its targets signed offline: its targets role names none of the
   * keys this server holds for targets (root upload refuses a mix of both).
   */
  boolean offlineTargets(RootMetadata root) {
    return java.util.Collections.disjoint(root.role(Role.TARGETS).keyids(),
        keys.heldKeyIds(Role.TARGETS));
  }

  /** Whether {@code targets} carries {@code root}'s targets threshold of valid signatures. */
  static boolean signedUnder(RootMetadata root, Metadata targets) {
    return root.countValidSignatures(Role.TARGETS, targets)
        >= root.role(Role.TARGETS).threshold();
  }

  /** Stores {@code md} when it is a new version of its role; returns that version, or null. */
  private Integer store(Role role, Metadata md, byte[] bytes,
      Optional<RepoStore.MetaRow> previous, Instant now) {
    if (previous.isPresent() && previous.get().version() == md.version()) {
      return null; // not re-signed (a renewal of the roles below)
    }
    store.insert(role, md.version(), bytes, md.expires(), now);
    return md.version();
  }

  /** Whether less than half of the file's lifetime is left. */
  private static boolean due(RepoStore.MetaRow row, Instant now) {
    return RepositoryWriter.needsRenewal(row.publishedAt(), row.expires(), now);
  }

  /**
   * For each online role, the newest of the server's keys the root names for it. Root upload
   * refuses a root naming a key the server does not hold, so there is always one.
   */
  OnlineKeys signingKeys(RootMetadata root) {
    return new OnlineKeys(signingKey(root, Role.TARGETS), signingKey(root, Role.SNAPSHOT),
        signingKey(root, Role.TIMESTAMP));
  }

  private SigningKey signingKey(RootMetadata root, Role role) {
    Set<String> named = new HashSet<>(root.role(role).keyids());
    List<OnlineKeyStore.OnlineKey> held = keys.keys(role).stream()
        .filter(k -> named.contains(k.keyId())).toList();
    if (held.isEmpty()) {
      throw new IllegalStateException("root " + root.version() + " names no " + role.roleName()
          + " key this server holds");
    }
    return held.get(held.size() - 1).key();
  }

  /**
   * The targets the verified packages make: {@code <name>-<version>.ngp}, the bundle file's
   * length and SHA-256, and what an NE needs in {@code custom.neguard}. A package whose name
   * would not be a safe target name (a manifest name may start with a dot) is left out, as is
   * one whose target name a package listed before it already has ({@code a} {@code b-1} before
   * {@code a-b} {@code 1}, by name): both are reported in the publication's audit row.
   */
  TargetSet targetSet() {
    List<StoredBundles.Bundle> all = new ArrayList<>(bundles.all());
    List<TargetFile> targets = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    Map<String, Boolean> seen = new java.util.HashMap<>();
    for (StoredBundles.Bundle b : all) {
      String name = b.name() + "-" + b.version() + ".ngp";
      if (!TargetFile.isSafeName(name) || seen.putIfAbsent(name, true) != null) {
        skipped.add(b.name() + " " + b.version());
        continue;
      }
      targets.add(TargetFile.of(name, b.sizeBytes(), b.sha256(), new NeguardCustom(b.name(),
          b.version(), b.securityVersion(), b.neType(), b.rim())));
    }
    targets.sort(Comparator.comparing(TargetFile::name));
    return new TargetSet(List.copyOf(targets), List.copyOf(skipped), digest(targets));
  }

  /** What a list of targets (sorted by name) is made of, as the lock row keeps it. */
  static String digest(List<TargetFile> targets) {
    MessageDigest d = Sha256.newDigest();
    for (TargetFile t : targets) {
      d.update((t.name() + "\n" + t.length() + "\n" + t.sha256() + "\n"
          + t.custom() + "\n").getBytes(StandardCharsets.UTF_8));
    }
    return Sha256.hex(d);
  }

  static RootMetadata parseRoot(byte[] content) {
    try {
      return Metadata.parse(content, MAX_METADATA_BYTES).root();
    } catch (RefusalException e) {
      throw new IllegalStateException("the stored root does not parse: " + e.getMessage(), e);
    }
  }

  static Metadata parseMetadata(byte[] content) {
    try {
      return Metadata.parse(content, MAX_METADATA_BYTES);
    } catch (RefusalException e) {
      throw new IllegalStateException("stored metadata does not parse: " + e.getMessage(), e);
    }
  }

  static TargetsMetadata parseTargets(Metadata md) {
    try {
      return md.targets();
    } catch (RefusalException e) {
      throw new IllegalStateException("the stored targets do not parse: " + e.getMessage(), e);
    }
  }

  private static Published parse(RepoStore.MetaRow t, RepoStore.MetaRow s,
      RepoStore.MetaRow ts) {
    try {
      return Published.parse(t.content(), s.content(), ts.content());
    } catch (RefusalException e) {
      throw new IllegalStateException("the stored metadata does not parse: " + e.getMessage(), e);
    }
  }
}
