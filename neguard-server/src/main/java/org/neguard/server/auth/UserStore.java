package org.neguard.server.auth;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.neguard.api.auth.Role;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.stereotype.Component;

/** Accounts and their roles, in the database. Plain JDBC, bound parameters only. Thread-safe. */
@Component
final class UserStore {
  /** A stored account. */
  record User(long id, String username, String passwordHash, boolean disabled, Instant createdAt,
      int failedLogins, Instant lockedUntil, Set<Role> roles) {
    User {
      roles = Set.copyOf(roles);
    }
  }

  private final JdbcClient jdbc;

  UserStore(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  Optional<User> find(String username) {
    return jdbc.sql("SELECT * FROM users WHERE username = ?").param(username)
        .query(this::row).optional().map(this::withRoles);
  }

  Optional<User> find(long id) {
    return jdbc.sql("SELECT * FROM users WHERE id = ?").param(id)
        .query(this::row).optional().map(this::withRoles);
  }

  List<User> list() {
    Map<Long, User> users = new LinkedHashMap<>();
    jdbc.sql("SELECT * FROM users ORDER BY username").query(this::row).list()
        .forEach(u -> users.put(u.id(), u));
    Map<Long, Set<Role>> roles = new LinkedHashMap<>();
    jdbc.sql("SELECT user_id, role FROM user_roles").query((rs, i) -> {
      roles.computeIfAbsent(rs.getLong(1), k -> EnumSet.noneOf(Role.class))
          .add(Role.valueOf(rs.getString(2)));
      return null;
    }).list();
    return users.values().stream()
        .map(u -> withRoles(u, roles.getOrDefault(u.id(), Set.of())))
        .toList();
  }

  long count() {
    return jdbc.sql("SELECT COUNT(*) FROM users").query(Long.class).single();
  }

  /** Inserts a user with its roles; the caller's transaction covers both. */
  long create(String username, String passwordHash, Set<Role> roles, Instant now) {
    GeneratedKeyHolder keys = new GeneratedKeyHolder();
    jdbc.sql("INSERT INTO users (username, password_hash, disabled, created_at, failed_logins)"
            + " VALUES (?, ?, FALSE, ?, 0)")
        .params(username, passwordHash, utc(now))
        .update(keys, "id");
    long id = keys.getKey().longValue();
    setRoles(id, roles);
    return id;
  }

  void setRoles(long id, Set<Role> roles) {
    jdbc.sql("DELETE FROM user_roles WHERE user_id = ?").param(id).update();
    for (Role r : roles) {
      jdbc.sql("INSERT INTO user_roles (user_id, role) VALUES (?, ?)").params(id, r.name())
          .update();
    }
  }

  void setDisabled(long id, boolean disabled) {
    jdbc.sql("UPDATE users SET disabled = ? WHERE id = ?").params(disabled, id).update();
  }

  void setPassword(long id, String passwordHash) {
    jdbc.sql("UPDATE users SET password_hash = ? WHERE id = ?").params(passwordHash, id).update();
  }

  private User row(ResultSet rs, int i) throws SQLException {
    OffsetDateTime locked = rs.getObject("locked_until", OffsetDateTime.class);
    return new User(
        rs.getLong("id"), rs.getString("username"), rs.getString("password_hash"),
        rs.getBoolean("disabled"), rs.getObject("created_at", OffsetDateTime.class).toInstant(),
        rs.getInt("failed_logins"), locked == null ? null : locked.toInstant(), Set.of());
  }

  private User withRoles(User u) {
    Set<Role> roles = EnumSet.noneOf(Role.class);
    jdbc.sql("SELECT role FROM user_roles WHERE user_id = ?").param(u.id())
        .query(String.class).list().forEach(r -> roles.add(Role.valueOf(r)));
    return withRoles(u, roles);
  }

  private static User withRoles(User u, Set<Role> roles) {
    return new User(u.id(), u.username(), u.passwordHash(), u.disabled(), u.createdAt(),
        u.failedLogins(), u.lockedUntil(), roles);
  }

  static OffsetDateTime utc(Instant t) {
    return t.atOffset(ZoneOffset.UTC);
  }
}
