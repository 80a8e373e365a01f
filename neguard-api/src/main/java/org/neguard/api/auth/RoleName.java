package org.neguard.api.auth;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A role as a server's answer names it. The name is text, not a {@link Role}: a client older
 * than the server keeps a role it does not know exactly as written ({@link #known} is then
 * empty), and such a role grants nothing the client can check, instead of failing the whole
 * answer (issue 11). Requests name roles as {@link Role}, so a server still refuses one it does
 * not know. On the wire a role name is the plain string.
 *
 * @param id the role's name as written ({@code admin}), possibly one this client does not know
 */
public record RoleName(String id) {
  /**
   * What any role's name looks like. A name is shown as written, so one of any other shape (a
   * line break that would fake a line of `user list`, a terminal escape) is refused as malformed.
   */
  private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,63}");

  /** @throws IllegalArgumentException if {@code id} is not a role name's shape */
  public RoleName {
    Objects.requireNonNull(id, "role name is null");
    if (!NAME.matcher(id).matches()) {
      throw new IllegalArgumentException(
          "not a role name: a letter, then at most 63 of A-Z, a-z, 0-9, '_', '.', '-'");
    }
  }

  /** Reads the plain string of the wire. */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static RoleName of(String id) {
    return new RoleName(id);
  }

  /** The name of a role this side knows. */
  public static RoleName of(Role role) {
    return new RoleName(role.id());
  }

  /** The names of {@code roles}, in their iteration order. */
  public static List<RoleName> of(Collection<Role> roles) {
    return roles.stream().map(RoleName::of).toList();
  }

  /** Whether {@code names} name {@code role}; a name this client does not know never does. */
  public static boolean holds(Collection<RoleName> names, Role role) {
    return names.stream().anyMatch(n -> n.is(role));
  }

  @JsonValue
  @Override
  public String id() {
    return id;
  }

  /** The role, if this client knows it (read as {@link Role#parse} reads one). */
  public Optional<Role> known() {
    return Role.find(id);
  }

  /** Whether this names {@code role}. */
  public boolean is(Role role) {
    return known().filter(role::equals).isPresent();
  }

  @Override
  public String toString() {
    return id;
  }
}
