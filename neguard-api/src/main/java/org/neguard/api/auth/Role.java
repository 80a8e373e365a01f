package org.neguard.api.auth;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What a user may do (SRC-1). A user may hold several roles; an endpoint of the server names
 * the roles it admits. On the wire a role is its lower-case {@link #id}.
 */
public enum Role {
  /** Manages accounts and roles. */
  ADMIN,
  /** Uploads packages. */
  PUBLISHER,
  /** Initiates deployments. */
  OPERATOR,
  /** Security officer: approves deployments. */
  APPROVER,
  /** Reads everything, changes nothing. */
  AUDITOR;

  /** The lower-case name used in the API and the CLI. */
  @JsonValue
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Role names, sorted, comma-separated: {@code admin,publisher}. */
  public static String ids(java.util.Collection<Role> roles) {
    return roles.stream().sorted().map(Role::id).collect(Collectors.joining(","));
  }

  /**
   * Parses a role name, case-insensitively.
   *
   * @throws IllegalArgumentException naming the bad value and the valid ones
   */
  @JsonCreator
  public static Role parse(String s) {
    return find(s).orElseThrow(() -> new IllegalArgumentException(
        "unknown role '" + s + "'; one of " + Arrays.stream(values()).map(Role::id)
            .collect(Collectors.joining(", "))));
  }

  /** The role named {@code s}, case-insensitively, or empty if there is none (or s is null). */
  public static Optional<Role> find(String s) {
    for (Role r : values()) {
      if (r.name().equalsIgnoreCase(s == null ? "" : s.trim())) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }
}
