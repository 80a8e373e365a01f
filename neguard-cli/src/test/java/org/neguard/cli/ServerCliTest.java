package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.cli.server.ServerLauncher;
import org.neguard.server.NeguardServer;
import org.neguard.server.ServerConfig;
import org.neguard.testing.FakePeer;

/**
 * The server's CLI client end to end against a real server on loopback (SRC-1, SRC-2, SRC-3):
 * login with a 0600 token file, user and token management, upload and list, audit list, verify
 * (exit 3 naming an altered row) and export, the authorization evidence, and {@code neguard
 * server} as its own process. Also: commands that do not talk to a server load no Spring class.
 */
@DisplayName("SRC-1 SRC-2 SRC-3 CLI client")
class ServerCliTest {
  static Path dir;
  static Path pki;
  static Path bundle;
  static Path tampered;
  static Path adminPw;
  static NeguardServer server;
  static String url;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("neguard-cli-server-test-");
    pki = SignedBundles.demoPki(dir.resolve("pki"));
    byte[] lib = new byte[100_000];
    new java.util.Random(42).nextBytes(lib);
    bundle = SignedBundles.build(dir, pki, "core", "1.0", 1, "mme", lib);
    tampered = dir.resolve("core-1.0-tampered.ngp");
    byte[] bytes = Files.readAllBytes(bundle);
    byte[] needle = Arrays.copyOf(lib, 64);
    for (int i = 0; i < bytes.length - 64; i++) {
      if (Arrays.equals(bytes, i, i + 64, needle, 0, 64)) {
        bytes[i + 500] ^= 1;
        break;
      }
    }
    Files.write(tampered, bytes);
    adminPw = write("admin-password", "cli-test-admin-password");
    write("pub-password", "cli-test-publisher-pw");
    server = ServerLauncher.start(ServerConfig.builder(dir.resolve("data")).port(0).quiet(true)
        .adminPasswordFile(adminPw).build(), List.of(pki.resolve("ca.pem")), List.of());
    url = server.url().toString();
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (server != null) {
        server.close();
      }
    } finally {
      try (var s = Files.walk(dir)) {
        for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  static Path write(String name, String content) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, content + "\n");
    return p;
  }

  /** Runs a client command with this test's config dir. */
  static CliRun cli(Path config, String... args) {
    return CliRun.as(config, args);
  }

  static Path loggedIn(String name, String user, String passwordFile) throws Exception {
    Path config = dir.resolve("config-" + name);
    CliRun login = cli(config, "login", "--server", url, "--user", user, "--password-file",
        dir.resolve(passwordFile).toString(), "--json");
    assertThat(login.exit()).as("%s", login).isZero();
    return config;
  }

  @Test
  void login_savesToken0600_andDrivesUsersPackagesTokens() throws Exception {
    Path admin = loggedIn("flow-admin", "admin", "admin-password");
    Path creds = admin.resolve("credentials.json");
    assertThat(Files.getPosixFilePermissions(creds))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.getPosixFilePermissions(admin))
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    assertThat(Files.readString(creds)).contains("\"token\" : \"ngt_");

    CliRun add = cli(admin, "user", "add", "pub", "--role", "publisher", "--password-file",
        dir.resolve("pub-password").toString(), "--json");
    assertThat(add.exit()).as("%s", add).isZero();
    CliRun generated = cli(admin, "user", "add", "watcher", "--role", "auditor",
        "--role", "operator");
    assertThat(generated.out()).contains("Generated password (shown once): ");
    CliRun list = cli(admin, "user", "list", "--json");
    assertThat(list.json().path("users").findValuesAsText("username"))
        .contains("admin", "pub", "watcher");

    Path pub = loggedIn("flow-pub", "pub", "pub-password");
    CliRun up = cli(pub, "pkg", "upload", bundle.toString(), "--json");
    assertThat(up.exit()).as("%s", up).isZero();
    assertThat(up.json().path("verdict").asText()).isEqualTo("pass");
    assertThat(up.json().path("package").path("name").asText()).isEqualTo("core");

    CliRun bad = cli(pub, "pkg", "upload", tampered.toString(), "--json");
    assertThat(bad.exit()).as("%s", bad).isEqualTo(3);
    assertThat(bad.json().path("reasons").path(0).path("code").asText())
        .isEqualTo("DIGEST_MISMATCH");
    assertThat(bad.json().path("reasons").path(0).path("subject").asText())
        .isEqualTo("lib/core.so");
    CliRun local = CliRun.of("pkg", "verify", tampered.toString(), "--trust",
        pki.resolve("ca.pem").toString(), "--json");
    assertThat(bad.json().path("reasons").path(0).path("code"))
        .isEqualTo(local.json().path("reasons").path(0).path("code"));

    CliRun text = cli(pub, "pkg", "upload", tampered.toString());
    assertThat(text.out()).contains("FAIL  " + tampered).contains("DIGEST_MISMATCH");
    assertThat(text.err()).doesNotContain("Exception");

    CliRun pkgs = cli(pub, "pkg", "list", "--json");
    assertThat(pkgs.json().path("packages").findValuesAsText("name")).containsExactly("core");

    CliRun token = cli(pub, "user", "token", "create", "--name", "ci job", "--ttl-hours", "2",
        "--json");
    assertThat(token.exit()).as("%s", token).isZero();
    String secret = token.json().path("token").asText();
    String id = token.json().path("id").asText();
    CliRun tokens = cli(pub, "user", "token", "list");
    assertThat(tokens.out()).contains(id).contains("ci job").doesNotContain(secret.substring(20));
    assertThat(cli(pub, "user", "token", "revoke", id).exit()).isZero();
    assertThat(cli(pub, "user", "token", "list").out()).contains("revoked");

    // A publisher is not an admin; a disabled user's saved token stops working.
    CliRun denied = cli(pub, "user", "list", "--json");
    assertThat(denied.exit()).isEqualTo(3);
    assertThat(denied.json().path("reasons").path(0).path("code").asText())
        .isEqualTo("NOT_AUTHORIZED");
    assertThat(cli(admin, "user", "disable", "pub").exit()).isZero();
    CliRun gone = cli(pub, "pkg", "list", "--json");
    assertThat(gone.exit()).isEqualTo(3);
    assertThat(gone.json().path("reasons").path(0).path("message").asText()).contains("disabled");
    assertThat(cli(admin, "user", "enable", "pub").exit()).isZero();
    assertThat(cli(admin, "user", "roles", "pub", "--role", "publisher", "--role", "auditor")
        .exit()).isZero();
    assertThat(cli(pub, "audit", "list").exit()).isZero();

    assertThat(cli(pub, "logout").exit()).isZero();
    assertThat(cli(pub, "pkg", "list", "--server", url).exit()).isEqualTo(3);
  }

  /** A refusal decided before the body is read reaches the client, not a broken pipe. */
  @Test
  void upload_largeFileWrongRole_answeredWithTheRefusalNotABrokenPipe() throws Exception {
    Path admin = loggedIn("big-admin", "admin", "admin-password");
    write("op-password", "cli-test-operator-pw");
    assertThat(cli(admin, "user", "add", "big-op", "--role", "operator", "--password-file",
        dir.resolve("op-password").toString()).exit()).isZero();
    Path op = loggedIn("big-op", "big-op", "op-password");
    Path big = dir.resolve("big.ngp");
    try (var f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
      f.setLength(256L << 20); // sparse: costs no disk
    }
    long start = System.nanoTime();
    CliRun r = cli(op, "pkg", "upload", big.toString(), "--json");
    assertThat(r.exit()).as("%s", r).isEqualTo(3);
    assertThat(r.json().path("reasons").path(0).path("code").asText()).isEqualTo("NOT_AUTHORIZED");
    assertThat(System.nanoTime() - start).as("refused quickly").isLessThan(20_000_000_000L);
    Files.delete(big);
  }

  /** An https server with a private CA: trusted with --cacert, refused without. */
  @Test
  void login_httpsWithPrivateCa_needsCacert() throws Exception {
    java.security.KeyPair key = org.neguard.pki.KeyType.EC_P256.generate();
    javax.security.auth.x500.X500Principal name =
        new javax.security.auth.x500.X500Principal("CN=127.0.0.1");
    java.time.Instant now = java.time.Instant.now();
    var b = new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(name,
        java.math.BigInteger.valueOf(7), java.util.Date.from(now.minusSeconds(60)),
        java.util.Date.from(now.plusSeconds(86400)), name, key.getPublic());
    b.addExtension(org.bouncycastle.asn1.x509.Extension.subjectAlternativeName, false,
        new org.bouncycastle.asn1.x509.GeneralNames(new org.bouncycastle.asn1.x509.GeneralName(
            org.bouncycastle.asn1.x509.GeneralName.iPAddress, "127.0.0.1")));
    java.security.cert.X509Certificate cert =
        new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(
            b.build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA")
                .build(key.getPrivate())));
    java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("server", key.getPrivate(), "tls-pass".toCharArray(),
        new java.security.cert.X509Certificate[] {cert});
    Path p12 = dir.resolve("tls.p12");
    try (var o = Files.newOutputStream(p12)) {
      ks.store(o, "tls-pass".toCharArray());
    }
    Path caPem = write("tls-ca.pem", org.neguard.pki.DemoPki.pem(cert).strip());
    try (NeguardServer tls = ServerLauncher.start(ServerConfig.builder(dir.resolve("tls-data"))
        .port(0).quiet(true).adminPasswordFile(adminPw).tls(p12, "tls-pass").build(),
        List.of(), List.of())) {
      String https = tls.url().toString();
      assertThat(https).startsWith("https://");
      Path config = dir.resolve("config-tls");
      CliRun untrusted = cli(config, "login", "--server", https, "--user", "admin",
          "--password-file", adminPw.toString(), "--json");
      assertThat(untrusted.exit()).as("%s", untrusted).isEqualTo(1);
      assertThat(untrusted.json().path("reasons").path(0).path("message").asText())
          .contains("--cacert");
      CliRun trusted = cli(config, "login", "--server", https, "--user", "admin",
          "--password-file", adminPw.toString(), "--cacert", caPem.toString(), "--json");
      assertThat(trusted.exit()).as("%s", trusted).isZero();
      assertThat(cli(config, "pkg", "list", "--cacert", caPem.toString()).exit()).isZero();
    }
  }

  @Test
  void auditVerify_alteredRowInDatabase_exits3NamingIt() throws Exception {
    Path admin = loggedIn("audit-admin", "admin", "admin-password");
    CliRun ok = cli(admin, "audit", "verify", "--json");
    assertThat(ok.exit()).as("%s", ok).isZero();
    assertThat(ok.json().path("verdict").asText()).isEqualTo("pass");
    try (Connection c = DriverManager.getConnection(
            NeguardServer.embeddedUrl(dir.resolve("data/db")), "sa", "");
        Statement st = c.createStatement()) {
      var rs = st.executeQuery("SELECT actor FROM audit_log WHERE seq = 2");
      rs.next();
      String old = rs.getString(1);
      st.executeUpdate("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2");
      try {
        CliRun broken = cli(admin, "audit", "verify", "--json");
        assertThat(broken.exit()).as("%s", broken).isEqualTo(3);
        JsonNode reason = broken.json().path("reasons").path(0);
        assertThat(reason.path("code").asText()).isEqualTo("AUDIT_CHAIN_BROKEN");
        assertThat(reason.path("subject").asText()).isEqualTo("row 2");
        CliRun text = cli(admin, "audit", "verify");
        assertThat(text.exit()).isEqualTo(3);
        assertThat(text.out()).contains("AUDIT_CHAIN_BROKEN").contains("row 2 was altered");
      } finally {
        st.executeUpdate("UPDATE audit_log SET actor = '" + old + "' WHERE seq = 2");
      }
    }
    assertThat(cli(admin, "audit", "verify").exit()).isZero();
  }

  @Test
  void auditListAndExport_jsonlAndCefFiles() throws Exception {
    Path admin = loggedIn("export-admin", "admin", "admin-password");
    CliRun list = cli(admin, "audit", "list", "--limit", "5", "--json");
    assertThat(list.json().path("rows").size()).isBetween(1, 5);
    Path jsonl = dir.resolve("audit.jsonl");
    CliRun ex = cli(admin, "audit", "export", "--format", "jsonl", "--out", jsonl.toString(),
        "--json");
    assertThat(ex.exit()).as("%s", ex).isZero();
    List<String> lines = Files.readAllLines(jsonl);
    assertThat(lines).isNotEmpty().allMatch(l -> l.startsWith("{\"seq\":"));
    assertThat(ex.json().path("records").asLong()).isEqualTo(lines.size());
    Path cef = dir.resolve("audit.cef");
    assertThat(cli(admin, "audit", "export", "--format", "cef", "--out", cef.toString()).exit())
        .isZero();
    assertThat(Files.readAllLines(cef)).allMatch(l -> l.startsWith("CEF:0|NEGuard|"));
    // An existing file, as in every command that writes one: refused, untouched; --force
    // replaces it whole.
    List<String> before = Files.readAllLines(cef);
    CliRun again = cli(admin, "audit", "export", "--format", "jsonl", "--out", cef.toString());
    assertThat(again.exit()).as("%s", again).isEqualTo(1);
    assertThat(again.err()).contains("BAD_INPUT", "pass --force to replace it");
    assertThat(Files.readAllLines(cef)).isEqualTo(before);
    CliRun forced = cli(admin, "audit", "export", "--format", "jsonl", "--out", cef.toString(),
        "--force");
    assertThat(forced.exit()).as("%s", forced).isZero();
    assertThat(Files.readAllLines(cef)).allMatch(l -> l.startsWith("{\"seq\":"));
    try (var names = Files.list(dir)) {
      assertThat(names.map(f -> f.getFileName().toString()))
          .noneMatch(n -> n.startsWith(".audit.cef."));
    }
    CliRun badFormat = cli(admin, "audit", "export", "--format", "xml", "--json");
    assertThat(badFormat.exit()).isEqualTo(1);
    assertThat(badFormat.json().path("reasons").path(0).path("code").asText())
        .isEqualTo("BAD_INPUT");
  }

  @Test
  void evidenceAuthz_writesHtmlAndJsonFromProbes() throws Exception {
    Path admin = loggedIn("evidence-admin", "admin", "admin-password");
    Path out = dir.resolve("evidence");
    CliRun ev = cli(admin, "evidence", "authz", "--server", url, "--out", out.toString(),
        "--json");
    assertThat(ev.exit()).as("%s", ev).isZero();
    JsonNode doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.resolve("evidence-authz.json").toFile());
    assertThat(doc.path("verdict").asText()).isEqualTo("pass");
    assertThat(doc.path("testCases").findValuesAsText("id")).contains("TC-SRC1-02",
        "TC-SRC1-03", "TC-SRC1-04", "TC-SRC1-05", "TC-SRC2-01", "TC-SRC2-02", "TC-SRC3-01",
        "TC-SRC3-02", "TC-SRC3-03", "TC-SRC1-06", "TC-SRC1-07", "TC-SRC1-11", "TC-SRC3-04");
    for (JsonNode c : doc.path("testCases")) {
      // The four-eyes cases need a stored package: PASS when another test uploaded one first,
      // else not tested (AuthzEvidenceDeployTest runs them on a server with one).
      boolean fourEyes = List.of("TC-SRC1-07", "TC-SRC1-08", "TC-SRC1-09", "TC-SRC1-10",
          "TC-SRC1-11", "TC-SRC3-04").contains(c.path("id").asText());
      assertThat(c.path("verdict").asText()).as("%s", c)
          .isIn(fourEyes ? List.of("PASS", "NOT_TESTED") : List.of("PASS"));
    }
    JsonNode upload = null;
    for (JsonNode row : doc.path("matrix")) {
      if (row.path("method").asText().equals("POST")
          && row.path("path").asText().equals("/api/packages")) {
        upload = row.path("results");
      }
    }
    assertThat(upload).isNotNull();
    assertThat(upload.path("none").asInt()).isEqualTo(401);
    assertThat(upload.path("operator").asInt()).isEqualTo(403);
    assertThat(upload.path("publisher").asInt()).isNotIn(401, 403);
    String html = Files.readString(out.resolve("evidence-authz.html"));
    assertThat(html).contains("RBAC matrix as enforced").contains("TC-SRC3-03")
        .contains("Demo").doesNotContain("FAIL<");
    // Probe users are disabled afterwards.
    CliRun users = cli(admin, "user", "list", "--json");
    for (JsonNode u : users.json().path("users")) {
      if (u.path("username").asText().startsWith("evidence-")) {
        assertThat(u.path("disabled").asBoolean()).as("%s", u).isTrue();
      }
    }
  }

  @Test
  void unreachableServer_exits1_notLoggedIn_exits3() throws Exception {
    Path config = dir.resolve("config-none");
    CliRun none = cli(config, "pkg", "list", "--server", "http://127.0.0.1:9", "--json");
    assertThat(none.exit()).isEqualTo(3);
    assertThat(none.json().path("reasons").path(0).path("message").asText())
        .contains("neguard login");
    write("nobody-pw", "whatever-password");
    CliRun down = cli(config, "login", "--server", "http://127.0.0.1:9", "--user", "x",
        "--password-file", dir.resolve("nobody-pw").toString(), "--json");
    assertThat(down.exit()).isEqualTo(1);
    assertThat(down.json().path("reasons").path(0).path("code").asText())
        .isEqualTo("SERVER_UNREACHABLE");
    CliRun wrong = cli(config, "login", "--server", url, "--user", "admin",
        "--password-file", dir.resolve("nobody-pw").toString(), "--json");
    assertThat(wrong.exit()).isEqualTo(3);
    assertThat(wrong.json().path("reasons").path(0).path("code").asText())
        .isEqualTo("NOT_AUTHENTICATED");
    assertThat(config.resolve("credentials.json")).doesNotExist();
  }

  /** A non-loopback address of this machine: a connection to it stays on this host. */
  static java.net.InetAddress localNonLoopback() throws Exception {
    for (java.net.NetworkInterface ni
        : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
      if (!ni.isUp() || ni.isLoopback()) {
        continue;
      }
      for (java.net.InetAddress a : java.util.Collections.list(ni.getInetAddresses())) {
        if (a instanceof java.net.Inet4Address && !a.isLoopbackAddress()
            && !a.isLinkLocalAddress()) {
          return a;
        }
      }
    }
    throw new AssertionError("this machine has no non-loopback IPv4 address to test with");
  }

  @Test
  @DisplayName("SRC-1 the client refuses plain HTTP to a server off loopback before connecting,"
      + " unless told --insecure-plain-http")
  void login_plainHttpOffLoopback_refusedBeforeAnyConnection() throws Exception {
    java.net.InetAddress here = localNonLoopback();
    // It answers nothing: a login that does connect fails.
    try (FakePeer listener = FakePeer.on(here, n -> FakePeer.HANG_UP)) {
      String plain = "http://" + here.getHostAddress() + ":" + listener.port();
      Path config = dir.resolve("config-plain");
      CliRun r = cli(config, "login", "--server", plain, "--user", "admin", "--password-file",
          adminPw.toString(), "--json");
      assertThat(r.exit()).as("%s", r).isEqualTo(1);
      JsonNode reason = r.json().path("reasons").path(0);
      assertThat(reason.path("code").asText()).isEqualTo("BAD_INPUT");
      assertThat(reason.path("message").asText()).contains("clear text")
          .contains("https://").contains("--insecure-plain-http");
      assertThat(listener.awaitAccepted(1, Duration.ofSeconds(1))).as("nothing connected")
          .isFalse();
      assertThat(config.resolve("credentials.json")).doesNotExist();

      // Told so, it does connect.
      CliRun insist = cli(config, "login", "--server", plain, "--insecure-plain-http",
          "--user", "admin", "--password-file", adminPw.toString(), "--json");
      assertThat(listener.awaitAccepted(1, Duration.ofSeconds(30))).as("connected").isTrue();
      assertThat(insist.exit()).isEqualTo(1);
    }
  }

  @Test
  @DisplayName("SRC-1 a credentials directory or file open to others is refused, and login"
      + " refuses before sending the password")
  void credentials_openToOthers_refusedWithChmodAdvice() throws Exception {
    Path config = loggedIn("perm", "admin", "admin-password");
    Path creds = config.resolve("credentials.json");
    String saved = Files.readString(creds);
    Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rwxr-xr-x"));
    CliRun list = cli(config, "pkg", "list", "--json");
    assertThat(list.exit()).as("%s", list).isEqualTo(1);
    assertThat(list.json().path("reasons").path(0).path("code").asText()).isEqualTo("BAD_INPUT");
    assertThat(list.json().path("reasons").path(0).path("message").asText())
        .contains("open to others").contains("chmod 700 " + config);
    CliRun login = cli(config, "login", "--server", url, "--user", "admin", "--password-file",
        adminPw.toString(), "--json");
    assertThat(login.exit()).as("%s", login).isEqualTo(1);
    assertThat(login.json().path("reasons").path(0).path("message").asText())
        .contains("chmod 700");
    assertThat(Files.readString(creds)).isEqualTo(saved);

    Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rwx------"));
    Files.setPosixFilePermissions(creds, PosixFilePermissions.fromString("rw-r--r--"));
    CliRun file = cli(config, "pkg", "list", "--json");
    assertThat(file.exit()).as("%s", file).isEqualTo(1);
    assertThat(file.json().path("reasons").path(0).path("message").asText())
        .contains("chmod 600 " + creds);
    Files.setPosixFilePermissions(creds, PosixFilePermissions.fromString("rw-------"));
    assertThat(cli(config, "pkg", "list").exit()).isZero();
  }

  @Test
  @DisplayName("SRC-2 a refused second server start on a data directory leaves the running"
      + " server's trust anchors as they were")
  void secondServerStart_withOtherTrust_refusedAndAnchorsUnchanged() throws Exception {
    Path other = dir.resolve("pki-rogue");
    assertThat(CliRun.of("pki", "demo", "--out", other.toString()).exit()).isZero();
    Path rogue = dir.resolve("rogue-ca.pem");
    Files.copy(other.resolve("ca.pem"), rogue, StandardCopyOption.REPLACE_EXISTING);
    Path anchors = dir.resolve("data/trust/anchors");
    List<String> before;
    try (var st = Files.list(anchors)) {
      before = st.map(f -> f.getFileName().toString()).sorted().toList();
    }
    org.neguard.verdict.RefusalException e = org.assertj.core.api.Assertions.catchThrowableOfType(
        org.neguard.verdict.RefusalException.class,
        () -> ServerLauncher.start(ServerConfig.builder(dir.resolve("data")).port(0).quiet(true)
            .adminPasswordFile(adminPw).build(), List.of(rogue), List.of()));
    assertThat(e).isNotNull();
    assertThat(e.getMessage()).contains("another NEGuard server is using the data directory");
    try (var st = Files.list(anchors)) {
      assertThat(st.map(f -> f.getFileName().toString()).sorted().toList())
          .isEqualTo(before).doesNotContain("rogue-ca.pem");
    }
  }

  /** A fleet setting out of range is bad usage (exit 2), refused before anything starts. */
  @Test
  void serverOptions_fleetValueOutOfRange_isBadUsageBeforeStart() {
    Path data = dir.resolve("never-started");
    CliRun zero = CliRun.of("server", "--data", data.toString(), "--required-approvals", "0");
    assertThat(zero.exit()).as("%s", zero).isEqualTo(2);
    assertThat(zero.err()).contains("requiredApprovals");
    CliRun port = CliRun.of("server", "--data", data.toString(), "--device-port", "70000");
    assertThat(port.exit()).as("%s", port).isEqualTo(2);
    CliRun interval = CliRun.of("server", "--data", data.toString(), "--scheduler-interval",
        "soon");
    assertThat(interval.exit()).as("%s", interval).isEqualTo(2);
    assertThat(interval.err()).contains("not a duration like");
    CliRun expiry = CliRun.of("server", "--data", data.toString(), "--repo-timestamp-expiry",
        "2m", "--repo-renew-interval", "1m");
    assertThat(expiry.exit()).as("%s", expiry).isEqualTo(2);
    assertThat(expiry.err()).contains("too short for a renew interval");
    // HRD-3: the vulnerability thresholds name low, medium, high or critical only.
    for (String option : new String[] {"--vuln-alert-on", "--vuln-fail-on"}) {
      for (String bad : new String[] {"urgent", "unknown"}) {
        CliRun r = CliRun.of("server", "--data", data.toString(), option, bad);
        assertThat(r.exit()).as("%s", r).isEqualTo(2);
        assertThat(r.err()).contains(option + ": '" + bad + "' is not low, medium, high or"
            + " critical");
      }
    }
    // A history of routine passes is a duration or 'forever': never zero, negative or a guess.
    for (String bad : new String[] {"0", "0d", "-1d", "30", "always", ""}) {
      CliRun r = CliRun.of("server", "--data", data.toString(), "--attest-pass-history", bad);
      assertThat(r.exit()).as("%s", r).isEqualTo(2);
      assertThat(r.err()).contains("--attest-pass-history: '" + bad + "' is not a duration"
          + " like 500ms, 2s, 60m, 36h or 7d, or forever");
    }
    // OBJ-2: a quarantined or untrusted NE is still asked, at some positive interval.
    CliRun untrusted = CliRun.of("server", "--data", data.toString(),
        "--attest-untrusted-interval", "0s");
    assertThat(untrusted.exit()).as("%s", untrusted).isEqualTo(2);
    assertThat(untrusted.err()).contains("--attest-untrusted-interval': '0s' is not a duration");
    // "Never" is not a duration: a next time past what the database holds would fail rounds.
    CliRun never = CliRun.of("server", "--data", data.toString(),
        "--attest-untrusted-interval", "999999999d");
    assertThat(never.exit()).as("%s", never).isEqualTo(2);
    assertThat(never.err()).contains("attest durations must be at most 365 days");
    assertThat(data).doesNotExist();
  }

  /** {@code neguard server} as its own process, stopped with SIGTERM. */
  @Test
  void serverCommand_ownProcess_servesAndStopsOnSigterm() throws Exception {
    Path data = dir.resolve("proc-data");
    Process p = java("server", "--data", data.toString(), "--port", "0", "--trust",
        pki.resolve("ca.pem").toString(), "--admin-password-file", adminPw.toString(),
        "--max-db-age", "3d", "--min-engines", "1", "--device-port", "0", "--device-host",
        "ne-gw.example", "--required-approvals", "2", "--scheduler-interval", "500ms",
        "--package-store", dir.resolve("proc-store").toString(), "--repo-public",
        "--repo-timestamp-expiry", "2h", "--repo-snapshot-expiry", "2d", "--repo-targets-expiry",
        "30d", "--repo-renew-interval", "10s", "--json");
    try {
      BufferedReader r = new BufferedReader(
          new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      StringBuilder json = new StringBuilder();
      String line;
      while ((line = r.readLine()) != null) {
        if (json.length() == 0 && !line.equals("{")) {
          continue; // stdout carries only the record, but be robust to a stray line
        }
        json.append(line).append('\n');
        if (line.equals("}")) {
          break;
        }
      }
      JsonNode started = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toString());
      URI base = URI.create(started.path("url").asText());
      HttpResponse<String> health = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(base.resolve("/actuator/health")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(data.resolve("trust/anchors/ca.pem")).exists();
      // --repo-public: the repository answers anyone (no root yet: 404, not 401).
      HttpResponse<String> repo = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(base.resolve("/api/repo/v1/metadata/timestamp.json")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(repo.statusCode()).as(repo.body()).isEqualTo(404);
      assertThat(repo.body()).contains("neguard repo init");
      // The agents' port: HTTPS always, a free port of its own with --device-port 0.
      URI devices = URI.create(started.path("deviceUrl").asText());
      assertThat(devices.getScheme()).isEqualTo("https");
      assertThat(devices.getPort()).isPositive().isNotEqualTo(base.getPort());
      p.destroy(); // SIGTERM
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    } finally {
      p.destroyForcibly();
    }
  }

  /**
   * The launcher boundary: Spring and the server stay out of the commands that do not need them,
   * so pkg verify starts as fast as before. Each run also shows its own command's class loaded,
   * so that the check would see a server class if one were loaded.
   */
  @Test
  void commandsOtherThanServer_loadNoSpringAndNoServerClass() throws Exception {
    String ca = pki.resolve("ca.pem").toString();
    Map<String, List<String>> runs = new LinkedHashMap<>();
    runs.put("org.neguard.cli.pkg.PkgVerifyCommand",
        List.of("pkg", "verify", bundle.toString(), "--trust", ca));
    runs.put("org.neguard.cli.pkg.PkgInspectCommand", List.of("pkg", "inspect", bundle.toString()));
    runs.put("org.neguard.cli.harden.HardenCheckCommand", List.of("harden", "check", "--help"));
    for (Map.Entry<String, List<String>> run : runs.entrySet()) {
      List<String> args = new ArrayList<>(List.of("-verbose:class"));
      args.addAll(run.getValue());
      Process p = java(args.toArray(String[]::new));
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(out).isZero();
      assertThat(out).as(String.join(" ", run.getValue()))
          .contains(run.getKey())
          .doesNotContain("org.springframework")
          .doesNotContain("org.neguard.server.")
          .doesNotContain("org.neguard.cli.server.");
    }
  }

  static Process java(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:off"));
    List<String> rest = new ArrayList<>(List.of(args));
    while (!rest.isEmpty() && rest.get(0).startsWith("-")) {
      cmd.add(rest.remove(0));
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(rest);
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
  }
}
