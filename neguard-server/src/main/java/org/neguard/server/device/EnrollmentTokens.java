package org.neguard.server.device;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.neguard.measure.Sha256;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * One-time enrollment tokens. A token is {@code net_} + a 16-hex-digit id + {@code _} + a
 * 64-hex-digit secret (256 random bits); only the secret's SHA-256 is stored, compared in
 * constant time. A token is spent by one conditional UPDATE ({@code WHERE used_at IS NULL AND
 * expires_at > now}), so of two enrollments racing with one token exactly one wins, on every
 * replica. Thread-safe.
 */
@Component
final class EnrollmentTokens {
  static final String PREFIX = "net_";
  private static final Pattern FORMAT = Pattern.compile("net_([0-9a-f]{16})_([0-9a-f]{64})");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final HexFormat HEX = HexFormat.of();

  private final JdbcClient jdbc;

  EnrollmentTokens(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  /** A stored token (never its secret). */
  record Token(String id, String createdBy, Instant createdAt, Instant expiresAt, String neType,
      List<String> labels, String deviceId, Instant usedAt, String usedByDevice) {}

  /** A new token and the string shown once. */
  record Issued(Token token, String secret) {}

  Issued create(String createdBy, Instant now, Instant expiresAt, String deviceId, String neType,
      List<String> labels) {
    String id = HEX.formatHex(random(8));
    String secret = HEX.formatHex(random(32));
    jdbc.sql("INSERT INTO enrollment_tokens (id, secret_sha256, created_by, created_at,"
            + " expires_at, ne_type, labels, device_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .params(id, Sha256.hex(secret.getBytes(StandardCharsets.US_ASCII)), createdBy, utc(now),
            utc(expiresAt), neType, String.join(",", labels), deviceId)
        .update();
    return new Issued(new Token(id, createdBy, now, expiresAt, neType, labels, deviceId, null,
        null), PREFIX + id + "_" + secret);
  }

  /** The public id of a token string of the right form (for audit rows), else empty. */
  static Optional<String> idOf(String raw) {
    Matcher m = raw == null ? null : FORMAT.matcher(raw);
    return m != null && m.matches() ? Optional.of(m.group(1)) : Optional.empty();
  }

  /** The token a token string names, if its secret matches; empty otherwise. */
  Optional<Token> find(String raw) {
    Matcher m = raw == null ? null : FORMAT.matcher(raw);
    if (m == null || !m.matches()) {
      return Optional.empty();
    }
    byte[] given = Sha256.hex(m.group(2).getBytes(StandardCharsets.US_ASCII))
        .getBytes(StandardCharsets.US_ASCII);
    record Row(Token token, String hash) {}
    return jdbc.sql("SELECT * FROM enrollment_tokens WHERE id = ?").param(m.group(1))
        .query((rs, i) -> new Row(new Token(rs.getString("id"), rs.getString("created_by"),
            instant(rs.getObject("created_at", OffsetDateTime.class)),
            instant(rs.getObject("expires_at", OffsetDateTime.class)), rs.getString("ne_type"),
            split(rs.getString("labels")), rs.getString("device_id"),
            instant(rs.getObject("used_at", OffsetDateTime.class)),
            rs.getString("used_by_device")), rs.getString("secret_sha256")))
        .optional()
        .filter(r -> MessageDigest.isEqual(r.hash().getBytes(StandardCharsets.US_ASCII), given))
        .map(Row::token);
  }

  /**
   * Spends the token for {@code deviceId}: true for the one caller that finds it unused and
   * unexpired at {@code now}, false for every other.
   */
  boolean spend(String id, String deviceId, Instant now) {
    return jdbc.sql("UPDATE enrollment_tokens SET used_at = ?, used_by_device = ? WHERE id = ?"
            + " AND used_at IS NULL AND expires_at > ?")
        .params(utc(now), deviceId, id, utc(now))
        .update() == 1;
  }

  static OffsetDateTime utc(Instant i) {
    return i == null ? null : OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
  }

  static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }

  private static List<String> split(String s) {
    return s == null || s.isEmpty() ? List.of() : Arrays.asList(s.split(","));
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }
}
