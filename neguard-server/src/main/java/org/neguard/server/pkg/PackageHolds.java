package org.neguard.server.pkg;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Packages the publication gate holds (migration V13) and the VEX documents approvers add to
 * them. A hold is inserted once, re-judged, and released (state {@code published}) at most once;
 * it is never deleted, so the record of why a package was held stays. VEX documents are only
 * inserted. Thread-safe.
 */
@Component
final class PackageHolds {
  static final String HELD = "held";
  static final String PUBLISHED = "published";

  /**
   * A held (or released) package.
   *
   * @param pkg the package as it would be (or was) published
   * @param sbom the SBOM it carries, as verified at upload
   * @param findings JSON of the last judgement's findings ({@code PackageFinding[]})
   */
  record Hold(PackageStore.StoredPackage pkg, byte[] sbom, byte[] findings, Instant judgedAt,
      String state, Optional<String> releasedBy, Optional<Instant> releasedAt) {}

  /** A VEX document added to a package. */
  record StoredVex(long id, byte[] document, String sha256, String source, int statements,
      String addedBy, Instant addedAt) {}

  private final JdbcClient jdbc;

  PackageHolds(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  Optional<Hold> find(String name, String version) {
    return jdbc.sql("SELECT * FROM package_holds WHERE name = ? AND version = ?")
        .params(name, version).query(PackageHolds::row).optional();
  }

  /**
   * The hold of {@code name} {@code version}, its row locked until the calling transaction ends:
   * whoever re-judges a held package reads its VEX documents and writes the judgement under this
   * lock, so two approvers' statements cannot each be judged without the other's.
   */
  Optional<Hold> lock(String name, String version) {
    return jdbc.sql("SELECT * FROM package_holds WHERE name = ? AND version = ? FOR UPDATE")
        .params(name, version).query(PackageHolds::row).optional();
  }

  /** The packages held now, by name and upload time. */
  List<Hold> held() {
    return jdbc.sql("SELECT * FROM package_holds WHERE state = ? ORDER BY name, uploaded_at")
        .param(HELD).query(PackageHolds::row).list();
  }

  void insert(PackageStore.StoredPackage p, byte[] sbom, byte[] findings, Instant judgedAt) {
    jdbc.sql("INSERT INTO package_holds (name, version, file_sha256, manifest_sha256, size_bytes,"
            + " security_version, ne_type, vendor, rim, signer_subject, signer_fingerprint,"
            + " uploaded_by, uploaded_at, sbom, findings, judged_at, state)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .params(p.name(), p.version(), p.sha256(), p.manifestSha256(), p.sizeBytes(),
            p.securityVersion(), p.neType(), p.vendor(), p.rim(), p.signerSubject(),
            p.signerFingerprint(), p.uploadedBy(), p.uploadedAt().atOffset(ZoneOffset.UTC), sbom,
            findings, judgedAt.atOffset(ZoneOffset.UTC), HELD)
        .update();
  }

  /** Records a re-judgement that still holds the package. */
  void rejudged(String name, String version, byte[] findings, Instant at) {
    jdbc.sql("UPDATE package_holds SET findings = ?, judged_at = ? WHERE name = ? AND version = ?"
            + " AND state = ?")
        .params(findings, at.atOffset(ZoneOffset.UTC), name, version, HELD).update();
  }

  /**
   * Marks a held package published; the row lock makes one of two concurrent releases the one.
   *
   * @return whether this call released it (false: it was released already)
   */
  boolean release(String name, String version, byte[] findings, String actor, Instant at) {
    return jdbc.sql("UPDATE package_holds SET state = ?, findings = ?, judged_at = ?,"
            + " released_by = ?, released_at = ? WHERE name = ? AND version = ? AND state = ?")
        .params(PUBLISHED, findings, at.atOffset(ZoneOffset.UTC), actor,
            at.atOffset(ZoneOffset.UTC), name, version, HELD)
        .update() == 1;
  }

  void addVex(String name, String version, byte[] document, String sha256, String source,
      int statements, String actor, Instant at) {
    jdbc.sql("INSERT INTO package_vex (name, version, document, document_sha256, source,"
            + " statements, added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .params(name, version, document, sha256, source, statements, actor,
            at.atOffset(ZoneOffset.UTC))
        .update();
  }

  /** The VEX documents added to a package, oldest first. */
  List<StoredVex> vex(String name, String version) {
    return jdbc.sql("SELECT * FROM package_vex WHERE name = ? AND version = ? ORDER BY id")
        .params(name, version)
        .query((rs, i) -> new StoredVex(rs.getLong("id"), rs.getBytes("document"),
            rs.getString("document_sha256"), rs.getString("source"), rs.getInt("statements"),
            rs.getString("added_by"),
            rs.getObject("added_at", OffsetDateTime.class).toInstant()))
        .list();
  }

  int vexCount(String name, String version) {
    return jdbc.sql("SELECT COUNT(*) FROM package_vex WHERE name = ? AND version = ?")
        .params(name, version).query(Integer.class).single();
  }

  private static Hold row(ResultSet rs, int i) throws SQLException {
    PackageStore.StoredPackage p = new PackageStore.StoredPackage(rs.getString("name"),
        rs.getString("version"), rs.getString("file_sha256"), rs.getString("manifest_sha256"),
        rs.getLong("size_bytes"), rs.getLong("security_version"), rs.getString("ne_type"),
        rs.getString("vendor"), rs.getString("rim"), rs.getString("signer_subject"),
        rs.getString("signer_fingerprint"), rs.getString("uploaded_by"),
        rs.getObject("uploaded_at", OffsetDateTime.class).toInstant());
    OffsetDateTime released = rs.getObject("released_at", OffsetDateTime.class);
    return new Hold(p, rs.getBytes("sbom"), rs.getBytes("findings"),
        rs.getObject("judged_at", OffsetDateTime.class).toInstant(), rs.getString("state"),
        Optional.ofNullable(rs.getString("released_by")),
        Optional.ofNullable(released).map(OffsetDateTime::toInstant));
  }
}
