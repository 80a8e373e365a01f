package org.neguard.server.repo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.spec.X509EncodedKeySpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
import org.neguard.tuf.KeyType;
import org.neguard.tuf.Metadata;
import org.neguard.tuf.NeguardCustom;
import org.neguard.tuf.Role;
import org.neguard.tuf.RootBuilder;
import org.neguard.tuf.Signature;
import org.neguard.tuf.SigningKey;
import org.neguard.tuf.TargetFile;
import org.neguard.tuf.TargetsMetadata;
import org.neguard.tuf.TrustedMetadata;
import org.neguard.tuf.TufClient;
import org.neguard.tuf.TufKey;

/**
 * Targets signed offline (docs/REPOSITORY.md, "Targets online or offline"): a root whose targets
 * role names 2-of-3 keys the server does not hold; uploads that no longer change what is
 * published; the next unsigned targets offered; every refusal of a signed targets (too few
 * signatures, a target the server never verified or one with another hash, length or custom,
 * not the next version, expired), each with its audit row and nothing changed; the accepted one
 * with snapshot and timestamp signed over it and the library's client downloading the package;
 * the server's targets key never signing; and the renewal offered in the last third of the
 * targets' life. The steps build on each other.
 */
@DisplayName("OBJ-1 SRC-2 INT-4 targets signed offline")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RepoOfflineTargetsTest {
  static TestServer s;
  static final SigningKey R1 = SigningKey.generate(KeyType.ED25519);
  static final SigningKey T1 = SigningKey.generate(KeyType.ED25519);
  static final SigningKey T2 = SigningKey.generate(KeyType.ECDSA_P256);
  static final SigningKey T3 = SigningKey.generate(KeyType.ED25519);
  static final List<SigningKey> TARGETS_KEYS = List.of(T1, T2, T3);
  static Map<Role, TufKey> online;
  static JsonNode first;
  static byte[] root1;
  static String statusBefore;

  @BeforeAll
  static void start() throws Exception {
    s = TestServer.start();
    first = RepoFixture.upload(s, "off-app", "1.0.0", 31);
    online = RepoFixture.onlineKeys(s);
  }

  @AfterAll
  static void stop() throws Exception {
    if (s != null) {
      s.close();
    }
  }

  @Test
  @Order(1)
  @DisplayName("OBJ-1 a root mixing the server's targets key with offline keys, or naming another"
      + " server key as an offline targets key, is refused 409, audited, nothing published")
  void root_mixedOrServerKeyAsOfflineTargets_refused() throws Exception {
    statusBefore = status();
    byte[] mixed = root(1, List.of(online.get(Role.TARGETS), T1.key()), 1).toBytes();
    refused(RepoFixture.postRoot(s, s.adminToken(), mixed), 409, "CONFLICT", "REPO_ROOT");
    byte[] serverKey = root(1, List.of(online.get(Role.SNAPSHOT), T1.key()), 2).toBytes();
    refused(RepoFixture.postRoot(s, s.adminToken(), serverKey), 409, "CONFLICT", "REPO_ROOT");
  }

  @Test
  @Order(2)
  @DisplayName("OBJ-1 SRC-2 a root with offline targets keys (2 of 3) is accepted; nothing is"
      + " signed until the holders publish targets; the server's targets key is retired")
  void offlineRoot_accepted_nothingSignedUntilTargets() throws Exception {
    root1 = root(1, TARGETS_KEYS.stream().map(SigningKey::key).toList(), 2).toBytes();
    long before = RepoFixture.auditHead(s);
    Http.Response r = RepoFixture.postRoot(s, s.adminToken(), root1);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(RepoTest.versions(r.json())).containsExactly(1, 0, 0, 0);
    JsonNode targetsRole = r.json().path("roles").path(1);
    assertThat(targetsRole.path("online").asBoolean()).isFalse();
    assertThat(targetsRole.path("threshold").asInt()).isEqualTo(2);
    assertThat(r.json().path("message").asText()).contains("signed offline")
        .contains("neguard repo targets pull");
    assertThat(RepoFixture.audit(s, before, "REPO_ROOT")).hasSize(1);
    assertThat(RepoFixture.audit(s, before, "REPO_PUBLISH")).isEmpty();
    assertThat(s.http.get(RepoFixture.BASE + "/metadata/timestamp.json", s.adminToken())
        .status()).isEqualTo(404);
    try (Connection c = s.db(); PreparedStatement ps = c.prepareStatement(
        "SELECT retired_at FROM server_keys WHERE purpose = 'repo-targets'");
        ResultSet rs = ps.executeQuery()) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getObject(1)).as("the online targets key, retired").isNotNull();
    }
  }

  @Test
  @Order(3)
  @DisplayName("SRC-1 targets/next offers version 1 listing every verified package as the online"
      + " publisher would, to admins and approvers only")
  void next_offersEveryVerifiedPackage() throws Exception {
    for (TestServer.Role role : List.of(TestServer.Role.PUBLISHER, TestServer.Role.OPERATOR,
        TestServer.Role.AUDITOR)) {
      assertThat(s.http.get("/api/repo/targets/next", s.token(role)).status()).as(role.id())
          .isEqualTo(403);
    }
    long before = RepoFixture.auditHead(s);
    Metadata next = next(s.token(TestServer.Role.APPROVER));
    assertThat(next.signatures()).isEmpty();
    assertThat(next.version()).isEqualTo(1);
    assertThat(next.expires()).isAfter(Instant.now().plus(89, ChronoUnit.DAYS));
    TargetsMetadata t = next.targets();
    assertThat(t.targets().values()).containsExactlyElementsOf(
        s.bean(Publisher.class).targetSet().targets());
    TargetFile entry = t.targets().get("off-app-1.0.0.ngp");
    assertThat(entry.sha256()).isEqualTo(first.path("sha256").asText());
    assertThat(entry.length()).isEqualTo(first.path("sizeBytes").asLong());
    assertThat(RepoFixture.audit(s, before, "REPO_TARGETS_NEXT")).hasSize(1);
  }

  @Test
  @Order(4)
  @DisplayName("OBJ-1 targets signed by 1 of its 2-of-3 keys (or with a stranger's, or the"
      + " server's old targets key) is refused REPO_SIGNATURE, audited, nothing changed")
  void targets_belowThreshold_refused() throws Exception {
    statusBefore = status();
    Metadata next = next(s.adminToken());
    refused(post(sign(next, T1)), 422, "REPO_SIGNATURE", "REPO_TARGETS");
    refused(post(sign(next, T1, SigningKey.generate(KeyType.ED25519))), 422, "REPO_SIGNATURE",
        "REPO_TARGETS");
    refused(post(sign(next, T1, RepoTest.privateKeyOf(s, "repo-targets-1"))), 422,
        "REPO_SIGNATURE", "REPO_TARGETS");
  }

  @Test
  @Order(5)
  @DisplayName("SRC-2 INT-4 signed targets naming a package the server never verified, or the"
      + " verified one with another hash, length or custom, is refused REPO_MISMATCH, audited,"
      + " nothing changed")
  void targets_notVerifiedByServer_refused() throws Exception {
    statusBefore = status();
    TargetsMetadata next = next(s.adminToken()).targets();
    TargetFile real = next.targets().get("off-app-1.0.0.ngp");
    byte[] evil = "bytes that never passed the anti-virus gate".getBytes(StandardCharsets.UTF_8);
    TargetFile stranger = TargetFile.of("evil-1.0.0.ngp", evil.length, Sha256.hex(evil),
        new NeguardCustom("evil", "1.0.0", 99, "mme", "0".repeat(64)));
    NeguardCustom c = real.neguard().orElseThrow();
    List<TargetFile> forged = List.of(
        stranger,
        new TargetFile(real.name(), real.length(), Sha256.hex(evil), real.custom()),
        new TargetFile(real.name(), real.length() + 1, real.sha256(), real.custom()),
        TargetFile.of(real.name(), real.length(), real.sha256(), new NeguardCustom(c.name(),
            c.version(), c.securityVersion() + 100, c.neType(), c.rim())));
    for (TargetFile f : forged) {
      Map<String, TargetFile> m = new LinkedHashMap<>(next.targets());
      m.put(f.name(), f);
      Metadata md = new TargetsMetadata(1, next.expires(), m).toMetadata();
      refused(post(sign(md, T1, T2)), 422, "REPO_MISMATCH", "REPO_TARGETS");
    }
    // The same targets unchanged, signed alike, is accepted: targets_signedByThreshold_...
  }

  @Test
  @Order(6)
  @DisplayName("OBJ-1 signed targets that is not version current+1 is refused REPO_ROLLBACK; an"
      + " expired one REPO_EXPIRED; each audited, nothing changed")
  void targets_wrongVersionOrExpired_refused() throws Exception {
    statusBefore = status();
    TargetsMetadata next = next(s.adminToken()).targets();
    refused(post(sign(new TargetsMetadata(3, next.expires(), next.targets()).toMetadata(), T1,
        T2)), 422, "REPO_ROLLBACK", "REPO_TARGETS");
    refused(post(sign(new TargetsMetadata(1, Instant.now().minusSeconds(60)
        .truncatedTo(ChronoUnit.SECONDS), next.targets()).toMetadata(), T1, T2)), 422,
        "REPO_EXPIRED", "REPO_TARGETS");
    // Not targets at all.
    refused(post(root1), 422, "MALFORMED", "REPO_TARGETS");
  }

  @Test
  @Order(7)
  @DisplayName("OBJ-1 INT-4 targets signed by 2 of 3 offline keys is published with a new"
      + " snapshot and timestamp; the library's client refreshes and downloads the package")
  void targets_signedByThreshold_published_clientDownloads() throws Exception {
    Metadata signed = sign(next(s.adminToken()), T1, T3);
    long before = RepoFixture.auditHead(s);
    Http.Response r = post(signed);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(RepoTest.versions(r.json())).containsExactly(1, 1, 1, 1);
    assertThat(r.json().hasNonNull("message")).as(r.toString()).isFalse();
    assertThat(RepoFixture.audit(s, before, "REPO_TARGETS")).hasSize(1)
        .allSatisfy(a -> assertThat(a.path("outcome").asText()).isEqualTo("success"));
    assertThat(RepoFixture.audit(s, before, "REPO_PUBLISH")).hasSize(1);
    TufClient c = RepoFixture.client(s, s.server.url(),
        RepoFixture.users(s.token(TestServer.Role.OPERATOR)), root1);
    TrustedMetadata t = c.refresh();
    assertThat(t.targets().version()).isEqualTo(1);
    TargetFile target = c.targetInfo("off-app-1.0.0.ngp").orElseThrow();
    Path got = c.download(target, Files.createTempDirectory(s.dir, "dl-"));
    assertThat(Sha256.hex(got)).isEqualTo(first.path("sha256").asText());
    // Nothing more to sign; the same file again is not the next version.
    assertThat(s.http.get("/api/repo/targets/next", s.adminToken()).status()).isEqualTo(204);
    statusBefore = status();
    refused(post(signed), 422, "REPO_ROLLBACK", "REPO_TARGETS");
  }

  @Test
  @Order(8)
  @DisplayName("SRC-2 an upload no longer changes the published targets: it is offered as"
      + " targets 2, which the client sees once the holders publish it")
  void upload_doesNotChangeTargets_untilHoldersSign() throws Exception {
    long before = RepoFixture.auditHead(s);
    JsonNode second = RepoFixture.upload(s, "off-app", "1.1.0", 32);
    JsonNode st = s.http.get("/api/repo/status", s.adminToken()).json();
    assertThat(RepoTest.versions(st)).containsExactly(1, 1, 1, 1);
    assertThat(st.path("targets").asInt()).isEqualTo(1);
    assertThat(st.path("message").asText()).contains("differ");
    assertThat(RepoFixture.audit(s, before, "REPO_PUBLISH")).isEmpty();
    s.bean(Publisher.class).publish("test");
    assertThat(RepoFixture.audit(s, before, "REPO_PUBLISH")).isEmpty();
    TufClient c = RepoFixture.client(s, s.server.url(),
        RepoFixture.users(s.token(TestServer.Role.OPERATOR)), root1);
    assertThat(c.targetInfo("off-app-1.1.0.ngp")).isEmpty();

    Metadata next = next(s.token(TestServer.Role.APPROVER));
    assertThat(next.version()).isEqualTo(2);
    assertThat(next.targets().targets()).containsOnlyKeys("off-app-1.0.0.ngp",
        "off-app-1.1.0.ngp");
    Http.Response r = post(sign(next, T2, T3));
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(RepoTest.versions(r.json())).containsExactly(1, 2, 2, 2);
    TufClient fresh = RepoFixture.client(s, s.server.url(),
        RepoFixture.users(s.token(TestServer.Role.OPERATOR)), root1);
    TargetFile t = fresh.targetInfo("off-app-1.1.0.ngp").orElseThrow();
    assertThat(Sha256.hex(fresh.download(t, Files.createTempDirectory(s.dir, "dl-"))))
        .isEqualTo(second.path("sha256").asText());
  }

  @Test
  @Order(9)
  @DisplayName("OBJ-1 the server's online targets key signed no targets: every stored targets"
      + " carries only offline signatures")
  void serverTargetsKey_neverUsed() throws Exception {
    Set<String> serverKeys = new HashSet<>();
    List<byte[]> targets = new ArrayList<>();
    try (Connection c = s.db()) {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT public_key_pem FROM server_keys WHERE purpose LIKE 'repo-%'");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          byte[] der = Base64.getMimeDecoder().decode(
              rs.getString(1).replaceAll("-----[A-Z ]+-----", ""));
          for (String alg : List.of("Ed25519", "EC")) {
            try {
              serverKeys.add(TufKey.of(KeyFactory.getInstance(alg)
                  .generatePublic(new X509EncodedKeySpec(der))).keyId());
              break;
            } catch (java.security.GeneralSecurityException other) {
              // the other algorithm
            }
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT content FROM repo_metadata WHERE role = 'targets'");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          targets.add(rs.getBytes(1));
        }
      }
    }
    assertThat(serverKeys).hasSizeGreaterThanOrEqualTo(3);
    assertThat(targets).hasSize(2);
    Set<String> offline = Set.of(T1.keyId(), T2.keyId(), T3.keyId());
    for (byte[] t : targets) {
      List<String> ids = Metadata.parse(t, 1 << 20).signatures().stream()
          .map(Signature::keyid).toList();
      assertThat(ids).isNotEmpty().doesNotContainAnyElementsOf(serverKeys);
      assertThat(offline).containsAll(ids);
    }
  }

  @Test
  @Order(10)
  @DisplayName("OBJ-1 in the last third of the targets' life the status warns and targets/next"
      + " offers a renewal: the same targets, the next version, a new expiry")
  void targets_lastThirdOfLife_warnedAndRenewalOffered() throws Exception {
    TargetsMetadata current = next3Source();
    Instant soon = Instant.now().plusSeconds(9).truncatedTo(ChronoUnit.SECONDS);
    Http.Response r = post(sign(new TargetsMetadata(3, soon, current.targets()).toMetadata(),
        T1, T2));
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json().hasNonNull("message")).as(r.toString()).isFalse();
    assertThat(s.http.get("/api/repo/targets/next", s.adminToken()).status()).isEqualTo(204);
    Instant published = Instant.now();
    while (Instant.now().isBefore(published.plusSeconds(7))) {
      Thread.sleep(250);
    }
    JsonNode st = s.http.get("/api/repo/status", s.token(TestServer.Role.OPERATOR)).json();
    assertThat(st.path("message").asText()).startsWith("WARNING").contains("last third");
    assertThat(RepoTest.versions(st).get(1)).as("the schedule never signs targets")
        .isEqualTo(3);
    Metadata renewal = next(s.adminToken());
    assertThat(renewal.version()).isEqualTo(4);
    assertThat(renewal.expires()).isAfter(Instant.now().plus(89, ChronoUnit.DAYS));
    assertThat(renewal.targets().targets()).isEqualTo(current.targets());
  }

  @Test
  @Order(11)
  @DisplayName("OBJ-1 back to online targets: a new server targets key, a root naming it; the"
      + " server signs targets again and the client follows from root 1")
  void backToOnlineTargets_serverSignsAgain() throws Exception {
    Http.Response rotated = s.http.post("/api/repo/online-keys/targets/rotate", s.adminToken(),
        Map.of());
    assertThat(rotated.status()).as(rotated.toString()).isEqualTo(200);
    TufKey newTargets = TufKey.fromJson(rotated.json().path("targets"));
    assertThat(newTargets).isNotEqualTo(online.get(Role.TARGETS));
    assertThat(RepoFixture.onlineKeys(s).get(Role.TARGETS)).isEqualTo(newTargets);
    Http.Response r = RepoFixture.postRoot(s, s.adminToken(),
        root(2, List.of(newTargets), 1).toBytes());
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(RepoTest.versions(r.json())).containsExactly(2, 4, 4, 4);
    assertThat(r.json().path("roles").path(1).path("online").asBoolean()).isTrue();
    assertThat(s.http.get("/api/repo/targets/next", s.adminToken()).code())
        .isEqualTo("CONFLICT");
    TufClient c = RepoFixture.client(s, s.server.url(),
        RepoFixture.users(s.token(TestServer.Role.OPERATOR)), root1);
    TrustedMetadata t = c.refresh();
    assertThat(t.root().version()).isEqualTo(2);
    assertThat(t.targets().version()).isEqualTo(4);
    assertThat(c.targetInfo("off-app-1.1.0.ngp")).isPresent();
  }

  // --- helpers

  /** The published targets 2's entries, the base of the short-lived targets 3. */
  private static TargetsMetadata next3Source() throws Exception {
    byte[] two = s.http.get(RepoFixture.BASE + "/metadata/2.targets.json", s.adminToken())
        .body().getBytes(StandardCharsets.UTF_8);
    return Metadata.parse(two, 1 << 20).targets();
  }

  /** A root v{@code version}: root key R1 (1 of 1), the server's timestamp and snapshot keys,
   *  and {@code targets} with {@code threshold}, signed by R1. */
  static Metadata root(int version, List<TufKey> targets, int threshold) {
    return RootBuilder.create(Instant.now().plus(365, ChronoUnit.DAYS)).version(version)
        .role(Role.ROOT, List.of(R1.key()), 1)
        .role(Role.TIMESTAMP, List.of(online.get(Role.TIMESTAMP)), 1)
        .role(Role.SNAPSHOT, List.of(online.get(Role.SNAPSHOT)), 1)
        .role(Role.TARGETS, targets, threshold)
        .build().toMetadata().sign(R1);
  }

  static Metadata next(String token) throws Exception {
    Http.Response r = s.http.get("/api/repo/targets/next", token);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return Metadata.parse(r.body().getBytes(StandardCharsets.UTF_8), 1 << 20);
  }

  static Metadata sign(Metadata md, SigningKey... keys) {
    for (SigningKey k : keys) {
      md = md.sign(k);
    }
    return md;
  }

  static Http.Response post(Metadata md) {
    return post(md.toBytes());
  }

  static Http.Response post(byte[] body) {
    return s.http.sendRaw("POST", "/api/repo/targets", Map.of("Authorization",
        "Bearer " + s.token(TestServer.Role.APPROVER), "Content-Type", "application/json"),
        body);
  }

  static String status() {
    return s.http.get("/api/repo/status", s.adminToken()).body();
  }

  /** A refusal: its status and code, its own audit row, and the repository unchanged. */
  static void refused(Http.Response r, int status, String code, String action) {
    assertThat(status()).as("nothing changed").isEqualTo(statusBefore);
    assertThat(r.status()).as(r.toString()).isEqualTo(status);
    assertThat(r.code()).isEqualTo(code);
    JsonNode rows = s.http.get("/api/audit?tail=true&limit=3", s.adminToken()).json();
    boolean found = false;
    for (JsonNode row : rows) {
      found |= row.path("action").asText().equals(action)
          && row.path("outcome").asText().equals(
              code.equals("REPO_EXPIRED") || code.equals("MALFORMED") ? "failure" : "denied")
          && row.path("detail").asText().contains(code);
    }
    assertThat(found).as("an audit row for %s in %s", code, rows).isTrue();
  }
}
