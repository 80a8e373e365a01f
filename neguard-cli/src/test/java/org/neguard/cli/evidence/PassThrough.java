package org.neguard.cli.evidence;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * A loopback JDK HTTP server in front of a real server: each request is passed on as it came,
 * and its answer back, unless a {@link Rule} answers otherwise (a newer or a misbehaving
 * server, as the evidence sees it).
 */
final class PassThrough implements AutoCloseable {
  /**
   * An answer: status and body, and the headers of the real server's answer that a browser
   * session needs (the web console's Location and Set-Cookie), empty for a made-up one.
   */
  record Reply(int status, byte[] body, java.util.Map<String, java.util.List<String>> headers) {
    Reply(int status, byte[] body) {
      this(status, body, java.util.Map.of());
    }
  }

  /** Sends the request on to the real server. */
  interface Pass {
    Reply send() throws IOException;
  }

  /** The answer to a request: {@code pass.send()} for the real one, or any other. */
  interface Rule {
    Reply reply(String method, String path, String contentType, Pass pass) throws IOException;
  }

  private final HttpServer server;

  private PassThrough(HttpServer server) {
    this.server = server;
  }

  static PassThrough start(URI real, Rule rule) throws IOException {
    HttpClient http = HttpClient.newHttpClient();
    HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        0);
    s.createContext("/", x -> {
      try (x) {
        byte[] body;
        try (InputStream in = x.getRequestBody()) {
          body = in.readAllBytes();
        }
        String type = x.getRequestHeaders().getFirst("Content-Type");
        answer(x, rule.reply(x.getRequestMethod(), x.getRequestURI().getPath(), type,
            () -> pass(http, real, x, type, body)));
      }
    });
    s.start();
    return new PassThrough(s);
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Passes a request on to the real server as it came. */
  private static Reply pass(HttpClient http, URI real, HttpExchange x, String type, byte[] body)
      throws IOException {
    HttpRequest.Builder b = HttpRequest.newBuilder(real.resolve(x.getRequestURI().toString()))
        .method(x.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body));
    String auth = x.getRequestHeaders().getFirst("Authorization");
    if (auth != null) {
      b.header("Authorization", auth);
    }
    if (type != null) {
      b.header("Content-Type", type);
    }
    String cookie = x.getRequestHeaders().getFirst("Cookie");
    if (cookie != null) {
      b.header("Cookie", cookie);
    }
    try {
      HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      java.util.Map<String, java.util.List<String>> headers = new java.util.HashMap<>();
      for (String h : java.util.List.of("Location", "Set-Cookie")) {
        java.util.List<String> v = r.headers().allValues(h);
        if (!v.isEmpty()) {
          headers.put(h, v);
        }
      }
      return new Reply(r.statusCode(), r.body(), headers);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  private static void answer(HttpExchange x, Reply r) throws IOException {
    x.getResponseHeaders().set("Content-Type", "application/json");
    r.headers().forEach((k, v) -> x.getResponseHeaders().put(k, new java.util.ArrayList<>(v)));
    x.sendResponseHeaders(r.status(), r.body().length == 0 ? -1 : r.body().length);
    if (r.body().length > 0) {
      x.getResponseBody().write(r.body());
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
