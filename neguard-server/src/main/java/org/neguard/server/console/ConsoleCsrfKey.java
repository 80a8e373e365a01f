package org.neguard.server.console;

import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import javax.crypto.spec.SecretKeySpec;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.ReasonCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The HMAC-SHA256 key of the login form's signed CSRF cookie ({@link ConsoleCsrfTokens}), kept in
 * the server's database (table {@code console_keys}, migration V18) rather than drawn by each
 * process: behind a load balancer the login page may come from one replica and its form go to
 * another, and before login there is no session cookie for the balancer to be sticky on.
 *
 * <p>Read once, when first needed: the first replica to need it inserts a random key with {@code
 * ON CONFLICT DO NOTHING} and every replica then reads the one row back, so two replicas that
 * start at once agree. A failed read is not remembered (the next request tries again) and never
 * replaced by a key of this process's own: a replica with its own key would refuse the other
 * replicas' forms at random, which is the fault this class exists to remove. The embedded
 * database is one process's anyway; the key lives there the same way.
 *
 * <p>Thread-safe.
 */
@Component
final class ConsoleCsrfKey {
  /** The row's {@code purpose}: one key, no versions (rotation is deleting the row). */
  static final String PURPOSE = "csrf-hmac";
  static final int BYTES = 32;
  private static final Logger LOG = LoggerFactory.getLogger(ConsoleCsrfKey.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final JdbcClient jdbc;
  private volatile SecretKeySpec key;

  ConsoleCsrfKey(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  /**
   * The key, read from the database on first use.
   *
   * @throws ApiException {@code IO_ERROR} when it cannot be read or is not a key: the console
   *     then lets no one log in, rather than sign with a key the other replicas do not share
   */
  SecretKeySpec key() {
    SecretKeySpec k = key;
    if (k != null) {
      return k;
    }
    synchronized (this) {
      if (key == null) {
        key = load();
      }
      return key;
    }
  }

  private SecretKeySpec load() {
    List<byte[]> stored;
    try {
      byte[] fresh = new byte[BYTES];
      RANDOM.nextBytes(fresh);
      jdbc.sql("INSERT INTO console_keys (purpose, secret, created_at) VALUES (?, ?, ?)"
              + " ON CONFLICT DO NOTHING")
          .params(PURPOSE, fresh, OffsetDateTime.now(ZoneOffset.UTC)).update();
      stored = jdbc.sql("SELECT secret FROM console_keys WHERE purpose = ?").param(PURPOSE)
          .query(byte[].class).list();
    } catch (DataAccessException e) {
      // The cause only, no stack: while the database is away every login page would add one.
      LOG.error("the console's login key could not be read from table console_keys: {}",
          e.getMostSpecificCause().toString());
      throw unavailable("could not be read from the server's database (table console_keys)",
          "see the server's log for the database's error and mend it");
    }
    if (stored.size() != 1 || stored.get(0) == null || stored.get(0).length != BYTES) {
      String found = stored.isEmpty() || stored.get(0) == null ? "missing"
          : stored.get(0).length + " bytes, not " + BYTES;
      LOG.error("the console's login key in table console_keys (purpose {}) is {}", PURPOSE,
          found);
      throw unavailable("in table console_keys (purpose '" + PURPOSE + "') is " + found,
          "delete that row and restart the replicas to make a new key");
    }
    return new SecretKeySpec(stored.get(0), "HmacSHA256");
  }

  private static ApiException unavailable(String why, String todo) {
    return ApiException.of(ReasonCode.IO_ERROR, "the console cannot check login forms: its key "
        + why + ". No one can log in to the console until this is mended: " + todo
        + "; then reload the login page");
  }
}
