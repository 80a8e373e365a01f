package org.neguard.server.access;

import java.io.Serializable;
import java.util.Set;
import org.neguard.api.auth.Role;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;

/**
 * The user a request was authenticated as, through one API token.
 *
 * <p>Serializable: a console session keeps it in its security context, in the database
 * ({@code console.ConsoleSessions}), read back by any replica; a record is read back through its
 * canonical constructor, so a stored value passes the same checks as a new one.
 *
 * @param id user id
 * @param username user name
 * @param roles the roles held now
 * @param tokenId the token used
 */
public record CurrentUser(long id, String username, Set<Role> roles, String tokenId)
    implements Serializable {
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
