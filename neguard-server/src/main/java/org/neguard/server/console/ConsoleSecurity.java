package org.neguard.server.console;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.util.List;
import org.neguard.server.access.CurrentUser;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.auth.Accounts;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.Reason;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.InsufficientAuthenticationException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.AuthenticationSuccessHandler;
import org.springframework.security.web.authentication.LoginUrlAuthenticationEntryPoint;
import org.springframework.security.web.authentication.WebAuthenticationDetails;
import org.springframework.security.web.context.SecurityContextHolderFilter;
import org.springframework.security.web.csrf.CsrfException;
import org.springframework.security.web.csrf.CsrfFilter;
import org.springframework.security.web.csrf.XorCsrfTokenRequestAttributeHandler;
import org.springframework.security.web.header.writers.ReferrerPolicyHeaderWriter;
import org.springframework.security.web.authentication.SimpleUrlAuthenticationFailureHandler;
import org.springframework.security.web.savedrequest.CookieRequestCache;
import org.springframework.security.web.savedrequest.RequestCache;
import org.springframework.security.web.savedrequest.SavedRequest;
import org.springframework.security.web.util.matcher.RequestMatcher;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The console's own filter chain, ahead of the API's and matching {@code /console/**} only, so
 * that a session cookie never reaches {@code /api/**} (whose chain is stateless and reads bearer
 * tokens only) and a bearer token never opens a console page.
 *
 * <p>Why each setting: form login against the server's accounts through {@link
 * Accounts#sessionLogin} (the same throttle, hashes and audit rows as the API's login); the
 * session id changes on login (no fixation); CSRF tokens on every form, the login form too (no
 * login CSRF), kept before login in a signed cookie rather than a session (the upload form's is
 * checked by its handler: {@link #UPLOAD}); after login only a saved console path is followed
 * (no open redirect); a strict Content-Security-Policy with no inline script or style and no
 * framing (clickjacking). Which roles reach a page is its handler's {@link
 * org.neguard.server.access.Allowed}, enforced by the same interceptor as the API's; here a page
 * needs only a signed-in session.
 */
@Configuration(proxyBeanMethods = false)
class ConsoleSecurity {
  /** The Content-Security-Policy of every console answer. */
  static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self';"
      + " img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none';"
      + " base-uri 'none'; object-src 'none'";
  static final String LOGIN = "/console/login";
  static final String HOME = "/console";
  /**
   * How a form's {@code _csrf} value is read: masked afresh at each render (BREACH), as Spring
   * Security does by default; named here so that {@link PackageUploadForm} unmasks the same way.
   */
  static final XorCsrfTokenRequestAttributeHandler CSRF_HANDLER =
      new XorCsrfTokenRequestAttributeHandler();
  /**
   * The one request the CSRF filter leaves to its handler: exactly {@code POST} of {@link
   * PackageUploadForm#PATH}, as sent (the raw URI, neither decoded nor normalized), so that no
   * other method, trailing slash, path parameter ({@code ;jsessionid=}), case or encoding of it
   * is exempt: those keep the filter's check, which cannot read a multipart body, and are refused.
   */
  static final RequestMatcher UPLOAD = r -> "POST".equals(r.getMethod())
      && (r.getContextPath() + PackageUploadForm.PATH).equals(r.getRequestURI());

  private final Accounts accounts;
  private final AuditLog audit;
  private final ConsoleCsrfKey csrfKey;

  ConsoleSecurity(Accounts accounts, AuditLog audit, ConsoleCsrfKey csrfKey) {
    this.accounts = accounts;
    this.audit = audit;
    this.csrfKey = csrfKey;
  }

  /** The console's CSRF tokens, for the filter and for the upload form's own check. */
  @Bean
  ConsoleCsrfTokens consoleCsrfTokens() {
    return new ConsoleCsrfTokens(csrfKey::key, Clock.systemUTC());
  }

  @Bean
  @Order(1)
  SecurityFilterChain console(HttpSecurity http, ConsoleCsrfTokens tokens,
      ConsoleLanding landing) throws Exception {
    // No server session before login (HRD-6): the page asked for waits in a cookie, the login
    // form's CSRF token in a signed cookie (ConsoleCsrfTokens), a failed login's answer in the
    // URL. A session is made only when an account signs in.
    CookieRequestCache cache = new CookieRequestCache();
    SimpleUrlAuthenticationFailureHandler failed =
        new SimpleUrlAuthenticationFailureHandler(LOGIN + "?error");
    failed.setAllowSessionCreation(false);
    LoginUrlAuthenticationEntryPoint toLogin = new LoginUrlAuthenticationEntryPoint(LOGIN);
    AuthenticationEntryPoint signIn = (req, res, ex) -> {
      // Sent to log in, and recorded like the API's 401s: every refusal is a row (SRC-3).
      audit.append(AuditEvent.denied("anonymous", "ACCESS",
          req.getMethod() + " " + req.getRequestURI(),
          "NOT_AUTHENTICATED: the console needs a session; sent to the login page"));
      toLogin.commence(req, res, ex);
    };
    http.securityMatcher("/console", "/console/**")
        .authenticationProvider(new PasswordProvider(accounts))
        .httpBasic(b -> b.disable())
        .requestCache(r -> r.requestCache(cache))
        .formLogin(f -> f.loginPage(LOGIN).loginProcessingUrl(LOGIN)
            .successHandler(successHandler(cache, landing))
            .failureHandler(failed))
        // The upload form's token is in its body, which this filter must not read: its handler
        // checks it (PackageUploadForm), with the same repository and handler as here.
        .csrf(c -> c.csrfTokenRepository(tokens).csrfTokenRequestHandler(CSRF_HANDLER)
            .ignoringRequestMatchers(UPLOAD))
        .addFilterBefore(new PreLoginKeyCheck(csrfKey), CsrfFilter.class)
        .logout(l -> l.logoutUrl("/console/logout")
            .addLogoutHandler((req, res, auth) -> {
              if (auth != null && auth.getPrincipal() instanceof CurrentUser u) {
                audit.append(AuditEvent.success(u.username(), "LOGOUT", "user " + u.username(),
                    "console session ended"));
              }
            })
            .logoutSuccessUrl(LOGIN + "?logout"))
        .sessionManagement(s -> s.sessionFixation(f -> f.changeSessionId()))
        .headers(h -> h
            .contentSecurityPolicy(c -> c.policyDirectives(CSP))
            .frameOptions(f -> f.deny())
            .referrerPolicy(r -> r.policy(ReferrerPolicyHeaderWriter.ReferrerPolicy.SAME_ORIGIN)))
        .addFilterAfter(new SessionRefresh(accounts), SecurityContextHolderFilter.class)
        .authorizeHttpRequests(a -> a
            .requestMatchers(LOGIN, "/console/assets/**").permitAll()
            .anyRequest().authenticated())
        .exceptionHandling(e -> e.authenticationEntryPoint(signIn)
            .accessDeniedHandler((req, res, ex) -> {
              if (ex instanceof CsrfException && sessionEnded(req)) {
                // A form of a session that ended (expired, or logged out in another tab): its
                // token was that session's. Sent to log in as a page is, nothing of the form
                // done, then to the form's page (ConsoleLanding). Another site's form carries no
                // session cookie (SameSite=Strict), so it stays refused below.
                cache.saveRequest(req, res);
                signIn.commence(req, res,
                    new InsufficientAuthenticationException("the console session ended"));
                return;
              }
              // Reached for a missing or wrong CSRF token: the roles are the interceptor's.
              audit.append(AuditEvent.denied(CurrentUser.actorName(), "ACCESS",
                  req.getMethod() + " " + req.getRequestURI(),
                  "NOT_AUTHORIZED: no valid CSRF token"));
              res.sendError(HttpServletResponse.SC_FORBIDDEN);
            }));
    return http.build();
  }

  /**
   * After login, back to the console page that asked for it, when it was one: only a path under
   * {@code /console} of this server, never a URL a link could have chosen; and a page a browser
   * can open, so a form posted after the session expired leads to its page ({@link
   * ConsoleLanding}), never to a 405.
   */
  private static AuthenticationSuccessHandler successHandler(RequestCache cache,
      ConsoleLanding landing) {
    return (request, response, authentication) -> {
      SavedRequest saved = cache.getRequest(request, response);
      cache.removeRequest(request, response);
      response.sendRedirect(
          landing.page(safeTarget(saved == null ? null : saved.getRedirectUrl())));
    };
  }

  /** The request names a session (its cookie) that the server no longer has. */
  private static boolean sessionEnded(HttpServletRequest request) {
    return request.getRequestedSessionId() != null && !request.isRequestedSessionIdValid();
  }

  /** The path and query of {@code url} when it is a console page, else the overview. */
  static String safeTarget(String url) {
    if (url == null) {
      return HOME;
    }
    try {
      URI u = URI.create(url);
      String path = u.getRawPath();
      if (path == null || !(path.equals(HOME) || path.startsWith(HOME + "/"))
          || path.startsWith(LOGIN) || path.contains("//") || path.contains("\\")
          || path.contains("/../") || path.startsWith("/console/assets/")) {
        return HOME;
      }
      String query = u.getRawQuery();
      query = query == null ? "" : query.replaceAll("(^|&)continue(=[^&]*)?", "");
      return path + (query.isEmpty() ? "" : "?" + query.replaceFirst("^&", ""));
    } catch (IllegalArgumentException e) {
      return HOME;
    }
  }

  /** The server's accounts, as the API's login checks them. */
  private record PasswordProvider(Accounts accounts) implements AuthenticationProvider {
    @Override
    public Authentication authenticate(Authentication authentication) {
      String remote = authentication.getDetails() instanceof WebAuthenticationDetails d
          ? d.getRemoteAddress() : null;
      Object password = authentication.getCredentials();
      CurrentUser user;
      try {
        user = accounts.sessionLogin(authentication.getName(),
            password == null ? null : password.toString(), remote);
      } catch (ApiException e) {
        // The same words for every cause, as the API's login answers.
        throw new BadCredentialsException("wrong user name or password, or the account is"
            + " disabled or locked");
      }
      return authenticated(user);
    }

    @Override
    public boolean supports(Class<?> authentication) {
      return UsernamePasswordAuthenticationToken.class.isAssignableFrom(authentication);
    }
  }

  static UsernamePasswordAuthenticationToken authenticated(CurrentUser user) {
    List<SimpleGrantedAuthority> authorities = user.roles().stream()
        .map(r -> new SimpleGrantedAuthority("ROLE_" + r.name())).toList();
    return UsernamePasswordAuthenticationToken.authenticated(user, null, authorities);
  }

  /**
   * Before login the CSRF token is checked or made with the database's key ({@link
   * ConsoleCsrfKey}): when that cannot be had, the login page and any form posted without a
   * session are answered with why, here, rather than by an exception from inside the CSRF filter
   * or the page's rendering (a bare 500). Once read the key is kept, so this costs a field read.
   */
  private static final class PreLoginKeyCheck extends OncePerRequestFilter {
    private final ConsoleCsrfKey key;

    PreLoginKeyCheck(ConsoleCsrfKey key) {
      this.key = key;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response,
        FilterChain chain) throws ServletException, IOException {
      if (request.getSession(false) == null && needsToken(request)) {
        try {
          key.key();
        } catch (ApiException e) {
          Reason r = e.reasons().get(0);
          response.setStatus(e.status());
          response.setContentType("text/plain;charset=UTF-8");
          response.getWriter().write(r.code().name() + ": " + r.message() + "\n");
          return;
        }
      }
      chain.doFilter(request, response);
    }

    /** The login page (its form's token) and every unsafe method (the token checked). */
    private static boolean needsToken(HttpServletRequest request) {
      String m = request.getMethod();
      return LOGIN.equals(request.getRequestURI()) || !("GET".equals(m) || "HEAD".equals(m)
          || "OPTIONS".equals(m) || "TRACE".equals(m));
    }
  }

  /**
   * Each request of a session runs with the account as it is now: a disabled or deleted account's
   * session ends at once (invalidated: its row deleted from the session table, whichever replica
   * made it), and changed roles apply at the next request, as they do for tokens.
   */
  private static final class SessionRefresh extends OncePerRequestFilter {
    private final Accounts accounts;

    SessionRefresh(Accounts accounts) {
      this.accounts = accounts;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response,
        FilterChain chain) throws ServletException, IOException {
      SecurityContext context = SecurityContextHolder.getContext();
      Authentication a = context.getAuthentication();
      if (a != null && a.getPrincipal() instanceof CurrentUser u) {
        CurrentUser now = accounts.sessionUser(u.id()).orElse(null);
        if (now == null) {
          HttpSession session = request.getSession(false);
          if (session != null) {
            session.invalidate();
          }
          SecurityContextHolder.clearContext();
        } else {
          SecurityContext fresh = SecurityContextHolder.createEmptyContext();
          fresh.setAuthentication(authenticated(now));
          SecurityContextHolder.setContext(fresh);
          request.setAttribute(AuditLog.ACTOR, now.username());
        }
      }
      chain.doFilter(request, response);
    }
  }
}
