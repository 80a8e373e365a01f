package org.neguard.server.repo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.neguard.measure.Sha256;
import org.neguard.server.Http;
import org.neguard.server.TestServer;
import org.neguard.server.device.TestDevice;
import org.neguard.tuf.Fetcher;
import org.neguard.tuf.KeyType;
import org.neguard.tuf.Metadata;
import org.neguard.tuf.NeguardCustom;
import org.neguard.tuf.Role;
import org.neguard.tuf.SigningKey;
import org.neguard.tuf.TargetFile;
import org.neguard.tuf.TimestampMetadata;
import org.neguard.tuf.TrustedMetadata;
import org.neguard.tuf.TufClient;
import org.neguard.tuf.TufKey;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The server's TUF repository end to end (issue 13): nothing before a root; a 2-of-3 root made
 * of offline keys created here, naming the server's online keys; the repository then read by
 * the library's client from both ports; a second upload re-signing targets, snapshot and
 * timestamp in one step; every refusal of a root, each with its audit row and nothing changed,
 * each beside the accepted case it differs from; unknown and traversing names; an online key
 * rotation after which the old key's signatures are refused. The steps build on each other.
 */
@DisplayName("OBJ-1 SRC-2 INT-4 the TUF repository of the published packages")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RepoTest {
  static TestServer s;
  static final SigningKey R1 = SigningKey.generate(KeyType.ED25519);
  static final SigningKey R2 = SigningKey.generate(KeyType.ECDSA_P256);
  static final SigningKey R3 = SigningKey.generate(KeyType.ED25519);
  static final List<SigningKey> ROOT_KEYS = List.of(R1, R2, R3);
  static JsonNode first;
  static byte[] root1;
  static Map<Role, TufKey> online;

  @BeforeAll
  static void start() throws Exception {
    s = TestServer.start();
    first = RepoFixture.upload(s, "repo-app", "1.0.0", 11);
  }

  @AfterAll
  static void stop() throws Exception {
    if (s != null) {
      s.close();
    }
  }

  @Test
  @Order(1)
  @DisplayName("INT-4 before a root every repository file is 404 naming 'neguard repo init'")
  void beforeRoot_notFoundNamingInit() {
    String token = s.token(TestServer.Role.OPERATOR);
    for (String path : List.of("/metadata/root.json", "/metadata/1.root.json",
        "/metadata/timestamp.json", "/metadata/1.snapshot.json",
        "/targets/" + first.path("sha256").asText() + ".repo-app-1.0.0.ngp")) {
      Http.Response r = s.http.get(RepoFixture.BASE + path, token);
      assertThat(r.status()).as(path + ": " + r).isEqualTo(404);
      assertThat(r.body()).as(path).contains("neguard repo init");
    }
    JsonNode status = s.http.get("/api/repo/status", token).json();
    assertThat(status.path("initialized").asBoolean()).isFalse();
    assertThat(status.path("message").asText()).contains("neguard repo init");
  }

  @Test
  @Order(2)
  @DisplayName("SRC-1 the online keys are the admin's: created once, the same on every call")
  void onlineKeys_adminOnly_stable() throws Exception {
    online = RepoFixture.onlineKeys(s);
    assertThat(RepoFixture.onlineKeys(s)).isEqualTo(online);
    assertThat(online.values().stream().map(TufKey::keyId).distinct()).hasSize(3);
    for (TestServer.Role r : List.of(TestServer.Role.PUBLISHER, TestServer.Role.OPERATOR,
        TestServer.Role.AUDITOR)) {
      assertThat(s.http.get("/api/repo/online-keys", s.token(r)).status()).isEqualTo(403);
    }
  }

  @Test
  @Order(3)
  @DisplayName("OBJ-1 a first root signed by 1 of its 2-of-3 keys is refused REPO_SIGNATURE,"
      + " audited, nothing published")
  void firstRoot_tooFewSignatures_refused() throws Exception {
    statusBefore = status();
    Metadata one = RepoFixture.root(1, ROOT_KEYS, 2, online, List.of(R1));
    refused(RepoFixture.postRoot(s, s.adminToken(), one.toBytes()), 422, "REPO_SIGNATURE");
  }

  @Test
  @Order(4)
  @DisplayName("OBJ-1 a first root not naming the server's online keys is refused 409, audited")
  void firstRoot_foreignOnlineKey_refused() throws Exception {
    statusBefore = status();
    Map<Role, TufKey> foreign = new EnumMap<>(online);
    foreign.put(Role.TIMESTAMP, SigningKey.generate(KeyType.ED25519).key());
    Metadata md = RepoFixture.root(1, ROOT_KEYS, 2, foreign, List.of(R1, R2));
    refused(RepoFixture.postRoot(s, s.adminToken(), md.toBytes()), 409, "CONFLICT");
    // The server's timestamp key in the snapshot role's place is as foreign.
    Map<Role, TufKey> swapped = new EnumMap<>(online);
    swapped.put(Role.SNAPSHOT, online.get(Role.TIMESTAMP));
    md = RepoFixture.root(1, ROOT_KEYS, 2, swapped, List.of(R1, R2));
    refused(RepoFixture.postRoot(s, s.adminToken(), md.toBytes()), 409, "CONFLICT");
  }

  @Test
  @Order(5)
  @DisplayName("SRC-1 a root from a non-admin is refused 403, audited, nothing published")
  void root_nonAdmin_refused() throws Exception {
    byte[] good = RepoFixture.root(1, ROOT_KEYS, 2, online, List.of(R1, R2)).toBytes();
    for (TestServer.Role r : List.of(TestServer.Role.PUBLISHER, TestServer.Role.OPERATOR,
        TestServer.Role.APPROVER, TestServer.Role.AUDITOR)) {
      long before = RepoFixture.auditHead(s);
      Http.Response resp = RepoFixture.postRoot(s, s.token(r), good);
      assertThat(resp.status()).as(resp.toString()).isEqualTo(403);
      assertThat(RepoFixture.audit(s, before, "ACCESS")).as("audited").isNotEmpty();
    }
    assertThat(RepoFixture.postRoot(s, null, good).status()).isEqualTo(401);
    assertNothingPublished();
  }

  @Test
  @Order(6)
  @DisplayName("OBJ-1 INT-4 a 2-of-3 root is published with targets, snapshot and timestamp at"
      + " once")
  void firstRoot_published() throws Exception {
    Metadata md = RepoFixture.root(1, ROOT_KEYS, 2, online, List.of(R1, R3));
    root1 = md.toBytes();
    long before = RepoFixture.auditHead(s);
    Http.Response r = RepoFixture.postRoot(s, s.adminToken(), root1);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(versions(r.json())).containsExactly(1, 1, 1, 1);
    assertThat(r.json().path("targets").asInt()).isEqualTo(1);
    assertThat(RepoFixture.audit(s, before, "REPO_ROOT")).hasSize(1);
    assertThat(RepoFixture.audit(s, before, "REPO_PUBLISH")).hasSize(1);
    String token = s.token(TestServer.Role.AUDITOR);
    Http.Response served = s.http.get(RepoFixture.BASE + "/metadata/root.json", token);
    assertThat(served.body().getBytes(java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo(root1);
    assertThat(s.http.get(RepoFixture.BASE + "/metadata/1.root.json", token).body())
        .isEqualTo(served.body());
  }

  @Test
  @Order(7)
  @DisplayName("INT-4 the Java client refreshes and downloads the package from the users' port")
  void client_usersPort_refreshAndDownload() throws Exception {
    TufClient c = RepoFixture.client(s, s.server.url(),
        RepoFixture.users(s.token(TestServer.Role.OPERATOR)), root1);
    long before = RepoFixture.auditHead(s);
    TrustedMetadata t = c.refresh();
    assertThat(t.timestamp().version()).isEqualTo(1);
    // The refresh ended on 2.root.json, 404: the protocol's answer, not a refusal to record.
    assertThat(RepoFixture.audit(s, before, "REQUEST")).isEmpty();
    // An unchanged timestamp costs its ETag only.
    String etag = headers("/metadata/timestamp.json").headers().firstValue("ETag").orElseThrow();
    java.net.http.HttpResponse<String> same = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(
            URI.create(s.server.url() + RepoFixture.BASE + "/metadata/timestamp.json"))
            .header("Authorization", "Bearer " + s.token(TestServer.Role.OPERATOR))
            .header("If-None-Match", etag).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(same.statusCode()).isEqualTo(304);
    assertThat(same.body()).isEmpty();
    TargetFile target = c.targetInfo("repo-app-1.0.0.ngp").orElseThrow();
    assertThat(target.length()).isEqualTo(first.path("sizeBytes").asLong());
    assertThat(target.sha256()).isEqualTo(first.path("sha256").asText());
    assertThat(target.neguard()).contains(new NeguardCustom("repo-app", "1.0.0",
        first.path("securityVersion").asLong(), first.path("neType").asText(),
        first.path("rim").asText()));
    Path got = c.download(target, Files.createTempDirectory(s.dir, "dl-"));
    assertThat(Files.size(got)).isEqualTo(target.length());
    assertThat(Sha256.hex(got)).isEqualTo(target.sha256());
    // Without a credential the users' port refuses (repo.public is off).
    TufClient anonymous = RepoFixture.client(s, s.server.url(), RepoFixture.users(null), root1);
    RefusalException e = catchThrowableOfType(RefusalException.class, anonymous::refresh);
    assertThat(e.code()).isEqualTo(ReasonCode.SERVER_UNREACHABLE);
    // Timestamp and root change at their names; versioned files never do.
    java.net.http.HttpResponse<Void> h = headers("/metadata/timestamp.json");
    assertThat(h.headers().firstValue("Cache-Control")).contains("no-cache");
    assertThat(headers("/metadata/1.snapshot.json").headers().firstValue("Cache-Control"))
        .hasValueSatisfying(v -> assertThat(v).contains("immutable").contains("private"));
  }

  @Test
  @Order(8)
  @DisplayName("INT-4 the Java client refreshes and downloads from the agents' port as an"
      + " enrolled device")
  void client_agentsPort_enrolledDevice() throws Exception {
    TestDevice d = TestDevice.enroll(s, "repo-ne-1", "mme");
    TufClient c = RepoFixture.client(s, s.server.deviceUrl(), RepoFixture.device(d.identity()),
        root1);
    TargetFile target = c.targetInfo("repo-app-1.0.0.ngp").orElseThrow();
    Path got = c.download(target, Files.createTempDirectory(s.dir, "dl-"));
    assertThat(Sha256.hex(got)).isEqualTo(first.path("sha256").asText());
    // The agents' port serves the repository to devices only: no certificate, 401.
    Http.Response noCert = RepoFixture.agentsGet(d.identity().ca(), s.server.deviceUrl(),
        RepoFixture.BASE + "/metadata/timestamp.json");
    assertThat(noCert.status()).as(noCert.toString()).isEqualTo(401);
    // The repository's administration is not served there.
    assertThat(RepoFixture.agentsGet(d.identity().ca(), s.server.deviceUrl(), "/api/repo/status")
        .status()).isEqualTo(404);
  }

  @Test
  @Order(9)
  @DisplayName("OBJ-1 a second upload re-signs targets, snapshot and timestamp (+1 each) in one"
      + " publication")
  void secondUpload_resignsAllThreeOnce() throws Exception {
    long before = RepoFixture.auditHead(s);
    JsonNode second = RepoFixture.upload(s, "repo-app", "1.1.0", 12);
    JsonNode st = s.http.get("/api/repo/status", s.adminToken()).json();
    assertThat(versions(st)).containsExactly(1, 2, 2, 2);
    assertThat(st.path("targets").asInt()).isEqualTo(2);
    List<JsonNode> published = RepoFixture.audit(s, before, "REPO_PUBLISH");
    assertThat(published).hasSize(1);
    assertThat(published.get(0).path("detail").asText()).contains("targets 2")
        .contains("snapshot 2").contains("timestamp 2");
    TufClient c = RepoFixture.client(s, s.server.url(),
        RepoFixture.users(s.token(TestServer.Role.APPROVER)), root1);
    TargetFile t = c.targetInfo("repo-app-1.1.0.ngp").orElseThrow();
    assertThat(t.sha256()).isEqualTo(second.path("sha256").asText());
    assertThat(Sha256.hex(c.download(t, Files.createTempDirectory(s.dir, "dl-"))))
        .isEqualTo(t.sha256());
    // The previous versions stay servable for clients in the middle of a refresh.
    String token = s.token(TestServer.Role.APPROVER);
    assertThat(s.http.get(RepoFixture.BASE + "/metadata/1.targets.json", token).status())
        .isEqualTo(200);
    // Nothing changed, nothing signed: the schedule's round is a no-op.
    long mid = RepoFixture.auditHead(s);
    s.bean(Publisher.class).publish("test");
    assertThat(RepoFixture.audit(s, mid, "REPO_PUBLISH")).isEmpty();
  }

  @Test
  @Order(10)
  @DisplayName("OBJ-1 a later root not signed by the previous threshold is refused"
      + " REPO_SIGNATURE; one going back in version REPO_ROLLBACK; each audited, nothing"
      + " changed")
  void laterRoot_refusals() throws Exception {
    statusBefore = status();
    SigningKey n1 = SigningKey.generate(KeyType.ED25519);
    SigningKey n2 = SigningKey.generate(KeyType.ED25519);
    List<SigningKey> newKeys = List.of(n1, n2, R3);
    // Signed by its own threshold, but of the previous root's keys only by R3: 1 of 2.
    refused(RepoFixture.postRoot(s, s.adminToken(),
        RepoFixture.root(2, newKeys, 2, online, List.of(n1, n2, R3)).toBytes()),
        422, "REPO_SIGNATURE");
    // Signed by the previous threshold, but not by its own.
    refused(RepoFixture.postRoot(s, s.adminToken(),
        RepoFixture.root(2, newKeys, 2, online, List.of(R1, R2)).toBytes()),
        422, "REPO_SIGNATURE");
    // Back in version: version 1 again, signed by every key.
    refused(RepoFixture.postRoot(s, s.adminToken(),
        RepoFixture.root(1, ROOT_KEYS, 2, online, List.of(R1, R2, R3)).toBytes()),
        422, "REPO_ROLLBACK");
    // Skipping a version is no step of the chain either.
    refused(RepoFixture.postRoot(s, s.adminToken(),
        RepoFixture.root(3, ROOT_KEYS, 2, online, List.of(R1, R2, R3)).toBytes()),
        422, "REPO_ROLLBACK");
    // Not a root at all.
    refused(RepoFixture.postRoot(s, s.adminToken(), "{\"signed\":1}".getBytes()), 422,
        "MALFORMED");
  }

  @Test
  @Order(11)
  @DisplayName("INT-4 unknown names, traversal and digests that do not match under targets/"
      + " and metadata/ are 404")
  void unknownAndTraversal_notFound() {
    String token = s.token(TestServer.Role.OPERATOR);
    String sha = first.path("sha256").asText();
    String other = "0".repeat(64);
    List<String> paths = List.of(
        "/targets/" + other + ".repo-app-1.0.0.ngp",
        "/targets/" + sha + ".repo-app-1.1.0.ngp",
        "/targets/" + sha + ".ngp",
        "/targets/" + sha,
        "/targets/repo-app-1.0.0.ngp",
        "/targets/" + sha + "..repo-app-1.0.0.ngp",
        "/targets/" + sha + ".%2e%2e%2fpackages%2f" + sha + ".ngp",
        "/targets/" + sha + ".repo-app-1.0.0.ngp%00",
        "/targets/..%2F..%2Fmetadata%2Froot.json",
        "/targets/%2e%2e",
        "/metadata/..%2f..%2fstatus",
        "/metadata/snapshot.json",
        "/metadata/targets.json",
        "/metadata/0.root.json",
        "/metadata/01.root.json",
        "/metadata/99999999999.root.json",
        "/metadata/7.snapshot.json",
        "/metadata/2.timestamp.json",
        "/metadata/root.json.bak",
        "/metadata/.root.json");
    for (String p : paths) {
      Http.Response r = RepoFixture.rawGet(s.server.url(), RepoFixture.BASE + p, token);
      assertThat(r.status()).as(p + ": " + r).isIn(400, 404);
      assertThat(r.body()).as(p).doesNotContain("\"signed\"");
    }
    // Control: the right digest and name is served.
    assertThat(RepoFixture.rawGet(s.server.url(),
        RepoFixture.BASE + "/targets/" + sha + ".repo-app-1.0.0.ngp", token).status())
        .isEqualTo(200);
  }

  @Test
  @Order(12)
  @DisplayName("OBJ-1 online key rotation: a root naming the new timestamp key is published;"
      + " clients then refuse what the old key signs")
  void rotation_oldKeyRefused() throws Exception {
    Http.Response rotated = s.http.post("/api/repo/online-keys/timestamp/rotate",
        s.adminToken(), Map.of("keytype", "ecdsa"));
    assertThat(rotated.status()).as(rotated.toString()).isEqualTo(200);
    TufKey newTs = TufKey.fromJson(rotated.json().path("timestamp"));
    assertThat(newTs.keytype()).isEqualTo("ecdsa");
    assertThat(newTs).isNotEqualTo(online.get(Role.TIMESTAMP));
    // Until a root names it, the old key keeps signing: a publication after the rotation is
    // accepted by a client that knows only root 1.
    SigningKey oldTs = privateKey("repo-timestamp-1");
    TufClient before = RepoFixture.client(s, s.server.url(),
        RepoFixture.users(s.token(TestServer.Role.OPERATOR)), root1);
    RepoFixture.upload(s, "repo-app", "1.2.0", 13);
    TrustedMetadata b = before.refresh();
    assertThat(b.timestamp().version()).isEqualTo(3);
    assertThat(b.targets().targets()).containsKey("repo-app-1.2.0.ngp");

    Map<Role, TufKey> next = new EnumMap<>(online);
    next.put(Role.TIMESTAMP, newTs);
    byte[] root2 = RepoFixture.root(2, ROOT_KEYS, 2, next, List.of(R2, R3)).toBytes();
    Http.Response r = RepoFixture.postRoot(s, s.adminToken(), root2);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(versions(r.json())).containsExactly(2, 4, 4, 4);

    // A client that trusted root 1 walks to root 2 and accepts the new key's timestamp.
    TrustedMetadata after = before.refresh();
    assertThat(after.root().version()).isEqualTo(2);
    assertThat(after.timestamp().version()).isEqualTo(4);

    // Whoever stole the old key signs a newer timestamp over the current snapshot and serves
    // it (a malicious mirror): refused. The same file signed by the new key is accepted, so it
    // is the old key that is refused, not the file.
    TimestampMetadata forged = new TimestampMetadata(after.timestamp().version() + 1,
        Instant.now().plus(1, ChronoUnit.DAYS), after.timestamp().snapshotMeta());
    byte[] byOld = forged.toMetadata().sign(oldTs).toBytes();
    TufClient mirror = RepoFixture.client(s, s.server.url(),
        replacing(RepoFixture.users(s.token(TestServer.Role.OPERATOR)), byOld), root1);
    RefusalException e = catchThrowableOfType(RefusalException.class, mirror::refresh);
    assertThat(e).as("the old timestamp key after rotation").isNotNull();
    assertThat(e.code()).isEqualTo(ReasonCode.REPO_SIGNATURE);
    byte[] byNew = forged.toMetadata().sign(privateKey("repo-timestamp-2")).toBytes();
    TufClient control = RepoFixture.client(s, s.server.url(),
        replacing(RepoFixture.users(s.token(TestServer.Role.OPERATOR)), byNew), root1);
    assertThat(control.refresh().timestamp().version()).isEqualTo(forged.version());
    // And the server retired the old key: it signs nothing any more.
    try (Connection c = s.db(); PreparedStatement ps = c.prepareStatement(
        "SELECT retired_at FROM server_keys WHERE kid = 'repo-timestamp-1'");
        ResultSet rs = ps.executeQuery()) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getObject(1)).isNotNull();
    }
  }

  // --- helpers

  /** The role versions of a status answer: root, targets, snapshot, timestamp. */
  static List<Integer> versions(JsonNode status) {
    List<Integer> v = new java.util.ArrayList<>();
    status.path("roles").forEach(r -> v.add(r.path("version").asInt()));
    return v;
  }

  /** A refusal: its status and code, its own audit row, and the repository unchanged. */
  static void refused(Http.Response r, int status, String code) {
    assertThat(status()).as("nothing changed").isEqualTo(statusBefore);
    assertThat(r.status()).as(r.toString()).isEqualTo(status);
    assertThat(r.code()).isEqualTo(code);
    JsonNode rows = s.http.get("/api/audit?tail=true&limit=3", s.adminToken()).json();
    boolean found = false;
    for (JsonNode row : rows) {
      found |= row.path("action").asText().equals("REPO_ROOT")
          && !row.path("outcome").asText().equals("success")
          && row.path("detail").asText().contains(code);
    }
    assertThat(found).as("an audit row for %s in %s", code, rows).isTrue();
  }

  /** The status before the refusals of a test, which must leave it as it is. */
  static String statusBefore;

  static String status() {
    return s.http.get("/api/repo/status", s.adminToken()).body();
  }

  private static void assertNothingPublished() {
    JsonNode st = s.http.get("/api/repo/status", s.adminToken()).json();
    assertThat(st.path("initialized").asBoolean()).isFalse();
  }

  private static java.net.http.HttpResponse<Void> headers(String path) throws Exception {
    return java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(URI.create(s.server.url() + RepoFixture.BASE + path))
            .header("Authorization", "Bearer " + s.token(TestServer.Role.OPERATOR)).build(),
        java.net.http.HttpResponse.BodyHandlers.discarding());
  }

  /** A fetcher serving {@code timestamp} for timestamp.json, the rest from {@code real}. */
  static Fetcher replacing(Fetcher real, byte[] timestamp) {
    return (uri, max) -> uri.getPath().endsWith("/timestamp.json")
        ? Optional.of(new java.io.ByteArrayInputStream(timestamp)) : real.open(uri, max);
  }

  /** An online key as stored in the server's database (what a thief of the database holds). */
  static SigningKey privateKey(String kid) throws Exception {
    return privateKeyOf(s, kid);
  }

  /** {@link #privateKey} of another test's server. */
  static SigningKey privateKeyOf(TestServer s, String kid) throws Exception {
    try (Connection c = s.db(); PreparedStatement ps = c.prepareStatement(
        "SELECT private_key_pem, public_key_pem FROM server_keys WHERE kid = ?")) {
      ps.setString(1, kid);
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).as(kid).isTrue();
        byte[] priv = der(rs.getString(1));
        byte[] pub = der(rs.getString(2));
        for (String alg : List.of("Ed25519", "EC")) {
          try {
            KeyFactory f = KeyFactory.getInstance(alg);
            PrivateKey k = f.generatePrivate(new PKCS8EncodedKeySpec(priv));
            PublicKey p = f.generatePublic(new X509EncodedKeySpec(pub));
            return SigningKey.of(new KeyPair(p, k));
          } catch (java.security.GeneralSecurityException next) {
            // the other algorithm
          }
        }
        throw new AssertionError("unreadable key " + kid);
      }
    }
  }

  private static byte[] der(String pem) {
    return Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
  }
}
