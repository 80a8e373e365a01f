package org.neguard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.pki.TlsKeyExchange;
import org.neguard.testing.Openssl;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Starting the server (SRC-1, OBJ-1): a generated first admin password shown once; data kept
 * across restarts; TLS with a given key store; plain HTTP refused off loopback; one server per
 * data directory; health and metrics.
 */
@DisplayName("SRC-1 OBJ-1 server start")
class StartTest {
  Path dir;

  @BeforeEach
  void dir() throws Exception {
    dir = Files.createTempDirectory("neguard-start-test-");
  }

  @AfterEach
  void clean() throws Exception {
    TestServer.delete(dir);
  }

  @Test
  void firstStart_generatesAdminPasswordOnce_restartKeepsData() throws Exception {
    ServerConfig config = ServerConfig.builder(dir.resolve("data")).port(0).quiet(true).build();
    String printed;
    String password;
    try (NeguardServer server = startCapturing(config, out -> { })) {
      printed = lastCapture;
      Matcher m = Pattern.compile("one-time password:\\s+(\\S{24})\\s").matcher(printed);
      assertThat(m.find()).as(printed).isTrue();
      password = m.group(1);
      Http http = new Http(server.url());
      String token = http.login("admin", password);
      assertThat(http.post("/api/users", token, java.util.Map.of("username", "kept",
          "password", "kept-password-1", "roles", java.util.List.of("auditor"))).status())
          .isEqualTo(201);
    }
    try (NeguardServer server = startCapturing(config, out -> { })) {
      assertThat(lastCapture).doesNotContain("one-time password");
      Http http = new Http(server.url());
      http.login("admin", password);
      http.login("kept", "kept-password-1");
    }
  }

  @Test
  void plainHttpOffLoopback_refusedBeforeListening() {
    ServerConfig config = ServerConfig.builder(dir.resolve("data")).bindAddress("0.0.0.0")
        .port(0).quiet(true).build();
    RefusalException e = catchThrowableOfType(RefusalException.class,
        () -> NeguardServer.start(config));
    assertThat(e).isNotNull();
    assertThat(e.code()).isEqualTo(ReasonCode.BAD_INPUT);
    assertThat(e.getMessage()).contains("--tls-keystore").contains("--insecure-plain-http");
    assertThat(dir.resolve("data")).doesNotExist();
  }

  @Test
  void secondServerOnSameDataDir_refused() throws Exception {
    TestServer.prepare(dir, org.neguard.testing.TestPki.create());
    ServerConfig config = ServerConfig.builder(dir.resolve("data")).port(0).quiet(true)
        .adminPasswordFile(dir.resolve("admin-password")).build();
    try (NeguardServer first = NeguardServer.start(config)) {
      RefusalException e = catchThrowableOfType(RefusalException.class,
          () -> NeguardServer.start(config));
      assertThat(e).isNotNull();
      assertThat(e.getMessage()).contains("another NEGuard server is using the data directory");
      assertThat(new Http(first.url()).get("/actuator/health", null).status()).isEqualTo(200);
    }
  }

  /**
   * Issue 15's server CPU (docs/BENCHMARKS.md, "The TLS key exchange on AWS-LC"): the agents'
   * port computes a P-256 exchange, what agents offer, on AWS-LC; openssl is the client.
   */
  @Test
  void agentsPort_p256KeyShare_agreedByAwsLc() throws Exception {
    try (TestServer s = TestServer.start()) {
      URI agents = s.server.deviceUrl();
      long before = TlsKeyExchange.awsLcAgreements();
      Openssl.Result r = Openssl.run(dir, new byte[0], "s_client", "-connect",
          agents.getHost() + ":" + agents.getPort(), "-tls1_3", "-groups", "P-256", "-brief");
      assertThat(r.exit()).as(r.stderr()).isZero();
      assertThat(r.stderr()).contains("Server Temp Key: ECDH, prime256v1");
      assertThat(TlsKeyExchange.awsLcAgreements()).isGreaterThan(before);
    }
  }

  @Test
  void tls_servesHttpsWithTheGivenKeyStore_healthAndMetrics() throws Exception {
    TestServer.prepare(dir, org.neguard.testing.TestPki.create());
    TestTls tls = TestTls.create(dir);
    ServerConfig config = ServerConfig.builder(dir.resolve("data")).port(0).quiet(true)
        .adminPasswordFile(dir.resolve("admin-password")).tls(tls.keyStore(), tls.password())
        .build();
    try (NeguardServer server = NeguardServer.start(config)) {
      assertThat(server.url().getScheme()).isEqualTo("https");
      HttpClient client = HttpClient.newBuilder().sslContext(tls.client())
          .connectTimeout(Duration.ofSeconds(10)).build();
      HttpResponse<String> health = client.send(
          HttpRequest.newBuilder(server.url().resolve("/actuator/health")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).contains("\"UP\"");
      assertThat(health.sslSession()).isPresent();
      // Plain HTTP on the TLS port gets no API.
      Http.Response plain = new Http(URI.create("http://127.0.0.1:" + server.port()))
          .get("/actuator/health", null);
      assertThat(plain.status()).isNotEqualTo(200);
      // Metrics need admin or auditor.
      String login = "{\"username\":\"admin\",\"password\":\"" + TestServer.ADMIN_PASSWORD + "\"}";
      HttpResponse<String> token = client.send(
          HttpRequest.newBuilder(server.url().resolve("/api/auth/login"))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(login)).build(),
          HttpResponse.BodyHandlers.ofString());
      String t = Http.JSON.readTree(token.body()).path("token").asText();
      HttpResponse<String> metrics = client.send(
          HttpRequest.newBuilder(server.url().resolve("/actuator/prometheus"))
              .header("Authorization", "Bearer " + t).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains("jvm_memory_used_bytes").contains("neguard_");
      // The embedded database's housekeeping runs (EmbeddedDatabaseHousekeeping): it has
      // measured the file.
      assertThat(metrics.body().lines()
          .filter(l -> l.startsWith("neguard_database_file_bytes "))
          .map(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1))))
          .singleElement().satisfies(b -> assertThat(b).isPositive());
    }
  }

  @Test
  @DisplayName("SRC-1 AV-2 settings come from the command line only: files in the working"
      + " directory, SPRING_*/NEGUARD_* variables and system properties relax nothing and open"
      + " no second listener")
  void externalConfig_filesEnvAndSystemProperties_ignored() throws Exception {
    org.neguard.testing.TestPki pki = org.neguard.testing.TestPki.create();
    TestServer.prepare(dir, pki);
    int mgmt;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1,
        java.net.InetAddress.getLoopbackAddress())) {
      mgmt = free.getLocalPort();
    }
    String relaxed = String.join("\n",
        "neguard.scan.max-db-age=36500d", "neguard.scan.min-av-engines=0",
        "neguard.scan.allow-unversioned-db=true", "management.server.port=" + mgmt,
        "management.server.address=127.0.0.1", "management.endpoints.web.exposure.include=*",
        "server.address=0.0.0.0", "") ;
    Path cwd = Files.createDirectories(dir.resolve("cwd"));
    Files.createDirectories(cwd.resolve("config"));
    Files.createDirectories(cwd.resolve("extra"));
    for (String f : new String[] {"neguard-server.properties", "application.properties",
        "config/application.properties", "config/neguard-server.properties",
        "extra/application.properties", "extra.properties"}) {
      Files.writeString(cwd.resolve(f), relaxed);
    }
    java.util.Map<String, String> env = java.util.Map.of(
        "SPRING_APPLICATION_JSON", "{\"neguard.scan.max-db-age\":\"36500d\","
            + "\"management.server.port\":" + mgmt + "}",
        "NEGUARD_SCAN_MAXDBAGE", "36500d",
        "NEGUARD_SCAN_MAX_DB_AGE", "36500d",
        "MANAGEMENT_SERVER_PORT", Integer.toString(mgmt),
        "MANAGEMENT_ENDPOINTS_WEB_EXPOSURE_INCLUDE", "*",
        "SPRING_CONFIG_ADDITIONAL_LOCATION", "file:" + cwd.resolve("extra") + "/",
        "SPRING_CONFIG_IMPORT", "optional:file:" + cwd.resolve("extra.properties"));
    java.util.List<String> jvm = java.util.List.of("-Xmx256m",
        "-Dneguard.scan.max-db-age=36500d", "-Dmanagement.server.port=" + mgmt,
        "-Dspring.config.additional-location=file:" + cwd.resolve("extra") + "/");
    // A package whose database was 30 days old at the scan: the default policy (7 days) refuses
    // it, every relaxed setting above would let it in.
    Path work = Files.createDirectories(dir.resolve("work"));
    Instant now = Instant.now();
    Path stale = Bundles.sign(Bundles.withReport(
        Bundles.unsigned(work, "relaxed", "1.0.0", 1, 10_000),
        now.minus(Duration.ofDays(30)), now), pki.codeSigner().material());
    try (ServerProcess p = ServerProcess.start(dir.resolve("data"), dir.resolve("admin-password"),
        cwd, env, jvm)) {
      assertThat(p.url.getHost()).isEqualTo("127.0.0.1");
      Http http = new Http(p.url);
      String admin = http.login("admin", TestServer.ADMIN_PASSWORD);
      assertThat(http.post("/api/users", admin, java.util.Map.of("username", "pub", "password",
          "publisher-password", "roles", java.util.List.of("publisher"))).status())
          .isEqualTo(201);
      Http.Response r = http.upload(stale, http.login("pub", "publisher-password"));
      assertThat(r.status()).as("%s", r).isEqualTo(422);
      assertThat(r.code()).isEqualTo("SCAN_POLICY");
      assertThat(r.body()).contains("30 days old");
      assertThat(http.get("/actuator/env", admin).status()).isNotEqualTo(200);
      try (java.net.Socket second = new java.net.Socket()) {
        second.connect(new java.net.InetSocketAddress("127.0.0.1", mgmt), 2000);
        throw new AssertionError("a second listener opened on port " + mgmt);
      } catch (java.net.ConnectException expected) {
        // nothing listens there
      }
    }
  }

  @Test
  @DisplayName("SRC-1 an existing data directory open to others or owned by another user is"
      + " refused")
  void existingDataDir_openToOthersOrForeign_refusedWithAdvice() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    java.nio.file.Files.setPosixFilePermissions(data,
        java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    ServerConfig config = ServerConfig.builder(data).port(0).quiet(true).build();
    RefusalException open = catchThrowableOfType(RefusalException.class,
        () -> NeguardServer.start(config));
    assertThat(open).isNotNull();
    assertThat(open.code()).isEqualTo(ReasonCode.BAD_INPUT);
    assertThat(open.getMessage()).contains("open to others").contains("chmod 700 " + data);
    assertThat(data.resolve("server.lock")).doesNotExist();

    java.nio.file.Files.setPosixFilePermissions(data,
        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    long me = new com.sun.security.auth.module.UnixSystem().getUid();
    Files.setAttribute(data, "unix:uid", (int) me + 4242);
    try {
      RefusalException foreign = catchThrowableOfType(RefusalException.class,
          () -> NeguardServer.start(config));
      assertThat(foreign).isNotNull();
      assertThat(foreign.getMessage()).contains("belongs to uid " + (me + 4242));
    } finally {
      Files.setAttribute(data, "unix:uid", (int) me);
    }
  }

  @Test
  @DisplayName("SRC-2 a package stored before migration V3 (named by its manifest) is hashed,"
      + " renamed and recorded at the next start: no record lost")
  void restart_legacyPackageNamedByManifest_upgradedToWholeFileDigest() throws Exception {
    org.neguard.testing.TestPki pki = org.neguard.testing.TestPki.create();
    TestServer.prepare(dir, pki);
    ServerConfig config = ServerConfig.builder(dir.resolve("data")).port(0).quiet(true)
        .adminPasswordFile(dir.resolve("admin-password")).build();
    Path work = Files.createDirectories(dir.resolve("work"));
    Path b = Bundles.signed(work, "legacy", "1.0.0", 1, 10_000, pki.codeSigner().material());
    String sha;
    String manifest;
    try (NeguardServer server = NeguardServer.start(config)) {
      Http http = new Http(server.url());
      String admin = http.login("admin", TestServer.ADMIN_PASSWORD);
      http.post("/api/users", admin, java.util.Map.of("username", "pub", "password",
          "publisher-password", "roles", java.util.List.of("publisher")));
      Http.Response up = http.upload(b, http.login("pub", "publisher-password"));
      assertThat(up.status()).as("%s", up).isEqualTo(201);
      sha = up.json().path("sha256").asText();
      manifest = up.json().path("manifestSha256").asText();
    }
    // As a server before V3 left it: no file digest, the file named by the manifest's digest.
    Path packages = dir.resolve("data/packages");
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(
            NeguardServer.embeddedUrl(dir.resolve("data/db")), "sa", "");
        java.sql.Statement st = c.createStatement()) {
      st.executeUpdate("UPDATE packages SET file_sha256 = NULL");
    }
    Files.move(packages.resolve(sha + ".ngp"), packages.resolve(manifest + ".ngp"));
    try (NeguardServer server = NeguardServer.start(config)) {
      Http http = new Http(server.url());
      String admin = http.login("admin", TestServer.ADMIN_PASSWORD);
      assertThat(http.get("/api/packages/legacy/1.0.0", admin).json().path("sha256").asText())
          .isEqualTo(sha);
      try (java.util.stream.Stream<Path> files = Files.list(packages)) {
        assertThat(files.map(f -> f.getFileName().toString()).toList())
            .containsExactly(sha + ".ngp");
      }
      assertThat(packages.resolve(sha + ".ngp")).hasSameBinaryContentAs(b);
    }
  }

  private String lastCapture;

  private NeguardServer startCapturing(ServerConfig config,
      java.util.function.Consumer<String> unused) throws Exception {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      return NeguardServer.start(config);
    } finally {
      System.setOut(old);
      lastCapture = buf.toString(StandardCharsets.UTF_8);
    }
  }
}
