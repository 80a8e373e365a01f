package org.neguard.server.repo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.neguard.agent.client.DeviceIdentity;
import org.neguard.server.Bundles;
import org.neguard.server.Http;
import org.neguard.server.TestServer;
import org.neguard.tuf.ClientConfig;
import org.neguard.tuf.Fetcher;
import org.neguard.tuf.Metadata;
import org.neguard.tuf.Role;
import org.neguard.tuf.RootBuilder;
import org.neguard.tuf.RootMetadata;
import org.neguard.tuf.SigningKey;
import org.neguard.tuf.TufClient;
import org.neguard.tuf.TufKey;

/**
 * Test support for the repository: offline root keys made here, roots assembled and signed with
 * the library, uploads, and TUF clients that fetch from the users' port (a bearer token) or
 * from the agents' port (an enrolled device's certificate).
 */
final class RepoFixture {
  static final String BASE = "/api/repo/v1";

  private RepoFixture() {}

  /** The server's online public keys, as GET /api/repo/online-keys answers them. */
  static Map<Role, TufKey> onlineKeys(TestServer s) throws Exception {
    Http.Response r = s.http.get("/api/repo/online-keys", s.adminToken());
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    JsonNode j = r.json();
    Map<Role, TufKey> m = new EnumMap<>(Role.class);
    for (Role role : List.of(Role.TARGETS, Role.SNAPSHOT, Role.TIMESTAMP)) {
      m.put(role, TufKey.fromJson(j.path(role.roleName())));
    }
    return m;
  }

  /**
   * A root of {@code version} naming {@code rootKeys} with {@code threshold} and {@code online}
   * for the online roles, expiring in a year, signed by {@code signers} in that order.
   */
  static Metadata root(int version, List<SigningKey> rootKeys, int threshold,
      Map<Role, TufKey> online, List<SigningKey> signers) {
    RootBuilder b = RootBuilder.create(Instant.now().plus(365, ChronoUnit.DAYS))
        .version(version)
        .role(Role.ROOT, rootKeys.stream().map(SigningKey::key).toList(), threshold);
    online.forEach((role, key) -> b.role(role, List.of(key), 1));
    RootMetadata root = b.build();
    Metadata md = root.toMetadata();
    for (SigningKey k : signers) {
      md = md.sign(k);
    }
    return md;
  }

  static Http.Response postRoot(TestServer s, String token, byte[] body) {
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(s.server.url().resolve("/api/repo/root"))
          .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(body));
      if (token != null) {
        b.header("Authorization", "Bearer " + token);
      }
      HttpResponse<String> r = HttpClient.newHttpClient().send(b.build(),
          HttpResponse.BodyHandlers.ofString());
      return new Http.Response(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Uploads a newly signed package as the publisher; returns the stored package's JSON. */
  static JsonNode upload(TestServer s, String name, String version, long seed) throws Exception {
    Path work = Files.createDirectories(s.dir.resolve("work"));
    Path b = Bundles.signed(work, name, version, seed, 6_000, s.pki.codeSigner().material());
    Http.Response r = s.http.upload(b, s.token(TestServer.Role.PUBLISHER));
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    return r.json();
  }

  /** A fetcher for the users' port: a bearer token (or none), redirects not followed. */
  static Fetcher users(String token) {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    return (uri, maxBytes) -> {
      HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30));
      if (token != null) {
        b.header("Authorization", "Bearer " + token);
      }
      return open(client, b.build());
    };
  }

  /** A fetcher for the agents' port: mutual TLS with the device's certificate. */
  static Fetcher device(DeviceIdentity id) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", id.ca());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(trust);
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("me", id.keyPair().getPrivate(), new char[0],
        new java.security.cert.X509Certificate[] {id.certificate()});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
    kmf.init(ks, new char[0]);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    HttpClient client = HttpClient.newBuilder().sslContext(tls)
        .connectTimeout(Duration.ofSeconds(10)).build();
    return (uri, maxBytes) -> open(client,
        HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build());
  }

  private static Optional<InputStream> open(HttpClient client, HttpRequest request)
      throws IOException {
    try {
      HttpResponse<InputStream> r = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
      if (r.statusCode() == 404 || r.statusCode() == 410) {
        r.body().close();
        return Optional.empty();
      }
      if (r.statusCode() != 200) {
        r.body().close();
        throw new IOException("HTTP " + r.statusCode() + " for " + request.uri());
      }
      return Optional.of(r.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** A client trusting {@code rootJson}, keeping its state in a new directory under the server's. */
  static TufClient client(TestServer s, URI port, Fetcher fetcher, byte[] rootJson)
      throws Exception {
    Path state = Files.createTempDirectory(s.dir, "tuf-client-");
    TufClient.bootstrap(state, rootJson);
    return new TufClient(ClientConfig.forRepository(URI.create(port + BASE + "/"), state,
        fetcher));
  }

  /** The audit rows after {@code seq} with {@code action}. */
  static List<JsonNode> audit(TestServer s, long after, String action) {
    List<JsonNode> rows = new ArrayList<>();
    for (JsonNode r : s.http.get("/api/audit?after=" + after + "&limit=10000", s.adminToken())
        .json()) {
      if (r.path("action").asText().equals(action)) {
        rows.add(r);
      }
    }
    return rows;
  }

  static long auditHead(TestServer s) {
    return s.http.get("/api/audit?tail=true&limit=1", s.adminToken()).json().path(0).path("seq")
        .asLong();
  }

  /** A GET on the agents' port trusting {@code ca}, presenting no client certificate. */
  static Http.Response agentsGet(java.security.cert.X509Certificate ca, URI deviceUrl,
      String path) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", ca);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(trust);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, tmf.getTrustManagers(), null);
    HttpResponse<String> r = HttpClient.newBuilder().sslContext(tls).build().send(
        HttpRequest.newBuilder(URI.create(deviceUrl + path)).build(),
        HttpResponse.BodyHandlers.ofString());
    return new Http.Response(r.statusCode(), r.body());
  }

  /** A GET of {@code rawPath} exactly as written (no normalization of dot segments). */
  static Http.Response rawGet(URI base, String rawPath, String token) {
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base.toString() + rawPath))
          .timeout(Duration.ofSeconds(30));
      if (token != null) {
        b.header("Authorization", "Bearer " + token);
      }
      HttpResponse<String> r = HttpClient.newHttpClient().send(b.build(),
          HttpResponse.BodyHandlers.ofString());
      return new Http.Response(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
