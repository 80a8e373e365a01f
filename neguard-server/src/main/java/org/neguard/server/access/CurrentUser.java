package org.neguard.server.access;

import java.util.Set;
import org.neguard.api.auth.Role;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;

/**
 * The user a request was authenticated as, through one API token.
 *
 * @param id user id
 * @param username user name
 * @param roles the roles held now
 * @param tokenId the token used
 */
public record CurrentUser(long id, String username, Set<Role> roles, String tokenId) {
  public CurrentUser {
    roles = Set.copyOf(roles);
  }

  public boolean has(Role role) {
    return roles.contains(role);
  }

  /** The user of the current request, or null if it carries no valid credential. */
  public static CurrentUser current() {
    Authentication a = SecurityContextHolder.getContext().getAuthentication();
    return a != null && a.getPrincipal() instanceof CurrentUser u ? u : null;
  }

  /** The actor name for the audit log. */
  public static String actorName() {
    CurrentUser u = current();
    return u == null ? "anonymous" : u.username();
  }
}
