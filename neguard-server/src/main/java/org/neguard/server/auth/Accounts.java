package org.neguard.server.auth;

import io.micrometer.core.instrument.MeterRegistry;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.ReasonCode;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Accounts, roles, passwords and tokens (SRC-1), each change recorded in the audit log in the
 * same transaction (SRC-3). Passwords are hashed with Argon2id; tokens are shown once and kept
 * as SHA-256. Thread-safe.
 */
@Component
public final class Accounts {
  static final Pattern USERNAME = Pattern.compile("[a-z][a-z0-9._-]{1,63}");
  static final int MIN_PASSWORD = 12;
  static final int MAX_PASSWORD = 256;
  static final Duration DEFAULT_TOKEN_TTL = Duration.ofHours(12);
  static final Duration MAX_TOKEN_TTL = Duration.ofDays(366);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

  private final UserStore users;
  private final TokenStore tokens;
  private final PasswordEncoder passwords;
  private final AuditLog audit;
  private final TransactionTemplate tx;
  private final LoginThrottle throttle = new LoginThrottle();
  private final Clock clock = Clock.tickMillis(java.time.ZoneOffset.UTC);
  private final String dummyHash;

  private final MeterRegistry metrics;

  Accounts(UserStore users, TokenStore tokens, PasswordEncoder passwords, AuditLog audit,
      PlatformTransactionManager transactions, MeterRegistry metrics) {
    this.metrics = metrics;
    this.users = users;
    this.tokens = tokens;
    this.passwords = passwords;
    this.audit = audit;
    this.tx = new TransactionTemplate(transactions);
    // Unknown names cost one hash too, so response time does not tell which names exist.
    this.dummyHash = passwords.encode(randomPassword());
  }

  /** A user as the API shows it. */
  public record UserView(String username, Set<Role> roles, boolean disabled, Instant createdAt) {}

  /** A token as the API shows it; {@code token} is set only when it is issued. */
  public record TokenView(String id, String username, String name, Instant createdAt,
      Instant expiresAt, Instant revokedAt, String token) {}

  /** A created user; {@code password} is set when the server generated it. */
  public record Created(UserView user, String password) {}

  /**
   * Checks a password and issues a token.
   *
   * @throws ApiException 400 for a malformed request, 401 for a wrong name or password or a
   *     disabled account (the same answer for each), 429 when throttled
   */
  TokenView login(String username, String password, String tokenName, Long ttlHours,
      String remote) {
    if (username == null || password == null) {
      throw ApiException.badInput("give username and password");
    }
    Duration ttl = ttl(ttlHours);
    String name = tokenName(tokenName == null ? "login" : tokenName);
    Instant now = clock.instant();
    long addressWait = throttle.addressWait(remote, now);
    if (addressWait > 0) {
      audit.append(AuditEvent.denied(username, "LOGIN", "user " + username,
          "THROTTLED: too many failed logins from " + remote));
      logins("throttled");
      throw ApiException.of(429, ReasonCode.NOT_AUTHENTICATED,
          "too many failed logins from this address; try again in " + addressWait + " s");
    }
    UserStore.User user = users.find(username).orElse(null);
    if (user != null && user.lockedUntil() != null && user.lockedUntil().isAfter(now)) {
      long wait = Math.max(1, Duration.between(now, user.lockedUntil()).toSeconds());
      audit.append(AuditEvent.denied(username, "LOGIN", "user " + username,
          "THROTTLED: account locked after " + user.failedLogins() + " failed logins"));
      logins("throttled");
      throw ApiException.of(429, ReasonCode.NOT_AUTHENTICATED,
          "too many failed logins for '" + username + "'; try again in " + wait + " s");
    }
    boolean matches = passwords.matches(password, user == null ? dummyHash : user.passwordHash());
    if (user == null || !matches || user.disabled()) {
      throttle.addressFailed(remote, now);
      String why = user == null ? "no such user" : !matches ? "wrong password" : "user disabled";
      if (user != null && !matches) {
        int failures = user.failedLogins() + 1;
        Duration lock = LoginThrottle.lockFor(failures);
        users.recordFailure(user.id(), failures, lock.isZero() ? null : now.plus(lock));
        if (!lock.isZero()) {
          why += "; account locked for " + lock.toSeconds() + " s";
        }
      }
      audit.append(AuditEvent.failure(printable(username), "LOGIN", "user " + printable(username),
          "NOT_AUTHENTICATED: " + why));
      logins("failure");
      throw ApiException.of(401, ReasonCode.NOT_AUTHENTICATED,
          "wrong user name or password, or the account is disabled");
    }
    logins("success");
    return tx.execute(s -> {
      users.clearFailures(user.id());
      TokenStore.Issued issued = tokens.issue(user.id(), user.username(), name, now, now.plus(ttl));
      audit.append(AuditEvent.success(user.username(), "LOGIN", "user " + user.username(),
          "token " + issued.token().id() + " issued, expires " + issued.token().expiresAt()));
      return view(issued.token(), issued.secret());
    });
  }

  private void logins(String outcome) {
    metrics.counter("neguard.logins", "outcome", outcome).increment();
  }

  /**
   * The user an API token belongs to.
   *
   * @throws ApiException 401 with what is wrong with the token
   */
  CurrentUser authenticate(String raw) {
    TokenStore.Token t = tokens.authenticate(raw).orElse(null);
    Instant now = clock.instant();
    String problem = null;
    if (t == null) {
      problem = "the token is not valid";
    } else if (t.revokedAt() != null) {
      problem = "the token was revoked";
    } else if (!t.expiresAt().isAfter(now)) {
      problem = "the token expired at " + t.expiresAt();
    }
    UserStore.User u = t == null ? null : users.find(t.userId()).orElse(null);
    if (problem == null && (u == null || u.disabled())) {
      problem = "the token's user is disabled";
    }
    if (problem != null) {
      String target = t == null ? "token (unknown)" : "token " + t.id();
      audit.append(AuditEvent.denied(t == null ? "anonymous" : t.username(), "AUTHENTICATE",
          target, "NOT_AUTHENTICATED: " + problem));
      throw ApiException.of(401, ReasonCode.NOT_AUTHENTICATED,
          problem + "; log in again with 'neguard login'");
    }
    return new CurrentUser(u.id(), u.username(), u.roles(), t.id());
  }

  /** Creates a user; generates a password when none is given. */
  Created createUser(CurrentUser actor, String username, String password, Set<Role> roles) {
    checkUsername(username);
    if (roles == null || roles.isEmpty()) {
      throw ApiException.badInput("give at least one role for user '" + username + "'");
    }
    String generated = password == null ? randomPassword() : null;
    String pw = password == null ? generated : password;
    checkPassword(pw);
    String hash = passwords.encode(pw);
    Instant now = clock.instant();
    try {
      tx.executeWithoutResult(s -> {
        users.create(username, hash, roles, now);
        audit.append(AuditEvent.success(actor.username(), "USER_CREATE", "user " + username,
            "roles " + Role.ids(roles)));
      });
    } catch (DuplicateKeyException e) {
      audit.append(AuditEvent.failure(actor.username(), "USER_CREATE", "user " + username,
          "CONFLICT: the user exists"));
      throw ApiException.of(409, ReasonCode.CONFLICT, "user '" + username + "' already exists");
    }
    return new Created(new UserView(username, roles, false, now), generated);
  }

  /** First start: an admin when there is no user at all; returns false when users exist. */
  boolean bootstrapAdmin(String username, String password) {
    checkPassword(password);
    String hash = passwords.encode(password);
    try {
      return Boolean.TRUE.equals(tx.execute(s -> {
        if (users.count() > 0) {
          return false;
        }
        users.create(username, hash, Set.of(Role.ADMIN), clock.instant());
        audit.append(AuditEvent.success("system", "USER_CREATE", "user " + username,
            "first start: initial administrator, roles admin"));
        return true;
      }));
    } catch (DuplicateKeyException e) {
      return false; // another replica bootstrapped at the same moment
    }
  }

  void setDisabled(CurrentUser actor, String username, boolean disabled) {
    UserStore.User u = existing(username);
    if (disabled && u.id() == actor.id()) {
      throw ApiException.badInput("you cannot disable yourself; ask another admin");
    }
    tx.executeWithoutResult(s -> {
      users.setDisabled(u.id(), disabled);
      audit.append(AuditEvent.success(actor.username(), disabled ? "USER_DISABLE" : "USER_ENABLE",
          "user " + username, ""));
    });
  }

  void setRoles(CurrentUser actor, String username, Set<Role> roles) {
    UserStore.User u = existing(username);
    if (roles == null || roles.isEmpty()) {
      throw ApiException.badInput("give at least one role; disable the user to take all access");
    }
    if (u.id() == actor.id() && !roles.contains(Role.ADMIN)) {
      throw ApiException.badInput("you cannot drop your own admin role; ask another admin");
    }
    tx.executeWithoutResult(s -> {
      users.setRoles(u.id(), roles);
      audit.append(AuditEvent.success(actor.username(), "USER_ROLES", "user " + username,
          "roles " + Role.ids(u.roles()) + " -> " + Role.ids(roles)));
    });
  }

  void changePassword(CurrentUser actor, String oldPassword, String newPassword) {
    UserStore.User u = existing(actor.username());
    if (oldPassword == null || !passwords.matches(oldPassword, u.passwordHash())) {
      audit.append(AuditEvent.failure(actor.username(), "PASSWORD_CHANGE",
          "user " + actor.username(), "NOT_AUTHENTICATED: wrong current password"));
      throw ApiException.of(403, ReasonCode.NOT_AUTHORIZED, "the current password is wrong");
    }
    checkPassword(newPassword);
    String hash = passwords.encode(newPassword);
    tx.executeWithoutResult(s -> {
      users.setPassword(u.id(), hash);
      audit.append(AuditEvent.success(actor.username(), "PASSWORD_CHANGE",
          "user " + actor.username(), ""));
    });
  }

  List<UserView> users() {
    return users.list().stream()
        .map(u -> new UserView(u.username(), u.roles(), u.disabled(), u.createdAt()))
        .toList();
  }

  TokenView issueToken(CurrentUser actor, String name, Long ttlHours) {
    Duration ttl = ttl(ttlHours);
    String n = tokenName(name == null ? "api" : name);
    Instant now = clock.instant();
    return tx.execute(s -> {
      TokenStore.Issued issued = tokens.issue(actor.id(), actor.username(), n, now, now.plus(ttl));
      audit.append(AuditEvent.success(actor.username(), "TOKEN_ISSUE",
          "token " + issued.token().id(), "name '" + n + "', expires " + now.plus(ttl)));
      return view(issued.token(), issued.secret());
    });
  }

  void revokeToken(CurrentUser actor, String id) {
    TokenStore.Token t = tokens.find(id == null ? "" : id)
        .filter(x -> x.userId() == actor.id() || actor.has(Role.ADMIN))
        .orElseThrow(() -> ApiException.notFound("no token '" + id + "' of yours"));
    tx.executeWithoutResult(s -> {
      tokens.revoke(t.id(), clock.instant());
      audit.append(AuditEvent.success(actor.username(), "TOKEN_REVOKE", "token " + t.id(),
          "of user " + t.username()));
    });
  }

  List<TokenView> tokens(CurrentUser actor, boolean all) {
    if (all && !(actor.has(Role.ADMIN) || actor.has(Role.AUDITOR))) {
      throw ApiException.of(403, ReasonCode.NOT_AUTHORIZED,
          "listing every user's tokens needs the admin or auditor role");
    }
    return tokens.list(all ? null : actor.id()).stream().map(t -> view(t, null)).toList();
  }

  private UserStore.User existing(String username) {
    return users.find(username == null ? "" : username)
        .orElseThrow(() -> ApiException.notFound("no user '" + printable(username) + "'"));
  }

  private static TokenView view(TokenStore.Token t, String secret) {
    return new TokenView(t.id(), t.username(), t.name(), t.createdAt(), t.expiresAt(),
        t.revokedAt(), secret);
  }

  private static Duration ttl(Long hours) {
    if (hours == null) {
      return DEFAULT_TOKEN_TTL;
    }
    if (hours < 1 || hours > MAX_TOKEN_TTL.toHours()) {
      throw ApiException.badInput(
          "ttlHours not in 1.." + MAX_TOKEN_TTL.toHours() + ": " + hours);
    }
    return Duration.ofHours(hours);
  }

  private static String tokenName(String name) {
    if (name.isBlank() || name.length() > 128 || name.chars().anyMatch(Character::isISOControl)) {
      throw ApiException.badInput("token name must be 1 to 128 printable characters");
    }
    return name;
  }

  static void checkUsername(String username) {
    if (username == null || !USERNAME.matcher(username).matches()) {
      throw ApiException.badInput("user name '" + printable(username) + "' does not match "
          + USERNAME.pattern() + " (lower case, 2 to 64 characters)");
    }
  }

  static void checkPassword(String password) {
    if (password == null || password.length() < MIN_PASSWORD
        || password.length() > MAX_PASSWORD) {
      throw ApiException.badInput(
          "password must have " + MIN_PASSWORD + " to " + MAX_PASSWORD + " characters");
    }
  }

  /** A value safe to show in a message: control characters escaped, length bounded. */
  static String printable(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder();
    s.codePoints().limit(80).forEach(c -> {
      if (Character.isISOControl(c)) {
        b.append(String.format("\\u%04x", c));
      } else {
        b.appendCodePoint(c);
      }
    });
    return s.length() > 80 ? b + "..." : b.toString();
  }

  static String randomPassword() {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 24; i++) {
      b.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return b.toString();
  }
}
