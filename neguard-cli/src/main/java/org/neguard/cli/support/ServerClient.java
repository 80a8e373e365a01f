package org.neguard.cli.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import org.neguard.sign.Certificates;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The CLI's client of the OAM server's REST API, on the JDK's HTTP client. A refusal by the
 * server comes back as a {@link RefusalException} with the server's reasons (same codes as the
 * local commands); an unreachable server is {@code SERVER_UNREACHABLE}. Thread-safe.
 */
public final class ServerClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final String token;
  private final HttpClient http;

  private ServerClient(URI base, String token, HttpClient http) {
    this.base = base;
    this.token = token;
    this.http = http;
  }

  /**
   * A client of {@code server}.
   *
   * @param caCert PEM certificate(s) to trust for an https server with a private CA, or null
   *     for the JDK's default trust
   * @param allowPlainHttp talk plain HTTP to a server off loopback (the user insists)
   * @throws RefusalException {@code BAD_INPUT} for a URL that is not http(s), or plain HTTP to
   *     a host that is not loopback without {@code allowPlainHttp}: decided from the URL alone,
   *     before any name lookup or connection, so nothing is sent
   */
  public static ServerClient of(String server, String token, Path caCert, boolean allowPlainHttp)
      throws IOException, RefusalException {
    URI base;
    try {
      base = URI.create(Credentials.normalize(server) + "/");
    } catch (IllegalArgumentException e) {
      throw new RefusalException(ReasonCode.BAD_INPUT, "not a URL: " + server);
    }
    if (!"http".equals(base.getScheme()) && !"https".equals(base.getScheme())) {
      throw new RefusalException(ReasonCode.BAD_INPUT,
          "the server URL must start with http:// or https://: " + server);
    }
    if ("http".equals(base.getScheme()) && !allowPlainHttp && !loopbackLiteral(base.getHost())) {
      // Mirrors the server, which refuses plain HTTP off loopback: a password or token sent
      // this way can be read by anyone on the path.
      throw RefusalException.about(ReasonCode.BAD_INPUT, server,
          "refusing to send a password or token in clear text to " + server + ", which is not"
              + " on loopback: use https:// (with --cacert for a private CA), or insist with"
              + " --insecure-plain-http");
    }
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(15))
        .followRedirects(HttpClient.Redirect.NEVER);
    if (caCert != null) {
      b.sslContext(sslTrusting(caCert));
    }
    return new ServerClient(base, token, b.build());
  }

  /**
   * Whether {@code host} is loopback by its spelling alone ({@code localhost}, {@code 127.x.y.z},
   * {@code [::1]}): no name is looked up, so a refusal sends nothing on the network.
   */
  static boolean loopbackLiteral(String host) {
    if (host == null) {
      return false;
    }
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (host.matches("127\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){2}")) {
      return true;
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      try {
        // A bracketed name is only ever parsed as an IPv6 literal, never looked up.
        return InetAddress.getByName(host).isLoopbackAddress();
      } catch (UnknownHostException e) {
        return false;
      }
    }
    return false;
  }

  public ServerClient withToken(String token) {
    return new ServerClient(base, token, http);
  }

  URI base() {
    return base;
  }

  public String server() {
    return Credentials.normalize(base.toString());
  }

  public JsonNode get(String path) throws IOException, RefusalException {
    return json(send(request(path).GET()));
  }

  public JsonNode post(String path, Object body) throws IOException, RefusalException {
    return json(send(request(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))));
  }

  public JsonNode put(String path, Object body) throws IOException, RefusalException {
    return json(send(request(path).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))));
  }

  public JsonNode delete(String path) throws IOException, RefusalException {
    return json(send(request(path).DELETE()));
  }

  /** Streams a file as the request body (never read into memory). */
  public JsonNode upload(String path, Path file) throws IOException, RefusalException {
    return json(send(request(path).header("Content-Type", "application/octet-stream")
        .timeout(Duration.ofHours(2))
        .POST(HttpRequest.BodyPublishers.ofFile(file))));
  }

  /** The raw body of a GET, streamed. */
  public InputStream stream(String path) throws IOException, RefusalException {
    HttpResponse<InputStream> r = exchange(request(path).GET().build(),
        HttpResponse.BodyHandlers.ofInputStream());
    if (r.statusCode() / 100 != 2) {
      try (InputStream in = r.body()) {
        // A refusal is a small JSON problem: read no more than one could be.
        throw refusal(r.statusCode(), new String(in.readNBytes(1 << 16), StandardCharsets.UTF_8));
      }
    }
    return r.body();
  }

  /** A request with any method and JSON body, answered with status and body, never thrown. */
  public HttpResponse<String> probe(String method, String path, String jsonBody, String probeToken)
      throws IOException, RefusalException {
    HttpRequest.Builder b = HttpRequest.newBuilder(resolve(path)).timeout(Duration.ofSeconds(60));
    if (probeToken != null) {
      b.header("Authorization", "Bearer " + probeToken);
    }
    if (jsonBody != null) {
      b.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(jsonBody));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return exchange(b.build(), BoundedBody.handler(BoundedBody.MAX_BYTES));
  }

  public static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private URI resolve(String path) {
    return base.resolve(path.startsWith("/") ? path.substring(1) : path);
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(resolve(path)).timeout(Duration.ofMinutes(5));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  private HttpResponse<String> send(HttpRequest.Builder b) throws IOException, RefusalException {
    HttpResponse<String> r = exchange(b.build(), BoundedBody.handler(BoundedBody.MAX_BYTES));
    if (r.statusCode() / 100 != 2) {
      throw refusal(r.statusCode(), r.body());
    }
    return r;
  }

  private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException, RefusalException {
    try {
      return http.send(request, handler);
    } catch (ConnectException | HttpConnectTimeoutException e) {
      throw new RefusalException(ReasonCode.SERVER_UNREACHABLE,
          "cannot reach the server at " + server() + "; is it running, and is the URL right?", e);
    } catch (SSLException e) {
      throw new RefusalException(ReasonCode.SERVER_UNREACHABLE,
          "TLS with " + server() + " failed (" + e.getMessage()
              + "); give the server's CA certificate with --cacert", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted");
    } catch (IOException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof BoundedBody.TooLarge) {
          throw new RefusalException(ReasonCode.BAD_INPUT, t.getMessage() + " from "
              + server() + ": not an answer of a NEGuard server; check the URL", e);
        }
      }
      throw e;
    }
  }

  /** The server's reasons, or one made from the status when the body has none. */
  static RefusalException refusal(int status, String body) {
    List<Reason> reasons = new ArrayList<>();
    try {
      JsonNode n = JSON.readTree(body);
      for (JsonNode r : n.path("reasons")) {
        ReasonCode code;
        try {
          code = ReasonCode.valueOf(r.path("code").asText());
        } catch (IllegalArgumentException e) {
          code = ReasonCode.INTERNAL;
        }
        reasons.add(new Reason(code, r.path("message").asText("no message"),
            r.hasNonNull("subject") ? r.path("subject").asText() : null));
      }
    } catch (IOException e) {
      // not JSON: a proxy, or not a NEGuard server
    }
    if (reasons.isEmpty()) {
      ReasonCode code = status == 401 ? ReasonCode.NOT_AUTHENTICATED
          : status == 403 ? ReasonCode.NOT_AUTHORIZED
          : status >= 500 ? ReasonCode.INTERNAL : ReasonCode.BAD_INPUT;
      reasons.add(Reason.of(code, "the server answered HTTP " + status
          + " without reasons; is this a NEGuard server?"));
    }
    return new RefusalException(reasons);
  }

  private static JsonNode json(HttpResponse<String> r) throws IOException {
    String body = r.body();
    return body == null || body.isBlank() ? JSON.nullNode() : JSON.readTree(body);
  }

  private static SSLContext sslTrusting(Path caCert) throws IOException, RefusalException {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      int i = 0;
      for (X509Certificate c : Certificates.read(caCert)) {
        ks.setCertificateEntry("ca" + i++, c);
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      return ssl;
    } catch (java.security.GeneralSecurityException e) {
      throw new RefusalException(ReasonCode.TRUST_CONFIG,
          "cannot use " + caCert + " as the server's CA: " + e.getMessage(), e);
    }
  }
}
