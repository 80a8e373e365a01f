package org.neguard.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/** A plain JDK HTTP client for driving the real server in tests. */
public final class Http {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  /** An answer: status and body (parsed as JSON when it is JSON). */
  public record Response(int status, String body) {
    public JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON (status " + status + "): " + body, e);
      }
    }

    /** The first reason code of a refusal body. */
    public String code() {
      return json().path("reasons").path(0).path("code").asText();
    }

    @Override
    public String toString() {
      return status + " " + body;
    }
  }

  private final URI base;

  public Http(URI base) {
    this.base = base;
  }

  public Response send(String method, String path, String token, String jsonBody) {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
        .timeout(Duration.ofSeconds(60));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (jsonBody != null) {
      b.header("Content-Type", "application/json");
      b.method(method, HttpRequest.BodyPublishers.ofString(jsonBody));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return send(b.build());
  }

  /** A request with exactly these headers (none added), for odd credentials and bodies. */
  public Response sendRaw(String method, String path, java.util.Map<String, String> headers,
      byte[] body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
        .timeout(Duration.ofSeconds(60))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach(b::header);
    return send(b.build());
  }

  public Response get(String path, String token) {
    return send("GET", path, token, null);
  }

  public Response post(String path, String token, Object body) {
    return send("POST", path, token, json(body));
  }

  /** Uploads every file at once (all released together), answers in the files' order. */
  public java.util.List<Response> uploadAllAtOnce(java.util.List<Path> files, String token)
      throws Exception {
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(files.size());
    try {
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      java.util.List<java.util.concurrent.Future<Response>> answers = new java.util.ArrayList<>();
      for (Path f : files) {
        answers.add(pool.submit(() -> {
          go.await();
          return upload(f, token);
        }));
      }
      go.countDown();
      java.util.List<Response> r = new java.util.ArrayList<>();
      for (java.util.concurrent.Future<Response> a : answers) {
        r.add(a.get(5, java.util.concurrent.TimeUnit.MINUTES));
      }
      return r;
    } finally {
      pool.shutdownNow();
    }
  }

  public Response upload(Path bundle, String token) {
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("/api/packages"))
          .timeout(Duration.ofMinutes(5))
          .header("Content-Type", "application/octet-stream")
          .POST(HttpRequest.BodyPublishers.ofFile(bundle));
      if (token != null) {
        b.header("Authorization", "Bearer " + token);
      }
      return send(b.build());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Response uploadBytes(byte[] bytes, String token) {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("/api/packages"))
        .timeout(Duration.ofMinutes(5))
        .header("Content-Type", "application/octet-stream")
        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return send(b.build());
  }

  /** Logs in and returns the token. */
  public String login(String user, String password) {
    Response r = post("/api/auth/login", null,
        java.util.Map.of("username", user, "password", password));
    if (r.status() != 200) {
      throw new AssertionError("login of " + user + " failed: " + r);
    }
    return r.json().path("token").asText();
  }

  static String json(Object body) {
    if (body == null) {
      return null;
    }
    if (body instanceof String s) {
      return s;
    }
    try {
      return JSON.writeValueAsString(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Response send(HttpRequest request) {
    try {
      HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
