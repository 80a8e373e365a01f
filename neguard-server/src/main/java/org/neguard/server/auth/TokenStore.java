package org.neguard.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.neguard.measure.Sha256;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * API tokens. A token is {@code ngt_} + a 16-hex-digit id + a 64-hex-digit secret (256 random
 * bits); only the secret's SHA-256 is stored. A fast hash suffices here, unlike for passwords,
 * because the secret is random and long: there is nothing to guess. Thread-safe.
 */
@Component
final class TokenStore {
  static final String PREFIX = "ngt_";
  private static final Pattern FORMAT = Pattern.compile("ngt_[0-9a-f]{16}[0-9a-f]{64}");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final HexFormat HEX = HexFormat.of();

  /** A stored token (never its secret). */
  record Token(String id, long userId, String username, String name, Instant createdAt,
      Instant expiresAt, Instant revokedAt, Instant lastUsedAt) {}

  /**
   * How stale a token's recorded last use may be: a use is written only when the recorded one
   * is older than this, so that a token used on every request costs one write a minute.
   */
  static final Duration TOUCH_INTERVAL = Duration.ofMinutes(1);

  /** A new token with its secret, to be shown once. */
  record Issued(Token token, String secret) {}

  private final JdbcClient jdbc;

  TokenStore(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  Issued issue(long userId, String username, String name, Instant now, Instant expiresAt) {
    byte[] id = new byte[8];
    byte[] secret = new byte[32];
    RANDOM.nextBytes(id);
    RANDOM.nextBytes(secret);
    String idHex = HEX.formatHex(id);
    String secretHex = HEX.formatHex(secret);
    jdbc.sql("INSERT INTO api_tokens (id, user_id, name, secret_sha256, created_at, expires_at)"
            + " VALUES (?, ?, ?, ?, ?, ?)")
        .params(idHex, userId, name, sha256(secretHex), UserStore.utc(now),
            UserStore.utc(expiresAt))
        .update();
    return new Issued(new Token(idHex, userId, username, name, now, expiresAt, null, null),
        PREFIX + idHex + secretHex);
  }

  /** The token an API token string names, if its secret matches; empty otherwise. */
  Optional<Token> authenticate(String raw) {
    if (raw == null || !FORMAT.matcher(raw).matches()) {
      return Optional.empty();
    }
    String id = raw.substring(4, 20);
    String secret = raw.substring(20);
    record Row(Token token, String hash) {}
    Optional<Row> row =
        jdbc.sql("SELECT t.*, u.username FROM api_tokens t JOIN users u ON u.id = t.user_id"
                + " WHERE t.id = ?")
            .param(id)
            .query((rs, i) -> new Row(token(rs), rs.getString("secret_sha256")))
            .optional();
    return row.filter(
            r -> MessageDigest.isEqual(
                r.hash().getBytes(StandardCharsets.US_ASCII),
                sha256(secret).getBytes(StandardCharsets.US_ASCII)))
        .map(Row::token);
  }

  Optional<Token> find(String id) {
    return jdbc.sql("SELECT t.*, u.username FROM api_tokens t JOIN users u ON u.id = t.user_id"
            + " WHERE t.id = ?")
        .param(id).query((rs, i) -> token(rs)).optional();
  }

  List<Token> list(Long userId) {
    String sql = "SELECT t.*, u.username FROM api_tokens t JOIN users u ON u.id = t.user_id";
    return userId == null
        ? jdbc.sql(sql + " ORDER BY t.created_at").query((rs, i) -> token(rs)).list()
        : jdbc.sql(sql + " WHERE t.user_id = ? ORDER BY t.created_at").param(userId)
            .query((rs, i) -> token(rs)).list();
  }

  /**
   * Records that token {@code id} was used at {@code now}, unless a use within {@link
   * #TOUCH_INTERVAL} is recorded already. The check is the UPDATE's own condition, not a read
   * before it: two replicas (or two requests) touching the same token at once cannot both
   * write inside one interval, nor can a late write move the time backwards. This replica's own
   * memory of its last write spares the database the statement in between.
   *
   * @return whether a row was written
   */
  boolean touch(String id, Instant now) {
    Instant mine = written.get(id);
    if (mine != null && now.isBefore(mine.plus(TOUCH_INTERVAL))) {
      return false;
    }
    written.put(id, now);
    if (written.size() > 100_000) {
      written.clear(); // a bound on memory; the database's condition still holds
    }
    return jdbc.sql("UPDATE api_tokens SET last_used_at = ? WHERE id = ?"
            + " AND (last_used_at IS NULL OR last_used_at <= ?)")
        .params(UserStore.utc(now), id, UserStore.utc(now.minus(TOUCH_INTERVAL)))
        .update() == 1;
  }

  private final java.util.concurrent.ConcurrentMap<String, Instant> written =
      new java.util.concurrent.ConcurrentHashMap<>();

  void revoke(String id, Instant now) {
    jdbc.sql("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
        .params(UserStore.utc(now), id).update();
  }

  /** Revokes every live token of the user but {@code keepId}; returns how many. */
  int revokeAllBut(long userId, String keepId, Instant now) {
    return jdbc.sql("UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND id <> ?"
            + " AND revoked_at IS NULL")
        .params(UserStore.utc(now), userId, keepId == null ? "" : keepId).update();
  }

  private static Token token(ResultSet rs) throws SQLException {
    OffsetDateTime revoked = rs.getObject("revoked_at", OffsetDateTime.class);
    OffsetDateTime used = rs.getObject("last_used_at", OffsetDateTime.class);
    return new Token(rs.getString("id"), rs.getLong("user_id"), rs.getString("username"),
        rs.getString("name"), rs.getObject("created_at", OffsetDateTime.class).toInstant(),
        rs.getObject("expires_at", OffsetDateTime.class).toInstant(),
        revoked == null ? null : revoked.toInstant(), used == null ? null : used.toInstant());
  }

  static String sha256(String s) {
    return Sha256.hex(s.getBytes(StandardCharsets.US_ASCII));
  }
}
