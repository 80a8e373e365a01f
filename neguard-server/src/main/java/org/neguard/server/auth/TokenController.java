package org.neguard.server.auth;

import java.util.List;
import org.neguard.api.auth.IssueTokenRequest;
import org.neguard.api.auth.Token;
import org.neguard.api.auth.TokenRevoked;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentUser;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** A user's own API tokens: issue (shown once), list, revoke; admins may revoke any. */
@RestController
@RequestMapping("/api/tokens")
class TokenController {
  private final Accounts accounts;

  TokenController(Accounts accounts) {
    this.accounts = accounts;
  }

  @GetMapping
  @Allowed(anyUser = true)
  List<Token> list(@RequestParam(defaultValue = "false") boolean all) {
    return accounts.tokens(CurrentUser.current(), all);
  }

  @PostMapping
  @ResponseStatus(HttpStatus.CREATED)
  @Allowed(anyUser = true)
  Token issue(@RequestBody IssueTokenRequest body) {
    return accounts.issueToken(CurrentUser.current(), body.name(), body.ttlHours());
  }

  @DeleteMapping("/{id}")
  @Allowed(anyUser = true)
  TokenRevoked revoke(@PathVariable String id) {
    accounts.revokeToken(CurrentUser.current(), id);
    return new TokenRevoked(id, true);
  }
}
