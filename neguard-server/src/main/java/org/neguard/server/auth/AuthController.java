package org.neguard.server.auth;

import jakarta.servlet.http.HttpServletRequest;
import org.neguard.api.auth.LoginRequest;
import org.neguard.api.auth.PasswordChanged;
import org.neguard.api.auth.PasswordRequest;
import org.neguard.api.auth.RoleName;
import org.neguard.api.auth.Token;
import org.neguard.api.auth.WhoAmI;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentUser;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** Log in (password for a token), who am I, change my password. */
@RestController
@RequestMapping("/api/auth")
class AuthController {
  private final Accounts accounts;

  AuthController(Accounts accounts) {
    this.accounts = accounts;
  }

  @PostMapping("/login")
  @Allowed(anonymous = true)
  Token login(@RequestBody LoginRequest body, HttpServletRequest request) {
    return accounts.login(body.username(), body.password(), body.tokenName(), body.ttlHours(),
        request.getRemoteAddr());
  }

  @GetMapping("/whoami")
  @Allowed(anyUser = true)
  WhoAmI whoami() {
    CurrentUser u = CurrentUser.current();
    return new WhoAmI(u.username(), RoleName.of(u.roles().stream().sorted().toList()),
        u.tokenId());
  }

  @PutMapping("/password")
  @Allowed(anyUser = true)
  PasswordChanged password(@RequestBody PasswordRequest body, HttpServletRequest request) {
    accounts.changePassword(CurrentUser.current(), body.oldPassword(), body.newPassword(),
        request.getRemoteAddr());
    return new PasswordChanged(true);
  }
}
