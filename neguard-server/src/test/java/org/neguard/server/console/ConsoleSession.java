package org.neguard.server.console;

import java.io.IOException;
import java.net.CookieManager;
import java.net.HttpCookie;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A browser's side of the console over plain HTTP, for the checks a real browser hides (headers,
 * cookies, a form posted without its token): its own cookie jar, redirects not followed.
 */
final class ConsoleSession {
  static final Pattern CSRF =
      Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");
  final CookieManager cookies;
  private final HttpClient client;
  private final URI base;

  ConsoleSession(URI base) {
    this(base, new CookieManager());
  }

  /**
   * A browser whose requests go to {@code base} with the cookie jar {@code cookies}: two of them
   * sharing one jar, each with another replica's address, are one browser behind a balancer that
   * is not sticky (the jar holds cookies by host, whatever the port).
   */
  ConsoleSession(URI base, CookieManager cookies) {
    this.base = base;
    this.cookies = cookies;
    this.client = HttpClient.newBuilder().cookieHandler(cookies)
        .followRedirects(HttpClient.Redirect.NEVER).build();
  }

  HttpResponse<String> get(String path) {
    return send(HttpRequest.newBuilder(base.resolve(path)).GET().build());
  }

  HttpResponse<String> get(String path, Map<String, String> headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).GET();
    headers.forEach(b::header);
    return send(b.build());
  }

  /** Posts a form as given (no CSRF token added). */
  HttpResponse<String> postRaw(String path, Map<String, String> form) {
    String body = form.entrySet().stream()
        .map(e -> enc(e.getKey()) + "=" + enc(e.getValue()))
        .collect(Collectors.joining("&"));
    return send(HttpRequest.newBuilder(base.resolve(path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  /** Posts a form with the CSRF token of the page {@code from}. */
  HttpResponse<String> post(String from, String path, Map<String, String> form) {
    Map<String, String> f = new LinkedHashMap<>(form);
    f.put("_csrf", csrf(from));
    return postRaw(path, f);
  }

  /** Posts {@code body}, a multipart/form-data body with {@code boundary}, as given. */
  HttpResponse<String> postMultipart(String path, String boundary, byte[] body) {
    return send(HttpRequest.newBuilder(base.resolve(path))
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
  }

  /** The CSRF token of a page's forms. */
  String csrf(String page) {
    HttpResponse<String> r = get(page);
    Matcher m = CSRF.matcher(r.body());
    if (!m.find()) {
      throw new AssertionError("no CSRF token on " + page + ": " + r.statusCode() + " "
          + r.body());
    }
    return m.group(1);
  }

  /** Logs in through the form; returns the answer to the form's POST. */
  HttpResponse<String> login(String user, String password) {
    return post("/console/login", "/console/login",
        Map.of("username", user, "password", password));
  }

  /** The session cookie's value, or null. */
  String sessionId() {
    return cookies.getCookieStore().getCookies().stream()
        .filter(c -> c.getName().equals("NEGUARD_CONSOLE")).map(HttpCookie::getValue)
        .findFirst().orElse(null);
  }

  /**
   * Ends this browser's session on the server as 30 idle minutes would: its row deleted from the
   * server's session table ({@code db}, closed after), its cookie still in this browser.
   */
  void endOnServer(java.sql.Connection db) throws java.sql.SQLException {
    String id = new String(java.util.Base64.getDecoder().decode(sessionId()),
        StandardCharsets.US_ASCII);
    try (db; var p = db.prepareStatement("DELETE FROM console_sessions WHERE session_id = ?")) {
      p.setString(1, id);
      if (p.executeUpdate() != 1) {
        throw new AssertionError("no session row for " + id);
      }
    }
  }

  static String location(HttpResponse<String> r) {
    return r.headers().firstValue("Location").orElse("");
  }

  HttpResponse<String> send(HttpRequest request) {
    try {
      return client.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
