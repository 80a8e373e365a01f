package org.neguard.server.repo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.neguard.api.WireTime;
import org.neguard.api.repo.RepoRole;
import org.neguard.api.repo.RepoStatus;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.web.ApiException;
import org.neguard.tuf.CanonicalJson;
import org.neguard.tuf.KeyType;
import org.neguard.tuf.Metadata;
import org.neguard.tuf.Role;
import org.neguard.tuf.RoleKeys;
import org.neguard.tuf.RootChain;
import org.neguard.tuf.RootMetadata;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * What administrators do to the repository (docs/REPOSITORY.md): read the online public keys a
 * root must name, rotate one, publish a root signed offline, read the status. Each change and
 * its audit row commit together; a refusal changes nothing and leaves its own audit row.
 * Thread-safe.
 */
@Component
final class Repository {
  /** The largest root accepted (the client's own limit, ClientConfig's default). */
  static final long MAX_ROOT_BYTES = 512 * 1024;

  /** What an operator runs when the repository has no root yet. */
  static final String INIT_HINT = "no root is published yet: create one with 'neguard repo init'"
      + " (offline root keys, the server's online keys from GET /api/repo/online-keys) and"
      + " publish it";

  private final RepoStore store;
  private final OnlineKeyStore keys;
  private final Publisher publisher;
  private final CurrentTargets current;
  private final OfflineTargets offlineTargets;
  private final AuditLog audit;
  private final TransactionTemplate tx;

  Repository(RepoStore store, OnlineKeyStore keys, Publisher publisher, CurrentTargets current,
      OfflineTargets offlineTargets, AuditLog audit, PlatformTransactionManager transactions) {
    this.offlineTargets = offlineTargets;
    this.store = store;
    this.keys = keys;
    this.publisher = publisher;
    this.current = current;
    this.audit = audit;
    this.tx = new TransactionTemplate(transactions);
  }

  /**
   * {@code {"timestamp": KEY, "snapshot": KEY, "targets": KEY}}, each the TUF key JSON of the
   * role's newest online public key (created when missing), the ones a new root should name.
   * Plain JSON, not canonical: nothing signs it, and canonical JSON would leave the new lines of
   * an ECDSA key's PEM unescaped.
   */
  byte[] onlineKeysJson() {
    ObjectNode o = CanonicalJson.newObject();
    for (Role role : OnlineKeyStore.ONLINE) {
      o.set(role.roleName(), keys.newest(role).key().key().toJson());
    }
    try {
      return JSON.writeValueAsBytes(o);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot write the online keys", e);
    }
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  /**
   * A new online key for {@code roleName}; the role's current key keeps signing until a root
   * naming the new one is published.
   *
   * @return {@link #onlineKeysJson}, now with the new key
   */
  byte[] rotate(String actor, String roleName, String keytype) {
    String target = "repository online key " + roleName;
    try {
      Role role = onlineRole(roleName);
      KeyType type = keyType(keytype);
      keys.keys(role); // the role's first key, if none yet, outside the rotation's transaction
      try {
        tx.executeWithoutResult(s -> {
          OnlineKeyStore.OnlineKey k = keys.rotate(role, type);
          audit.append(AuditEvent.success(actor, "REPO_KEY_ROTATE", target, "new " + roleName
              + " key " + k.keyId() + " (" + k.key().key().keytype() + ", " + k.kid()
              + "); it signs once a root naming it is published"));
        });
      } catch (DuplicateKeyException raced) {
        throw ApiException.of(ReasonCode.CONFLICT, "another rotation of the " + roleName
            + " key ran at the same time; read the online keys and try again if needed");
      }
      return onlineKeysJson();
    } catch (ApiException e) {
      audit.append(refusal(actor, "REPO_KEY_ROTATE", target, e));
      throw e;
    }
  }

  /**
   * Publishes a root signed offline, then at once targets, snapshot and timestamp under it, in
   * one transaction holding the publisher's lock. The first root must carry its own threshold
   * of signatures; a later one must be the next version, signed by the current root's threshold
   * and its own. Either must name, for timestamp and snapshot, only keys this server holds,
   * with a threshold of 1 (the server signs each role once), and set {@code
   * consistent_snapshot}; for targets, either the same (online targets) or only keys the server
   * never held (offline targets, any threshold: {@link OfflineTargets}).
   *
   * @throws ApiException MALFORMED, SIZE_LIMIT, REPO_SIGNATURE, REPO_ROLLBACK, REPO_EXPIRED,
   *     CONFLICT (online keys); nothing changed then, and the refusal is audited
   */
  RepoStatus publishRoot(String actor, byte[] body) {
    String target = "repository root";
    try {
      Metadata md = parse(body);
      tx.executeWithoutResult(s -> {
        RepoStore.Lock lock = store.lock();
        Optional<RepoStore.RootRow> currentRow = store.root();
        RootMetadata root = check(md, currentRow);
        checkOnlineKeys(root);
        Instant now = publisher.now();
        if (!root.expires().isAfter(now)) {
          throw ApiException.of(ReasonCode.REPO_EXPIRED, "root " + root.version()
              + " expired at " + root.expires() + "; sign a root with a later expiry");
        }
        store.insertRoot(root.version(), body, root.expires(), actor, now);
        List<String> retired = new ArrayList<>();
        for (Role role : OnlineKeyStore.ONLINE) {
          retired.addAll(keys.retireAllBut(role, root.role(role).keyids()));
        }
        audit.append(AuditEvent.success(actor, "REPO_ROOT", "repository root " + root.version(),
            (currentRow.isEmpty() ? "first root" : "root " + currentRow.get().version() + " -> "
                + root.version()) + ", expires " + root.expires() + ", root keys "
                + root.role(Role.ROOT).keyids().size() + " (threshold "
                + root.role(Role.ROOT).threshold() + "), sha256 "
                + org.neguard.measure.Sha256.hex(body)
                + (retired.isEmpty() ? "" : "; online keys retired: " + String.join(", ",
                    retired))));
        publisher.publishLocked(actor, lock, true);
      });
      return status();
    } catch (ApiException e) {
      audit.append(refusal(actor, "REPO_ROOT", target, e));
      throw e;
    }
  }

  private static Metadata parse(byte[] body) {
    Metadata md;
    try {
      md = Metadata.parse(body, MAX_ROOT_BYTES);
    } catch (RefusalException e) {
      throw ApiException.from(e);
    }
    if (md.role() != Role.ROOT) {
      throw ApiException.of(ReasonCode.MALFORMED, "the body is " + md.role().roleName()
          + " metadata, not a root");
    }
    return md;
  }

  /** The chain checks: a first root's own threshold, or one step from the current root. */
  private static RootMetadata check(Metadata md, Optional<RepoStore.RootRow> currentRow) {
    try {
      RootMetadata root;
      if (currentRow.isEmpty()) {
        root = RootChain.checkFirst(md);
      } else {
        RootMetadata trusted = Publisher.parseRoot(currentRow.get().content());
        if (md.version() <= trusted.version()) {
          throw ApiException.of(ReasonCode.REPO_ROLLBACK, "root " + md.version()
              + " is not newer than the published root " + trusted.version()
              + "; the next root is version " + (trusted.version() + 1));
        }
        root = RootChain.checkStep(trusted, md);
      }
      if (!root.consistentSnapshot()) {
        throw ApiException.of(ReasonCode.MALFORMED, "root " + root.version()
            + " sets consistent_snapshot false; this repository serves consistent snapshots"
            + " only");
      }
      return root;
    } catch (RefusalException e) {
      throw ApiException.from(e);
    }
  }

  /**
   * Each online role must name keys this server holds for that role, and need one signature.
   * Else the server could not sign what clients would accept: 409 CONFLICT.
   */
  private void checkOnlineKeys(RootMetadata root) {
    List<String> problems = new ArrayList<>();
    for (Role role : OnlineKeyStore.ONLINE) {
      RoleKeys rk = root.role(role);
      if (role == Role.TARGETS && offlineTargetsProblem(root).isPresent()) {
        problems.add(offlineTargetsProblem(root).get());
        continue;
      }
      if (role == Role.TARGETS && publisher.offlineTargets(root)) {
        continue; // targets signed offline: checked above
      }
      Set<String> held = keys.byKeyId(role).keySet();
      Set<String> foreign = new HashSet<>(rk.keyids());
      foreign.removeAll(held);
      if (!foreign.isEmpty()) {
        problems.add(role.roleName() + " names " + foreign.stream().sorted()
            .collect(Collectors.joining(", ")) + ", not this server's " + role.roleName()
            + " key" + (held.size() == 1 ? " " : "s ") + String.join(", ", held));
      } else if (rk.threshold() != 1) {
        problems.add(role.roleName() + " has threshold " + rk.threshold()
            + "; the server signs each online role with one key (threshold 1)");
      }
    }
    if (!problems.isEmpty()) {
      throw ApiException.of(ReasonCode.CONFLICT, "root " + root.version() + " does not name"
          + " the server's online keys: " + String.join("; ", problems)
          + ". Read them with 'neguard repo status' or GET /api/repo/online-keys and sign a root"
          + " naming them");
    }
  }

  /**
   * Targets are either the server's (every key one it holds, threshold 1) or offline (no key
   * the server holds or ever held, for any role): a mix would let the server's key count
   * toward an offline threshold, and an offline key the server once held is not offline.
   */
  private Optional<String> offlineTargetsProblem(RootMetadata root) {
    List<String> named = root.role(Role.TARGETS).keyids();
    Set<String> held = keys.heldKeyIds(Role.TARGETS);
    boolean anyHeld = named.stream().anyMatch(held::contains);
    if (anyHeld && !held.containsAll(named)) {
      return Optional.of("targets names both the server's targets key and keys it does not"
          + " hold: either the server's key alone (online) or offline keys only");
    }
    if (!anyHeld) {
      Set<String> ever = keys.everHeldKeyIds();
      List<String> serverKeys = named.stream().filter(ever::contains).sorted().toList();
      if (!serverKeys.isEmpty()) {
        return Optional.of("targets names " + String.join(", ", serverKeys) + ", a key the"
            + " server holds or held: offline targets keys must never have been on the server");
      }
    }
    return Optional.empty();
  }

  /** The repository as published. */
  RepoStatus status() {
    Optional<RepoStore.RootRow> rootRow = store.root();
    if (rootRow.isEmpty()) {
      return new RepoStatus(false, List.of(), 0, null, INIT_HINT);
    }
    RootMetadata root = Publisher.parseRoot(rootRow.get().content());
    List<RepoRole> roles = new ArrayList<>();
    roles.add(role(root, Role.ROOT, root.version(), root.expires(), false));
    boolean offline = publisher.offlineTargets(root);
    Instant last = null;
    for (Role role : List.of(Role.TARGETS, Role.SNAPSHOT, Role.TIMESTAMP)) {
      Optional<RepoStore.MetaRow> row = store.current(role);
      roles.add(role(root, role, row.map(RepoStore.MetaRow::version).orElse(0),
          row.map(RepoStore.MetaRow::expires).orElse(null),
          !(offline && role == Role.TARGETS)));
      if (row.isPresent() && (last == null || row.get().publishedAt().isAfter(last))) {
        last = row.get().publishedAt();
      }
    }
    Map<String, ?> targets = current.targets();
    String message = null;
    if (offline) {
      // The schedule cannot sign targets here: say what the holders must do, and when.
      String why = offlineTargets.why(root, store.current(Role.TARGETS),
          publisher.targetSet().targets(), publisher.now());
      if (why != null) {
        message = (why.contains("last third") ? "WARNING: " : "") + "targets are signed"
            + " offline and " + why + ": the targets key holders pull, sign and publish the"
            + " next one (neguard repo targets pull --out targets.json; repo targets sign;"
            + " repo targets publish)";
      }
    } else if (last == null) {
      message = "root " + root.version() + " is stored but nothing is signed under it yet; see"
          + " the server log";
    }
    return new RepoStatus(true, roles, targets.size(), last == null ? null : WireTime.of(last),
        message);
  }

  private static RepoRole role(RootMetadata root, Role role, int version, Instant expires,
      boolean online) {
    RoleKeys rk = root.role(role);
    return new RepoRole(role.roleName(), version, expires == null ? null : WireTime.of(expires),
        List.copyOf(rk.keyids()), rk.threshold(), online);
  }

  private static Role onlineRole(String name) {
    for (Role r : OnlineKeyStore.ONLINE) {
      if (r.roleName().equals(name)) {
        return r;
      }
    }
    throw ApiException.badInput("no online role '" + name + "': timestamp, snapshot or targets"
        + " (root keys are offline: rotate them with 'neguard repo rotate')");
  }

  private static KeyType keyType(String keytype) {
    if (keytype == null) {
      return OnlineKeyStore.DEFAULT_TYPE;
    }
    for (KeyType t : KeyType.values()) {
      if (t.keytype().equals(keytype)) {
        return t;
      }
    }
    throw ApiException.badInput("no key type '" + keytype + "': ed25519 or ecdsa (P-256)");
  }

  /** The audit row of a refusal: denied for a security refusal, else a failure. */
  static AuditEvent refusal(String actor, String action, String target, ApiException e) {
    String detail = e.reasons().stream().map(r -> r.code() + ": " + r.message())
        .collect(Collectors.joining("; "));
    ReasonCode code = e.reasons().get(0).code();
    return code == ReasonCode.REPO_SIGNATURE || code == ReasonCode.REPO_ROLLBACK
        || code == ReasonCode.CONFLICT || code == ReasonCode.REPO_MISMATCH
        ? AuditEvent.denied(actor, action, target, detail)
        : AuditEvent.failure(actor, action, target, detail);
  }
}
