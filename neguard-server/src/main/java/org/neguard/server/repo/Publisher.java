package org.neguard.server.repo;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
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
import org.neguard.tuf.Metadata;
import org.neguard.tuf.NeguardCustom;
import org.neguard.tuf.OnlineKeys;
import org.neguard.tuf.Published;
import org.neguard.tuf.RepositoryWriter;
import org.neguard.tuf.Role;
import org.neguard.tuf.RootMetadata;
import org.neguard.tuf.SigningKey;
import org.neguard.tuf.TargetFile;
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
 * them. Thread-safe.
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
    MessageDigest d = Sha256.newDigest();
    for (TargetFile t : targets) {
      d.update((t.name() + "\n" + t.length() + "\n" + t.sha256() + "\n"
          + t.custom() + "\n").getBytes(StandardCharsets.UTF_8));
    }
    return new TargetSet(List.copyOf(targets), List.copyOf(skipped), Sha256.hex(d));
  }

  static RootMetadata parseRoot(byte[] content) {
    try {
      return Metadata.parse(content, MAX_METADATA_BYTES).root();
    } catch (RefusalException e) {
      throw new IllegalStateException("the stored root does not parse: " + e.getMessage(), e);
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
