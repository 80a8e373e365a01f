package org.neguard.server.auth;

import io.micrometer.core.instrument.MeterRegistry;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.neguard.api.WireTime;
import org.neguard.api.auth.CreatedUser;
import org.neguard.api.auth.Role;
import org.neguard.api.auth.RoleName;
import org.neguard.api.auth.Token;
import org.neguard.api.auth.User;
import org.neguard.server.access.CurrentUser;
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
  private final LoginThrottle throttle;
  private final Clock clock = Clock.tickMillis(java.time.ZoneOffset.UTC);
  private final String dummyHash;

  private final MeterRegistry metrics;

  Accounts(UserStore users, TokenStore tokens, LoginThrottle throttle, PasswordEncoder passwords,
      AuditLog audit, PlatformTransactionManager transactions, MeterRegistry metrics) {
    this.throttle = throttle;
    this.metrics = metrics;
    this.users = users;
    this.tokens = tokens;
    this.passwords = passwords;
    this.audit = audit;
    this.tx = new TransactionTemplate(transactions);
    // Unknown names cost one hash too, so response time does not tell which names exist.
    this.dummyHash = passwords.encode(randomPassword());
  }

  /**
   * Checks a password and issues a token.
   *
   * @throws ApiException 400 for a malformed request, 401 for a wrong name or password, a
   *     disabled or a locked account (the same answer for each), 429 when the client address
   *     has used its budget
   */
  Token login(String username, String password, String tokenName, Long ttlHours,
      String remote) {
    if (username == null || password == null) {
      throw ApiException.badInput("give username and password");
    }
    Duration ttl = ttl(ttlHours);
    String name = tokenName(tokenName == null ? "login" : tokenName);
    Instant now = clock.instant();
    UserStore.User user = checkPassword(username, password, remote, now);
    return tx.execute(s -> {
      throttle.clearAccount(user.id());
      throttle.releaseAddress(remote);
      TokenStore.Issued issued = tokens.issue(user.id(), user.username(), name, now, now.plus(ttl));
      audit.append(AuditEvent.success(user.username(), "LOGIN", "user " + user.username(),
          "token " + issued.token().id() + " issued, expires " + issued.token().expiresAt()));
      return view(issued.token(), issued.secret());
    });
  }

  /**
   * Checks a password for a console session (issue 18): throttled, answered and recorded as
   * {@link #login} does, but no token is issued; the session is the console's credential.
   *
   * @throws ApiException 401 for a wrong name or password, a disabled or a locked account, 429
   *     when the client address has used its budget
   */
  public CurrentUser sessionLogin(String username, String password, String remote) {
    if (username == null || password == null) {
      throw ApiException.of(ReasonCode.NOT_AUTHENTICATED, "give user name and password");
    }
    Instant now = clock.instant();
    UserStore.User user = checkPassword(username, password, remote, now);
    tx.executeWithoutResult(s -> {
      throttle.clearAccount(user.id());
      throttle.releaseAddress(remote);
      audit.append(AuditEvent.success(user.username(), "LOGIN", "user " + user.username(),
          "console session started"));
    });
    return new CurrentUser(user.id(), user.username(), user.roles(), null);
  }

  /**
   * The user of a console session as the database has it now, or empty when the account is gone
   * or disabled: a session's roles follow the account's, as a token's do.
   */
  public java.util.Optional<CurrentUser> sessionUser(long id) {
    return users.find(id).filter(u -> !u.disabled())
        .map(u -> new CurrentUser(u.id(), u.username(), u.roles(), null));
  }

  /** The stored user whose password this is, after the address and account budgets. */
  private UserStore.User checkPassword(String username, String password, String remote,
      Instant now) {
    addressBudget(username, "LOGIN", remote, now);
    UserStore.User user = users.find(username).orElse(null);
    LoginThrottle.Attempt attempt = user == null ? null : throttle.reserveAccount(user.id(), now);
    boolean locked = attempt != null && !attempt.allowed();
    // A locked account costs the same hash and gets the same answer as a wrong password, so
    // that neither the answer nor its timing tells which names exist.
    boolean matches = passwords.matches(password,
        user == null || locked ? dummyHash : user.passwordHash());
    if (user == null || locked || !matches || user.disabled()) {
      String why;
      if (locked) {
        why = "THROTTLED: account locked after " + attempt.failures() + " failed logins, until "
            + attempt.lockedUntil();
      } else {
        why = "NOT_AUTHENTICATED: "
            + (user == null ? "no such user" : !matches ? "wrong password" : "user disabled");
        if (user != null && attempt.lockedUntil() != null) {
          why += "; account locked until " + attempt.lockedUntil() + " after "
              + attempt.failures() + " failed logins";
        }
      }
      audit.append(locked
          ? AuditEvent.denied(username, "LOGIN", "user " + username, why)
          : AuditEvent.failure(username, "LOGIN", "user " + username, why));
      logins(locked ? "throttled" : "failure");
      throw ApiException.of(ReasonCode.NOT_AUTHENTICATED,
          "wrong user name or password, or the account is disabled or locked after failed"
              + " logins; check them, wait a few minutes, or ask an admin");
    }
    logins("success");
    return user;
  }

  /** Charges one password check to the client address, or refuses 429 when it has none left. */
  private void addressBudget(String username, String action, String remote, Instant now) {
    long wait = throttle.reserveAddress(remote, now);
    if (wait > 0) {
      audit.append(AuditEvent.denied(username, action, "user " + username,
          "THROTTLED: too many failed password checks from " + remote));
      logins("throttled");
      throw ApiException.throttled(
          "too many failed password checks from this address; try again in " + wait + " s");
    }
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
      throw ApiException.of(ReasonCode.NOT_AUTHENTICATED,
          problem + "; log in again with 'neguard login'");
    }
    // When it was last used, for the users page and 'neguard user token list': at most one
    // write a minute per token (TokenStore.touch).
    tokens.touch(t.id(), now);
    return new CurrentUser(u.id(), u.username(), u.roles(), t.id());
  }

  /** Creates a user; generates a password when none is given. */
  CreatedUser createUser(CurrentUser actor, String username, String password, Set<Role> roles) {
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
      throw ApiException.of(ReasonCode.CONFLICT, "user '" + username + "' already exists");
    }
    return new CreatedUser(view(username, roles, false, now), generated);
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
      if (!disabled) {
        throttle.clearAccount(u.id());
      }
      audit.append(AuditEvent.success(actor.username(), disabled ? "USER_DISABLE" : "USER_ENABLE",
          "user " + username, disabled ? "" : "login lock cleared ("
              + u.failedLogins() + " failed logins)"));
    });
  }

  /**
   * The way back in for an account locked on purpose when no admin can log in: the operator
   * names it when starting the server ({@code NEGUARD_UNLOCK_USER}); recorded as the system's.
   */
  boolean unlockAtStart(String username) {
    UserStore.User u = users.find(username == null ? "" : username).orElse(null);
    if (u == null) {
      return false;
    }
    tx.executeWithoutResult(s -> {
      throttle.clearAccount(u.id());
      audit.append(AuditEvent.success("system", "USER_UNLOCK", "user " + username,
          "login lock cleared at start by NEGUARD_UNLOCK_USER (" + u.failedLogins()
              + " failed logins)"));
    });
    return true;
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

  /**
   * Changes the caller's password, throttled like a login (a wrong current password is a failed
   * guess on the same account counter), and ends every other token of the user, so that a token
   * taken before the change stops working with it.
   */
  void changePassword(CurrentUser actor, String oldPassword, String newPassword, String remote) {
    UserStore.User u = existing(actor.username());
    checkPassword(newPassword);
    Instant now = clock.instant();
    addressBudget(actor.username(), "PASSWORD_CHANGE", remote, now);
    LoginThrottle.Attempt attempt = throttle.reserveAccount(u.id(), now);
    if (!attempt.allowed()) {
      passwords.matches(oldPassword == null ? "" : oldPassword, dummyHash);
      audit.append(AuditEvent.denied(actor.username(), "PASSWORD_CHANGE",
          "user " + actor.username(), "THROTTLED: account locked after " + attempt.failures()
              + " failed password checks, until " + attempt.lockedUntil()));
      logins("throttled");
      long wait = Math.max(1, Duration.between(now, attempt.lockedUntil()).toSeconds());
      throw ApiException.throttled(
          "too many wrong passwords for your account; try again in " + wait + " s");
    }
    if (oldPassword == null || !passwords.matches(oldPassword, u.passwordHash())) {
      audit.append(AuditEvent.failure(actor.username(), "PASSWORD_CHANGE",
          "user " + actor.username(), "NOT_AUTHENTICATED: wrong current password"
              + (attempt.lockedUntil() == null ? ""
                  : "; account locked until " + attempt.lockedUntil())));
      throw ApiException.of(ReasonCode.NOT_AUTHORIZED,
          "the current password is wrong; give the password you log in with");
    }
    String hash = passwords.encode(newPassword);
    tx.executeWithoutResult(s -> {
      users.setPassword(u.id(), hash);
      throttle.clearAccount(u.id());
      throttle.releaseAddress(remote);
      int ended = tokens.revokeAllBut(u.id(), actor.tokenId(), now);
      audit.append(AuditEvent.success(actor.username(), "PASSWORD_CHANGE",
          "user " + actor.username(), ended + " other token(s) revoked"));
    });
  }

  public List<User> users() {
    return users.list().stream()
        .map(u -> view(u.username(), u.roles(), u.disabled(), u.createdAt()))
        .toList();
  }

  /**
   * Issues a token to a signed-in user. It never outlives the token used to ask: its expiry is
   * cut to that one's, so a stolen token cannot become lasting access; only a password login
   * starts a new lifetime.
   */
  Token issueToken(CurrentUser actor, String name, Long ttlHours) {
    Duration ttl = ttl(ttlHours);
    String n = tokenName(name == null ? "api" : name);
    Instant now = clock.instant();
    Instant cap = tokens.find(actor.tokenId() == null ? "" : actor.tokenId())
        .map(TokenStore.Token::expiresAt)
        .orElseThrow(() -> ApiException.of(ReasonCode.NOT_AUTHENTICATED,
            "the token of this request is gone; log in again with 'neguard login'"));
    // Capped rather than refused: a script that logs in for an hour and then asks for an hour
    // would otherwise fail by the milliseconds in between. The answer shows the real expiry.
    boolean capped = now.plus(ttl).isAfter(cap);
    Instant expires = capped ? cap : now.plus(ttl);
    Instant expiresAt = expires;
    return tx.execute(s -> {
      TokenStore.Issued issued = tokens.issue(actor.id(), actor.username(), n, now, expiresAt);
      audit.append(AuditEvent.success(actor.username(), "TOKEN_ISSUE",
          "token " + issued.token().id(), "name '" + n + "', expires " + expiresAt
              + (capped ? " (capped at the expiry of token " : " (minted with token ")
              + actor.tokenId() + ")"));
      return view(issued.token(), issued.secret());
    });
  }

  public void revokeToken(CurrentUser actor, String id) {
    TokenStore.Token t = tokens.find(id == null ? "" : id).orElse(null);
    if (t == null || !(t.userId() == actor.id() || actor.has(Role.ADMIN))) {
      // Another user's token answers as a missing one, so ids cannot be probed; the log knows.
      audit.append(AuditEvent.denied(actor.username(), "TOKEN_REVOKE",
          "token " + (id == null ? "" : id), t == null ? "BAD_INPUT: no such token"
              : "NOT_AUTHORIZED: token of user " + t.username() + ", revoking it needs admin"));
      throw ApiException.notFound("no token '" + id + "' of yours");
    }
    tx.executeWithoutResult(s -> {
      tokens.revoke(t.id(), clock.instant());
      audit.append(AuditEvent.success(actor.username(), "TOKEN_REVOKE", "token " + t.id(),
          "of user " + t.username()));
    });
  }

  public List<Token> tokens(CurrentUser actor, boolean all) {
    if (all && !(actor.has(Role.ADMIN) || actor.has(Role.AUDITOR))) {
      audit.append(AuditEvent.denied(actor.username(), "ACCESS", "GET /api/tokens?all=true",
          "NOT_AUTHORIZED: listing every user's tokens needs admin or auditor"));
      throw ApiException.of(ReasonCode.NOT_AUTHORIZED,
          "listing every user's tokens needs the admin or auditor role");
    }
    return tokens.list(all ? null : actor.id()).stream().map(t -> view(t, null)).toList();
  }

  private UserStore.User existing(String username) {
    return users.find(username == null ? "" : username)
        .orElseThrow(() -> ApiException.notFound("no user '" + printable(username) + "'"));
  }

  private static Token view(TokenStore.Token t, String secret) {
    return new Token(t.id(), t.username(), t.name(), WireTime.of(t.createdAt()),
        WireTime.of(t.expiresAt()), WireTime.of(t.revokedAt()), WireTime.of(t.lastUsedAt()),
        secret);
  }

  private static User view(String username, Set<Role> roles, boolean disabled, Instant created) {
    return new User(username, RoleName.of(roles.stream().sorted().toList()), disabled,
        WireTime.of(created));
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
