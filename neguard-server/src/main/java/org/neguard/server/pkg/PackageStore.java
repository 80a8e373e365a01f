package org.neguard.server.pkg;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.neguard.api.WireTime;
import org.neguard.api.pkg.PackageInfo;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The catalogue of stored packages. Rows are inserted once and never updated or deleted
 * (immutable packages). Thread-safe.
 */
@Component
public final class PackageStore {
  /**
   * A stored package.
   *
   * @param sha256 SHA-256 of the whole bundle file: the stored package's identity, kept as
   *     {@code packages/<sha256>.ngp} and sent with every download; a second, different file for
   *     the same name and version is refused however alike their manifests are
   * @param manifestSha256 SHA-256 of the signed manifest, for reference
   */
  record StoredPackage(String name, String version, String sha256, String manifestSha256,
      long sizeBytes,
      long securityVersion, String neType, String vendor, String rim, String signerSubject,
      String signerFingerprint, String uploadedBy, Instant uploadedAt) {
    /** As the API shows it. */
    PackageInfo wire() {
      return new PackageInfo(name, version, sha256, manifestSha256, sizeBytes, securityVersion,
          neType, vendor, rim, signerSubject, signerFingerprint, uploadedBy,
          WireTime.of(uploadedAt));
    }
  }

  private final JdbcClient jdbc;

  PackageStore(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  Optional<StoredPackage> find(String name, String version) {
    return jdbc.sql("SELECT * FROM packages WHERE name = ? AND version = ?")
        .params(name, version).query(PackageStore::row).optional();
  }

  /** The package whose bundle file has SHA-256 {@code sha256} (one file, one package). */
  Optional<StoredPackage> findByFile(String sha256) {
    return jdbc.sql("SELECT * FROM packages WHERE file_sha256 = ?")
        .param(sha256).query(PackageStore::row).optional();
  }

  /** Whether a recorded package, published or held by the publication gate, is this file. */
  boolean hasFile(String sha256) {
    return jdbc.sql("SELECT (SELECT COUNT(*) FROM packages WHERE file_sha256 = ?)"
            + " + (SELECT COUNT(*) FROM package_holds WHERE file_sha256 = ?)")
        .params(sha256, sha256).query(Long.class).single() > 0;
  }

  /** The stored packages as the API lists them (for the web console). */
  public List<PackageInfo> packages() {
    return list().stream().map(StoredPackage::wire).toList();
  }

  List<StoredPackage> list() {
    return jdbc.sql("SELECT * FROM packages ORDER BY name, uploaded_at")
        .query(PackageStore::row).list();
  }

  /**
   * The names (without {@code .ngp}) of every recorded bundle file: the file digest, or for a
   * row from before migration V3 that has none yet, the manifest digest it was stored under.
   */
  List<String> storedFileNames() {
    // Held packages (PackageHolds) are stored files too: a restart must not remove them.
    return jdbc.sql("SELECT COALESCE(file_sha256, manifest_sha256) FROM packages"
            + " UNION SELECT file_sha256 FROM package_holds")
        .query(String.class).list();
  }

  /** Rows stored before the server kept the whole file's digest (migration V3). */
  List<StoredPackage> withoutFileDigest() {
    return jdbc.sql("SELECT * FROM packages WHERE file_sha256 IS NULL")
        .query(PackageStore::row).list();
  }

  /**
   * Completes a row from before migration V3 with its file's digest: the one update the store
   * makes, and only of a digest that is not there yet.
   */
  void recordFileDigest(String name, String version, String sha256) {
    jdbc.sql("UPDATE packages SET file_sha256 = ? WHERE name = ? AND version = ?"
            + " AND file_sha256 IS NULL")
        .params(sha256, name, version).update();
  }

  void insert(StoredPackage p) {
    jdbc.sql("INSERT INTO packages (name, version, file_sha256, manifest_sha256, size_bytes,"
            + " security_version, ne_type, vendor, rim, signer_subject, signer_fingerprint,"
            + " uploaded_by, uploaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .params(p.name(), p.version(), p.sha256(), p.manifestSha256(), p.sizeBytes(),
            p.securityVersion(),
            p.neType(), p.vendor(), p.rim(), p.signerSubject(), p.signerFingerprint(),
            p.uploadedBy(), p.uploadedAt().atOffset(ZoneOffset.UTC))
        .update();
  }

  private static StoredPackage row(ResultSet rs, int i) throws SQLException {
    return new StoredPackage(rs.getString("name"), rs.getString("version"),
        rs.getString("file_sha256"), rs.getString("manifest_sha256"), rs.getLong("size_bytes"),
        rs.getLong("security_version"), rs.getString("ne_type"), rs.getString("vendor"),
        rs.getString("rim"), rs.getString("signer_subject"), rs.getString("signer_fingerprint"),
        rs.getString("uploaded_by"), rs.getObject("uploaded_at", OffsetDateTime.class).toInstant());
  }
}
