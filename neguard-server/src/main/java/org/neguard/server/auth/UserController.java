package org.neguard.server.auth;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.neguard.server.web.ApiException;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** Accounts and roles: admins change them, auditors read them (SRC-1). */
@RestController
@RequestMapping("/api/users")
class UserController {
  private final Accounts accounts;

  UserController(Accounts accounts) {
    this.accounts = accounts;
  }

  record CreateRequest(String username, String password, List<Role> roles) {}

  record RolesRequest(List<Role> roles) {}

  @GetMapping
  @Allowed({Role.ADMIN, Role.AUDITOR})
  List<Accounts.UserView> list() {
    return accounts.users();
  }

  @PostMapping
  @ResponseStatus(HttpStatus.CREATED)
  @Allowed(Role.ADMIN)
  Accounts.Created create(@RequestBody CreateRequest body) {
    return accounts.createUser(CurrentUser.current(), body.username(), body.password(),
        roles(body.roles()));
  }

  @PutMapping("/{username}/roles")
  @Allowed(Role.ADMIN)
  Map<String, Object> roles(@PathVariable String username, @RequestBody RolesRequest body) {
    Set<Role> roles = roles(body.roles());
    accounts.setRoles(CurrentUser.current(), username, roles);
    return Map.of("username", username, "roles", roles.stream().sorted().toList());
  }

  @PostMapping("/{username}/disable")
  @Allowed(Role.ADMIN)
  Map<String, Object> disable(@PathVariable String username) {
    accounts.setDisabled(CurrentUser.current(), username, true);
    return Map.of("username", username, "disabled", true);
  }

  @PostMapping("/{username}/enable")
  @Allowed(Role.ADMIN)
  Map<String, Object> enable(@PathVariable String username) {
    accounts.setDisabled(CurrentUser.current(), username, false);
    return Map.of("username", username, "disabled", false);
  }

  private static Set<Role> roles(List<Role> roles) {
    if (roles == null || roles.isEmpty() || roles.contains(null)) {
      throw ApiException.badInput("give at least one role: admin, publisher, operator,"
          + " approver or auditor");
    }
    return EnumSet.copyOf(roles);
  }
}
