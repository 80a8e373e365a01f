package org.neguard.server.auth;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import org.neguard.server.access.CurrentUser;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.web.ApiException;
import org.neguard.server.web.Problems;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Authenticates {@code Authorization: Bearer ngt_...} on every request. A request without the
 * header goes on anonymous (the endpoint decides); a bad, expired or revoked token, or one of a
 * disabled user, or another scheme, is answered 401 here and recorded. Passwords are accepted only by the
 * throttled login endpoint, never per request.
 */
final class TokenAuthenticationFilter extends OncePerRequestFilter {
  private final Accounts accounts;
  private final AuditLog audit;

  TokenAuthenticationFilter(Accounts accounts, AuditLog audit) {
    this.accounts = accounts;
    this.audit = audit;
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response,
      FilterChain chain) throws ServletException, IOException {
    String header = request.getHeader("Authorization");
    if (header == null) {
      chain.doFilter(request, response);
      return;
    }
    if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      // The scheme only: whatever else the header carries may be a password.
      String scheme = header.strip().split("\\s", 2)[0];
      audit.append(AuditEvent.denied("anonymous", "AUTHENTICATE",
          request.getMethod() + " " + request.getRequestURI(),
          "NOT_AUTHENTICATED: Authorization scheme '"
              + (scheme.length() > 20 ? scheme.substring(0, 20) + "..." : scheme)
              + "' is not Bearer"));
      Problems.write(response, Reason.of(ReasonCode.NOT_AUTHENTICATED,
          "only bearer API tokens are accepted; get one with 'neguard login'"));
      return;
    }
    CurrentUser user;
    try {
      user = accounts.authenticate(header.substring(7).trim());
    } catch (ApiException e) {
      Problems.write(response, e.status(), e.reasons().get(0));
      return;
    }
    request.setAttribute(AuditLog.ACTOR, user.username());
    List<SimpleGrantedAuthority> authorities =
        user.roles().stream().map(r -> new SimpleGrantedAuthority("ROLE_" + r.name())).toList();
    SecurityContextHolder.getContext()
        .setAuthentication(UsernamePasswordAuthenticationToken.authenticated(user, null,
            authorities));
    try {
      chain.doFilter(request, response);
    } finally {
      SecurityContextHolder.clearContext();
    }
  }
}
