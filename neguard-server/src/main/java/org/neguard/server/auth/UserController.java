package org.neguard.server.auth;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.neguard.api.auth.CreateUserRequest;
import org.neguard.api.auth.CreatedUser;
import org.neguard.api.auth.Role;
import org.neguard.api.auth.RoleName;
import org.neguard.api.auth.RolesRequest;
import org.neguard.api.auth.User;
import org.neguard.api.auth.UserDisabled;
import org.neguard.api.auth.UserRoles;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentUser;
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

  @GetMapping
  @Allowed({Role.ADMIN, Role.AUDITOR})
  List<User> list() {
    return accounts.users();
  }

  @PostMapping
  @ResponseStatus(HttpStatus.CREATED)
  @Allowed(Role.ADMIN)
  CreatedUser create(@RequestBody CreateUserRequest body) {
    return accounts.createUser(CurrentUser.current(), body.username(), body.password(),
        roles(body.roles()));
  }

  @PutMapping("/{username}/roles")
  @Allowed(Role.ADMIN)
  UserRoles roles(@PathVariable String username, @RequestBody RolesRequest body) {
    Set<Role> roles = roles(body.roles());
    accounts.setRoles(CurrentUser.current(), username, roles);
    return new UserRoles(username, RoleName.of(roles.stream().sorted().toList()));
  }

  @PostMapping("/{username}/disable")
  @Allowed(Role.ADMIN)
  UserDisabled disable(@PathVariable String username) {
    accounts.setDisabled(CurrentUser.current(), username, true);
    return new UserDisabled(username, true);
  }

  @PostMapping("/{username}/enable")
  @Allowed(Role.ADMIN)
  UserDisabled enable(@PathVariable String username) {
    accounts.setDisabled(CurrentUser.current(), username, false);
    return new UserDisabled(username, false);
  }

  private static Set<Role> roles(List<Role> roles) {
    if (roles == null || roles.isEmpty() || roles.contains(null)) {
      throw ApiException.badInput("give at least one role: admin, publisher, operator,"
          + " approver or auditor");
    }
    return EnumSet.copyOf(roles);
  }
}
