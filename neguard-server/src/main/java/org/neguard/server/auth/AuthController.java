package org.neguard.server.auth;

import jakarta.servlet.http.HttpServletRequest;
import java.util.LinkedHashMap;
import java.util.Map;
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

  record LoginRequest(String username, String password, String tokenName, Long ttlHours) {}

  record PasswordRequest(String oldPassword, String newPassword) {}

  @PostMapping("/login")
  @Allowed(anonymous = true)
  Accounts.TokenView login(@RequestBody LoginRequest body, HttpServletRequest request) {
    return accounts.login(body.username(), body.password(), body.tokenName(), body.ttlHours(),
        request.getRemoteAddr());
  }

  @GetMapping("/whoami")
  @Allowed(anyUser = true)
  Map<String, Object> whoami() {
    CurrentUser u = CurrentUser.current();
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("username", u.username());
    o.put("roles", u.roles().stream().sorted().toList());
    o.put("tokenId", u.tokenId());
    return o;
  }

  @PutMapping("/password")
  @Allowed(anyUser = true)
  Map<String, Object> password(@RequestBody PasswordRequest body, HttpServletRequest request) {
    accounts.changePassword(CurrentUser.current(), body.oldPassword(), body.newPassword(),
        request.getRemoteAddr());
    return Map.of("changed", true);
  }
}
