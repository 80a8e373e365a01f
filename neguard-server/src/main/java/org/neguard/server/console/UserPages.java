package org.neguard.server.console;

import org.neguard.api.auth.Role;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentUser;
import org.neguard.server.auth.Accounts;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;

/** Users and their roles, every user's API tokens and their revocation (admin). */
@Controller
class UserPages {
  private final Accounts accounts;

  UserPages(Accounts accounts) {
    this.accounts = accounts;
  }

  @GetMapping("/console/users")
  @Allowed(Role.ADMIN)
  String users(Model model) {
    model.addAttribute("users", accounts.users());
    model.addAttribute("tokens", accounts.tokens(CurrentUser.current(), true));
    return "console/users";
  }

  /**
   * Revokes an API token (as DELETE /api/tokens/{id}): the same service, so the same rule and
   * the same {@code TOKEN_REVOKE} row; the token is refused by the API from its next request.
   */
  @PostMapping("/console/users/tokens/{id}/revoke")
  @Allowed(Role.ADMIN)
  String revoke(@PathVariable String id) {
    accounts.revokeToken(CurrentUser.current(), id);
    return "redirect:/console/users";
  }
}
