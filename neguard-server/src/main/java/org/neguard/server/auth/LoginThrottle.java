package org.neguard.server.auth;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Slows down password guessing (SRC-1), in the database so that it holds across restarts and
 * replicas. Per account: after {@link #FREE_FAILURES} consecutive failures the account is locked
 * for 30 s, doubling with each further failure up to 15 min; a success clears it. Per client
 * address: at most {@link #ADDRESS_FAILURES} failures in 10 minutes, whatever the names tried.
 *
 * <p>Both budgets are charged <em>before</em> a password is checked, each by one conditional
 * UPDATE, and given back on success: a read-hash-write would let parallel guesses all read the
 * same count and overwrite each other, so N parallel guesses must cost N. Thread-safe.
 */
@Component
final class LoginThrottle {
  static final int FREE_FAILURES = 5;
  static final int ADDRESS_FAILURES = 20;
  private static final Duration FIRST_LOCK = Duration.ofSeconds(30);
  private static final Duration MAX_LOCK = Duration.ofMinutes(15);
  private static final Duration WINDOW = Duration.ofMinutes(10);
  private static final int MAX_ADDRESS = 64;

  /**
   * An attempt on an account.
   *
   * @param allowed false when the account was locked, so nothing was charged
   * @param failures consecutive failures counted, this attempt included when allowed
   * @param lockedUntil the lock that holds if this attempt fails, or null
   */
  record Attempt(boolean allowed, int failures, Instant lockedUntil) {}

  private final JdbcClient jdbc;
  private final TransactionTemplate tx;

  LoginThrottle(JdbcClient jdbc, PlatformTransactionManager transactions) {
    this.jdbc = jdbc;
    this.tx = new TransactionTemplate(transactions);
  }

  /** How long the account stays locked after its {@code failures}-th consecutive failure. */
  static Duration lockFor(int failures) {
    if (failures < FREE_FAILURES) {
      return Duration.ZERO;
    }
    int doublings = Math.min(failures - FREE_FAILURES, 10);
    Duration d = FIRST_LOCK.multipliedBy(1L << doublings);
    return d.compareTo(MAX_LOCK) > 0 ? MAX_LOCK : d;
  }

  /**
   * Charges one failure to the account unless it is locked, and sets the lock this failure would
   * earn at once: a parallel attempt then finds the account locked rather than racing past it.
   * A success gives it back with {@link #clearAccount}.
   */
  Attempt reserveAccount(long userId, Instant now) {
    // The lock depends on the new count, which only the UPDATE knows: one CASE branch per
    // doubling, ending at the longest lock.
    StringBuilder lock = new StringBuilder("CASE WHEN failed_logins + 1 < " + FREE_FAILURES
        + " THEN NULL");
    List<Object> params = new ArrayList<>();
    int n = FREE_FAILURES;
    while (lockFor(n).compareTo(MAX_LOCK) < 0) {
      lock.append(" WHEN failed_logins + 1 = ").append(n).append(" THEN ?");
      params.add(UserStore.utc(now.plus(lockFor(n))));
      n++;
    }
    lock.append(" ELSE ? END");
    params.add(UserStore.utc(now.plus(MAX_LOCK)));
    params.add(userId);
    params.add(UserStore.utc(now));
    return tx.execute(s -> {
      int updated = jdbc.sql("UPDATE users SET failed_logins = failed_logins + 1, locked_until = "
              + lock + " WHERE id = ? AND (locked_until IS NULL OR locked_until <= ?)")
          .params(params)
          .update();
      // In the same transaction: the row lock taken by the UPDATE makes this read our count.
      Attempt state = jdbc.sql("SELECT failed_logins, locked_until FROM users WHERE id = ?")
          .param(userId)
          .query((rs, i) -> {
            OffsetDateTime t = rs.getObject(2, OffsetDateTime.class);
            return new Attempt(true, rs.getInt(1), t == null ? null : t.toInstant());
          })
          .single();
      return new Attempt(updated == 1, state.failures(), state.lockedUntil());
    });
  }

  /** A success, or an admin's unlock: the account starts again from no failure. */
  void clearAccount(long userId) {
    jdbc.sql("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?")
        .param(userId).update();
  }

  /**
   * Charges one attempt to the client address, unless it has used its budget in the current
   * window.
   *
   * @return 0 when charged, else the seconds until the window ends
   */
  long reserveAddress(String address, Instant now) {
    String a = address(address);
    OffsetDateTime floor = UserStore.utc(now.minus(WINDOW));
    for (int round = 0; round < 3; round++) {
      int updated = jdbc.sql("UPDATE login_addresses SET"
              + " attempts = CASE WHEN window_start <= ? THEN 1 ELSE attempts + 1 END,"
              + " window_start = CASE WHEN window_start <= ? THEN ? ELSE window_start END"
              + " WHERE address = ? AND (window_start <= ? OR attempts < ?)")
          .params(floor, floor, UserStore.utc(now), a, floor, ADDRESS_FAILURES)
          .update();
      if (updated == 1) {
        return 0;
      }
      Optional<OffsetDateTime> start =
          jdbc.sql("SELECT window_start FROM login_addresses WHERE address = ?").param(a)
              .query(OffsetDateTime.class).optional();
      if (start.isPresent()) {
        Instant end = start.get().toInstant().plus(WINDOW);
        return Math.max(1, Duration.between(now, end).toSeconds());
      }
      try {
        jdbc.sql("DELETE FROM login_addresses WHERE window_start <= ?").param(floor).update();
        jdbc.sql("INSERT INTO login_addresses (address, window_start, attempts) VALUES (?, ?, 1)")
            .params(a, UserStore.utc(now)).update();
        return 0;
      } catch (DuplicateKeyException e) {
        // a parallel attempt from the same address created the row first: charge that one
      }
    }
    return 1; // fail closed: still contended after three rounds
  }

  /** Gives back the attempt a successful login charged to its address. */
  void releaseAddress(String address) {
    jdbc.sql("UPDATE login_addresses SET attempts = attempts - 1 WHERE address = ?"
            + " AND attempts > 0")
        .param(address(address)).update();
  }

  private static String address(String address) {
    String a = address == null || address.isEmpty() ? "-" : address;
    return a.length() > MAX_ADDRESS ? a.substring(0, MAX_ADDRESS) : a;
  }
}
