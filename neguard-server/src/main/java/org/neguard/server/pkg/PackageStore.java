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
 * The catalogue of stored packages. Rows are inserted once and never updated or deleted
 * (immutable packages). Thread-safe.
 */
@Component
final class PackageStore {
  /**
   * A stored package.
   *
   * @param manifestSha256 SHA-256 of the signed manifest: the package's identity (the manifest
   *     lists every file's digest, so the same manifest means the same content); the bundle is
   *     kept as {@code packages/<manifestSha256>.ngp}
   */
  record StoredPackage(String name, String version, String manifestSha256, long sizeBytes,
      long securityVersion, String neType, String vendor, String rim, String signerSubject,
      String signerFingerprint, String uploadedBy, Instant uploadedAt) {}

  private final JdbcClient jdbc;

  PackageStore(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  Optional<StoredPackage> find(String name, String version) {
    return jdbc.sql("SELECT * FROM packages WHERE name = ? AND version = ?")
        .params(name, version).query(PackageStore::row).optional();
  }

  boolean hasManifest(String manifestSha256) {
    return jdbc.sql("SELECT COUNT(*) FROM packages WHERE manifest_sha256 = ?")
        .param(manifestSha256).query(Long.class).single() > 0;
  }

  List<StoredPackage> list() {
    return jdbc.sql("SELECT * FROM packages ORDER BY name, uploaded_at")
        .query(PackageStore::row).list();
  }

  List<String> manifestDigests() {
    return jdbc.sql("SELECT manifest_sha256 FROM packages").query(String.class).list();
  }

  void insert(StoredPackage p) {
    jdbc.sql("INSERT INTO packages (name, version, manifest_sha256, size_bytes, security_version,"
            + " ne_type, vendor, rim, signer_subject, signer_fingerprint, uploaded_by,"
            + " uploaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .params(p.name(), p.version(), p.manifestSha256(), p.sizeBytes(), p.securityVersion(),
            p.neType(), p.vendor(), p.rim(), p.signerSubject(), p.signerFingerprint(),
            p.uploadedBy(), p.uploadedAt().atOffset(ZoneOffset.UTC))
        .update();
  }

  private static StoredPackage row(ResultSet rs, int i) throws SQLException {
    return new StoredPackage(rs.getString("name"), rs.getString("version"),
        rs.getString("manifest_sha256"), rs.getLong("size_bytes"),
        rs.getLong("security_version"), rs.getString("ne_type"), rs.getString("vendor"),
        rs.getString("rim"), rs.getString("signer_subject"), rs.getString("signer_fingerprint"),
        rs.getString("uploaded_by"), rs.getObject("uploaded_at", OffsetDateTime.class).toInstant());
  }
}
