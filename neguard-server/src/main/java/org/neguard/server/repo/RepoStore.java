package org.neguard.server.repo;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import org.neguard.measure.Sha256;
import org.neguard.tuf.Role;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The repository's tables (migration V7): every root, the signed versions of targets, snapshot
 * and timestamp, and the publisher's lock row. Rows of {@code repo_roots} and the content of
 * {@code repo_metadata} are never updated: one version, one file. Thread-safe.
 */
@Component
final class RepoStore {
  /**
   * How long a superseded targets or snapshot stays servable: a client that read the timestamp
   * just before a publication may still be fetching what it names (consistent snapshots).
   */
  static final Duration GRACE = Duration.ofHours(1);

  /** A stored root. */
  record RootRow(int version, byte[] content, Instant uploadedAt) {}

  /**
   * A stored version of an online role.
   *
   * @param publishedAt when it was signed: the start of its lifetime, for renewal
   */
  record MetaRow(Role role, int version, byte[] content, Instant expires, Instant publishedAt) {}

  /**
   * The publisher's lock row.
   *
   * @param rootVersion the root the current targets, snapshot and timestamp were signed under
   * @param targetsDigest what the current targets were made of ({@link Publisher#targetSet})
   */
  record Lock(int rootVersion, String targetsDigest) {}

  private final JdbcClient jdbc;

  RepoStore(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  /** Locks the publisher's row until the transaction ends, waiting for another holder. */
  Lock lock() {
    return jdbc.sql("SELECT root_version, targets_digest FROM repo_publisher WHERE id = 1"
            + " FOR UPDATE")
        .query((rs, i) -> new Lock(rs.getInt(1), rs.getString(2))).single();
  }

  /** Locks the publisher's row, or empty at once when another transaction holds it. */
  Optional<Lock> tryLock() {
    return jdbc.sql("SELECT root_version, targets_digest FROM repo_publisher WHERE id = 1"
            + " FOR UPDATE SKIP LOCKED")
        .query((rs, i) -> new Lock(rs.getInt(1), rs.getString(2))).optional();
  }

  void published(int rootVersion, String targetsDigest, Instant at) {
    jdbc.sql("UPDATE repo_publisher SET root_version = ?, targets_digest = ?, published_at = ?"
            + " WHERE id = 1")
        .params(rootVersion, targetsDigest, at(at)).update();
  }

  Optional<RootRow> root() {
    return jdbc.sql("SELECT version, content, uploaded_at FROM repo_roots ORDER BY version DESC"
            + " LIMIT 1")
        .query((rs, i) -> new RootRow(rs.getInt(1), rs.getBytes(2),
            rs.getObject(3, OffsetDateTime.class).toInstant()))
        .optional();
  }

  Optional<byte[]> root(int version) {
    return jdbc.sql("SELECT content FROM repo_roots WHERE version = ?").params(version)
        .query((rs, i) -> rs.getBytes(1)).optional();
  }

  void insertRoot(int version, byte[] content, Instant expires, String by, Instant at) {
    jdbc.sql("INSERT INTO repo_roots (version, content, sha256, expires_at, uploaded_by,"
            + " uploaded_at) VALUES (?, ?, ?, ?, ?, ?)")
        .params(version, content, Sha256.hex(content), at(expires), by, at(at)).update();
  }

  /** The newest version of {@code role}. */
  Optional<MetaRow> current(Role role) {
    return jdbc.sql("SELECT version, content, expires_at, published_at FROM repo_metadata"
            + " WHERE role = ? ORDER BY version DESC LIMIT 1")
        .params(role.roleName())
        .query((rs, i) -> new MetaRow(role, rs.getInt(1), rs.getBytes(2),
            rs.getObject(3, OffsetDateTime.class).toInstant(),
            rs.getObject(4, OffsetDateTime.class).toInstant()))
        .optional();
  }

  /** The newest version number of {@code role}, 0 when none. */
  int currentVersion(Role role) {
    // COALESCE: before the first version (an offline-targets root waiting for its holders)
    // MAX is NULL, which a single-value query refuses.
    return jdbc.sql("SELECT COALESCE(MAX(version), 0) FROM repo_metadata WHERE role = ?")
        .params(role.roleName()).query(Integer.class).single();
  }

  /** Version {@code version} of {@code role}, while it is kept. */
  Optional<byte[]> content(Role role, int version) {
    return jdbc.sql("SELECT content FROM repo_metadata WHERE role = ? AND version = ?")
        .params(role.roleName(), version).query((rs, i) -> rs.getBytes(1)).optional();
  }

  /**
   * Adds a new version of {@code role}, marks the previous ones superseded now and deletes those
   * superseded longer than {@link #GRACE} ago. The caller holds the publisher's lock.
   */
  void insert(Role role, int version, byte[] content, Instant expires, Instant now) {
    jdbc.sql("UPDATE repo_metadata SET superseded_at = ? WHERE role = ? AND superseded_at IS NULL")
        .params(at(now), role.roleName()).update();
    jdbc.sql("INSERT INTO repo_metadata (role, version, content, length, sha256, expires_at,"
            + " published_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .params(role.roleName(), version, content, (long) content.length, Sha256.hex(content),
            at(expires), at(now))
        .update();
    jdbc.sql("DELETE FROM repo_metadata WHERE role = ? AND superseded_at < ?")
        .params(role.roleName(), at(now.minus(GRACE))).update();
  }

  static OffsetDateTime at(Instant i) {
    return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
  }
}
