package org.neguard.server.console;

import org.neguard.api.auth.Role;
import org.neguard.server.access.Allowed;
import org.neguard.server.auth.Accounts;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;

/** Users and their roles (admin). */
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
    return "console/users";
  }
}
