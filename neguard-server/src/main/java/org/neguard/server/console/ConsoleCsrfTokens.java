package org.neguard.server.console;

import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.http.ResponseCookie;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.security.web.csrf.CsrfTokenRepository;
import org.springframework.security.web.csrf.DefaultCsrfToken;
import org.springframework.security.web.csrf.HttpSessionCsrfTokenRepository;

/**
 * Where the console keeps its CSRF tokens (issue 18, last session's finding): in the session
 * once there is one (signed in), and before that in a signed cookie, so that a visitor who only
 * opens the login page costs the server no session (HRD-6: 10,000 anonymous GETs made 10,000
 * sessions of 30 minutes each, with nothing capping one address).
 *
 * <p>Before login the token is a double-submit cookie: the login form's field must equal the
 * cookie {@value #COOKIE}, whose value is {@code random.expiry.mac}, an HMAC-SHA256 under the
 * key of this server's database ({@link ConsoleCsrfKey}), which all its replicas share. The MAC
 * means only this server mints tokens (a cookie set by a
 * neighbouring site or a made-up pair is refused) and the expiry bounds a token's life to
 * {@link #LIFETIME}; the cookie is {@code HttpOnly} and {@code SameSite=Strict}. Over TLS it is
 * {@value #HOST_COOKIE}, {@code Secure}, path {@code /} and no domain: browsers refuse a cookie
 * of that name set by any other host or over plain HTTP, so a sibling subdomain cannot plant its
 * own token (a login CSRF), and the plain name is not read there. Over plain HTTP (loopback)
 * the {@code __Host-} prefix cannot be had; it is {@value #COOKIE}, path {@code /console}. At
 * login Spring Security drops this token and makes a new one, held in the new session from then
 * on. Because the key is shared, a login page served by one replica may be posted to another;
 * the session then made, and its token, are in the database ({@link ConsoleSessions}), so every
 * replica knows them.
 */
final class ConsoleCsrfTokens implements CsrfTokenRepository {
  static final String COOKIE = "NEGUARD_CSRF";
  /** The cookie's name over TLS. */
  static final String HOST_COOKIE = "__Host-" + COOKIE;
  static final Duration LIFETIME = Duration.ofMinutes(30);
  /** How far ahead of this replica's clock another replica's may be. */
  static final Duration CLOCK_SKEW = Duration.ofMinutes(2);
  private static final String PARAMETER = "_csrf";
  private static final String HEADER = "X-CSRF-TOKEN";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private final HttpSessionCsrfTokenRepository sessions = new HttpSessionCsrfTokenRepository();
  private final Supplier<SecretKeySpec> key;
  private final Clock clock;

  /**
   * @param key the MAC key, asked for at each use (it may throw: {@link ConsoleCsrfKey#key}),
   *     never a key of this process's own as a fallback
   */
  ConsoleCsrfTokens(Supplier<SecretKeySpec> key, Clock clock) {
    this.key = key;
    this.clock = clock;
  }

  @Override
  public CsrfToken generateToken(HttpServletRequest request) {
    byte[] r = new byte[32];
    RANDOM.nextBytes(r);
    String body = B64.encodeToString(r) + "." + clock.instant().plus(LIFETIME).getEpochSecond();
    return new DefaultCsrfToken(HEADER, PARAMETER, body + "." + mac(body));
  }

  @Override
  public void saveToken(CsrfToken token, HttpServletRequest request,
      HttpServletResponse response) {
    TokenCookie cookie = TokenCookie.of(request);
    if (request.getSession(false) != null) {
      sessions.saveToken(token, request, response);
      if (token == null || cookie.read(request) != null) {
        cookie.set(response, "", Duration.ZERO);
      }
    } else if (token == null) {
      cookie.set(response, "", Duration.ZERO);
    } else {
      cookie.set(response, token.getToken(), LIFETIME);
    }
  }

  @Override
  public CsrfToken loadToken(HttpServletRequest request) {
    if (request.getSession(false) != null) {
      return sessions.loadToken(request);
    }
    String value = TokenCookie.of(request).read(request);
    return value != null && valid(value) ? new DefaultCsrfToken(HEADER, PARAMETER, value) : null;
  }

  /**
   * This server's MAC over the random part and expiry, the expiry not passed and not further
   * ahead than a token this server mints now would have (plus {@link #CLOCK_SKEW} between
   * replicas): one who read the key from the database can mint tokens, but none that lasts.
   */
  boolean valid(String value) {
    int last = value.lastIndexOf('.');
    int first = value.indexOf('.');
    if (first <= 0 || last <= first || value.length() > 200) {
      return false;
    }
    String body = value.substring(0, last);
    byte[] given = value.substring(last + 1).getBytes(StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(given, mac(body).getBytes(StandardCharsets.US_ASCII))) {
      return false;
    }
    try {
      long expiry = Long.parseLong(body.substring(first + 1));
      long now = clock.instant().getEpochSecond();
      return now < expiry && expiry <= now + LIFETIME.plus(CLOCK_SKEW).getSeconds();
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private String mac(String body) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(key.get());
      return B64.encodeToString(m.doFinal(body.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
    }
  }

  /**
   * The token cookie as this request's transport calls for it: the one place its name, path and
   * flags are decided, for reading, setting and clearing alike.
   */
  private record TokenCookie(String name, String path, boolean secure) {
    static TokenCookie of(HttpServletRequest request) {
      // isSecure: the connection to this server is TLS (no forwarded header is trusted).
      return request.isSecure() ? new TokenCookie(HOST_COOKIE, "/", true)
          : new TokenCookie(COOKIE, ConsoleSecurity.HOME, false);
    }

    /** The value of this cookie in {@code request}, or null; a cookie of another name is not. */
    String read(HttpServletRequest request) {
      Cookie[] cookies = request.getCookies();
      if (cookies == null) {
        return null;
      }
      for (Cookie c : cookies) {
        if (name.equals(c.getName())) {
          return c.getValue();
        }
      }
      return null;
    }

    /** Sets it to {@code value} for {@code maxAge} (zero clears it); never with a domain. */
    void set(HttpServletResponse response, String value, Duration maxAge) {
      response.addHeader("Set-Cookie", ResponseCookie.from(name, value).path(path)
          .httpOnly(true).sameSite("Strict").secure(secure).maxAge(maxAge).build().toString());
    }
  }
}
