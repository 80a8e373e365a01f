package org.neguard.server.repo;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.neguard.server.ServerConfig;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.web.ApiException;
import org.neguard.tuf.ClientConfig;
import org.neguard.tuf.Metadata;
import org.neguard.tuf.Role;
import org.neguard.tuf.RootMetadata;
import org.neguard.tuf.TargetFile;
import org.neguard.tuf.TargetsMetadata;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Targets signed offline (docs/REPOSITORY.md, "Targets online or offline"): when the root's
 * targets role names keys the server does not hold, the server offers the next unsigned targets
 * ({@link #next}) and publishes one that its holders signed ({@link #publish}), after checking it
 * as a client would and, beyond that, that it names only packages the server verified at upload
 * (SRC-2: an offline signature adds no bytes that skipped the signature, scan-report and
 * anti-virus checks). Thread-safe.
 */
@Component
final class OfflineTargets {
  /** The largest targets accepted: the client's own limit. */
  static final long MAX_TARGETS_BYTES = ClientConfig.DEFAULT_MAX_TARGETS_BYTES;

  /** The unsigned next targets, and why it is offered. */
  record Next(byte[] content, int version, int targets, String why) {}

  private final RepoStore store;
  private final Publisher publisher;
  private final AuditLog audit;
  private final TransactionTemplate tx;
  private final Duration targetsExpiry;

  OfflineTargets(RepoStore store, Publisher publisher, AuditLog audit,
      PlatformTransactionManager transactions, ServerConfig config) {
    this.store = store;
    this.publisher = publisher;
    this.audit = audit;
    this.tx = new TransactionTemplate(transactions);
    this.targetsExpiry = config.repo().targetsExpiry();
  }

  /**
   * The next targets for the offline holders to sign: version current+1, every verified package
   * as the online publisher would list it, expiring after the targets expiry setting. Offered
   * when there is none yet, the published one is not signed by this root's targets keys (a
   * rotation), the verified packages differ from it, or it is in the last third of its life.
   *
   * @return empty when the published targets is current
   * @throws ApiException 404 before a root; CONFLICT when this root's targets are signed online
   */
  Optional<Next> next(String actor) {
    RootMetadata root = offlineRoot();
    Instant now = publisher.now();
    List<TargetFile> verified = publisher.targetSet().targets();
    Optional<RepoStore.MetaRow> current = store.current(Role.TARGETS);
    String why = why(root, current, verified, now);
    if (why == null) {
      return Optional.empty();
    }
    int version = store.currentVersion(Role.TARGETS) + 1;
    Map<String, TargetFile> byName = new LinkedHashMap<>();
    verified.forEach(t -> byName.put(t.name(), t));
    byte[] content = new TargetsMetadata(version,
        now.plus(targetsExpiry).truncatedTo(ChronoUnit.SECONDS), byName).toMetadata().toBytes();
    Next next = new Next(content, version, verified.size(), why);
    audit.append(AuditEvent.success(actor, "REPO_TARGETS_NEXT", "repository targets " + version,
        "unsigned targets " + version + " offered (" + verified.size() + " targets): " + why
            + "; sha256 " + org.neguard.measure.Sha256.hex(content)));
    return Optional.of(next);
  }

  /**
   * Why new targets are to be signed, or null when the published one is current. Also what
   * {@code repo status} warns of.
   */
  String why(RootMetadata root, Optional<RepoStore.MetaRow> current, List<TargetFile> verified,
      Instant now) {
    if (current.isEmpty()) {
      return "no targets is published yet";
    }
    Metadata md = Publisher.parseMetadata(current.get().content());
    if (!Publisher.signedUnder(root, md)) {
      return "targets " + md.version() + " is not signed by the targets keys of root "
          + root.version();
    }
    List<TargetFile> published = new ArrayList<>(Publisher.parseTargets(md).targets().values());
    published.sort(Comparator.comparing(TargetFile::name));
    if (!published.equals(verified)) {
      return "the verified packages differ from targets " + md.version() + " ("
          + verified.size() + " verified, " + published.size() + " published)";
    }
    if (lastThird(current.get(), now)) {
      return "targets " + md.version() + " expires at " + current.get().expires()
          + ", in the last third of its life: renew it";
    }
    return null;
  }

  /** Whether less than a third of the row's life (from publication to expiry) is left. */
  static boolean lastThird(RepoStore.MetaRow row, Instant now) {
    Duration life = Duration.between(row.publishedAt(), row.expires());
    return !now.isBefore(row.publishedAt().plus(life.multipliedBy(2).dividedBy(3)));
  }

  /**
   * Publishes targets signed offline, then a snapshot and timestamp over it, in one transaction
   * holding the publisher's lock. Refused: not this root's targets threshold of valid signatures
   * (REPO_SIGNATURE), not version current+1 (REPO_ROLLBACK), expired (REPO_EXPIRED), a target
   * that is not a verified package of the store with exactly its length, SHA-256 and custom
   * (REPO_MISMATCH), delegations or unreadable metadata (MALFORMED), a root whose targets are
   * online (CONFLICT). A refusal changes nothing and leaves its audit row.
   */
  void publish(String actor, byte[] body) {
    String target = "repository targets";
    try {
      Metadata md = parse(body);
      tx.executeWithoutResult(s -> {
        store.lock();
        RootMetadata root = offlineRoot();
        TargetsMetadata tm;
        try {
          tm = md.targets();
          root.verifyThreshold(Role.TARGETS, md);
        } catch (RefusalException e) {
          throw ApiException.from(e);
        }
        int current = store.currentVersion(Role.TARGETS);
        if (tm.version() != current + 1) {
          throw ApiException.of(ReasonCode.REPO_ROLLBACK, "targets " + tm.version()
              + " is not the next version: the published targets is " + current
              + ", the next is " + (current + 1) + " (pull it with 'neguard repo targets pull')");
        }
        Instant now = publisher.now();
        if (!tm.expires().isAfter(now)) {
          throw ApiException.of(ReasonCode.REPO_EXPIRED, "targets " + tm.version()
              + " expired at " + tm.expires() + "; pull and sign a new one");
        }
        List<TargetFile> entries = verifiedOnly(tm);
        Publisher.Outcome o = publisher.publishSignedTargets(actor, root, md, entries, now);
        audit.append(AuditEvent.success(actor, "REPO_TARGETS", target + " " + tm.version(),
            "targets " + tm.version() + " signed offline (" + root.countValidSignatures(
                Role.TARGETS, md) + " of threshold " + root.role(Role.TARGETS).threshold()
                + "), " + entries.size() + " targets, expires " + tm.expires() + "; snapshot "
                + o.snapshot() + ", timestamp " + o.timestamp() + "; sha256 "
                + org.neguard.measure.Sha256.hex(body)));
      });
    } catch (ApiException e) {
      audit.append(Repository.refusal(actor, "REPO_TARGETS", target, e));
      throw e;
    }
  }

  /**
   * The targets' entries, each exactly a verified package's entry: a signature offline vouches
   * for the choice of packages, never for bytes the server did not verify at upload.
   */
  private List<TargetFile> verifiedOnly(TargetsMetadata tm) {
    Map<String, TargetFile> verified = new LinkedHashMap<>();
    publisher.targetSet().targets().forEach(t -> verified.put(t.name(), t));
    List<TargetFile> entries = new ArrayList<>();
    for (TargetFile t : tm.targets().values()) {
      TargetFile v = verified.get(t.name());
      if (v == null) {
        throw ApiException.of(ReasonCode.REPO_MISMATCH, "target " + t.name() + " is not a"
            + " verified package of this server: only packages that passed the signature,"
            + " scan-report and anti-virus checks at upload can be targets");
      }
      String field = v.length() != t.length() ? "length " + t.length() + " (verified: "
          + v.length() + ")"
          : !v.sha256().equals(t.sha256()) ? "sha256 " + t.sha256() + " (verified: "
          + v.sha256() + ")"
          : !v.equals(t) ? "custom " + t.custom() + " (verified: " + v.custom() + ")" : null;
      if (field != null) {
        throw ApiException.of(ReasonCode.REPO_MISMATCH, "target " + t.name() + " has "
            + field + ": not the package the server verified");
      }
      entries.add(t);
    }
    entries.sort(Comparator.comparing(TargetFile::name));
    return entries;
  }

  /** The newest root, which must sign targets offline. */
  private RootMetadata offlineRoot() {
    RootMetadata root = Publisher.parseRoot(store.root()
        .orElseThrow(() -> ApiException.notFound(Repository.INIT_HINT)).content());
    if (!publisher.offlineTargets(root)) {
      throw ApiException.of(ReasonCode.CONFLICT, "root " + root.version() + " names the"
          + " server's online targets key: the server signs targets itself. To sign targets"
          + " offline, publish a root naming offline targets keys ('neguard repo rotate"
          + " --targets-key')");
    }
    return root;
  }

  private static Metadata parse(byte[] body) {
    Metadata md;
    try {
      md = Metadata.parse(body, MAX_TARGETS_BYTES);
    } catch (RefusalException e) {
      throw ApiException.from(e);
    }
    if (md.role() != Role.TARGETS) {
      throw ApiException.of(ReasonCode.MALFORMED, "the body is " + md.role().roleName()
          + " metadata, not targets");
    }
    if (md.signed().has("delegations")) {
      throw ApiException.of(ReasonCode.MALFORMED, "targets " + md.version() + " has"
          + " delegations; this repository has top-level targets only");
    }
    return md;
  }
}
