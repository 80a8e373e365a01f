package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.neguard.cli.server.ServerLauncher;
import org.neguard.io.FileTrees;
import org.neguard.server.NeguardServer;
import org.neguard.server.ServerConfig;
import org.neguard.tuf.TufKey;
import org.neguard.tuf.TufKeyFiles;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The repository commands against a real server on loopback (OBJ-1, SRC-2, INT-4): two root key
 * holders each make a key (encrypted, unreadable without the password), an admin assembles a
 * 2-of-2 root from their public keys and the server's online keys, one signature is refused at
 * publication (REPO_SIGNATURE), two are published; the status, and NEGuard's TUF client
 * downloading the published package with its length and hash checked; then the timestamp key
 * rotated, signed by the threshold, published, and the client still verifying; the root keys
 * rotated; then targets switched to offline keys and signed by their holders after an upload,
 * the client (and tuf-js) fetching the new package. The tests run in order: each is a step of
 * the ceremony on the same server.
 */
@DisplayName("OBJ-1 SRC-2 INT-4 repository commands")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RepoCliTest {
  static Path dir;
  static NeguardServer server;
  static String url;
  static String repo;
  static Path bundle;
  static Path admin;
  static Path op;
  static Path pwA;
  static Path pwB;
  static Path keyA;
  static Path keyB;
  static Path root;
  static Path state;
  static Path pki;
  static Path pub;
  static byte[] lib;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("neguard-cli-repo-test-");
    pki = SignedBundles.demoPki(dir.resolve("pki"));
    lib = new byte[150_000];
    new java.util.Random(13).nextBytes(lib);
    bundle = SignedBundles.build(dir, pki, "core", "1.0", 3, "mme", lib);
    Path adminPw = write("admin-password", "repo-test-admin-password");
    // Public: tuf-js, which sends no credential, reads it too (offlineTargets_...).
    ServerConfig.Repo d = ServerConfig.Repo.defaults();
    server = ServerLauncher.start(ServerConfig.builder(dir.resolve("data")).port(0).quiet(true)
        .adminPasswordFile(adminPw).repo(new ServerConfig.Repo(true, d.timestampExpiry(),
            d.snapshotExpiry(), d.targetsExpiry(), d.renewInterval())).build(),
        List.of(pki.resolve("ca.pem")), List.of());
    url = server.url().toString().replaceAll("/$", "");
    repo = url + "/api/repo/v1";
    admin = login("admin", adminPw);
    op = addUser("op", "operator");
    pub = addUser("pub", "publisher");
    CliRun up = CliRun.as(pub, "pkg", "upload", bundle.toString(), "--json");
    assertThat(up.exit()).as("%s", up).isZero();
    pwA = write("holder-a-password", "holder A's long password");
    pwB = write("holder-b-password", "holder B's long password");
    keyA = dir.resolve("holder-a/root.key");
    keyB = dir.resolve("holder-b/root.key");
    Files.createDirectories(keyA.getParent());
    Files.createDirectories(keyB.getParent());
    root = dir.resolve("ceremony/root.json");
    Files.createDirectories(root.getParent());
    state = dir.resolve("client-state");
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (server != null) {
        server.close();
      }
    } finally {
      FileTrees.deleteTree(dir);
    }
  }

  static Path write(String name, String content) throws Exception {
    return Files.writeString(dir.resolve(name), content + "\n");
  }

  static Path login(String user, Path passwordFile) {
    Path config = dir.resolve("config-" + user);
    CliRun r = CliRun.as(config, "login", "--server", url, "--user", user, "--password-file",
        passwordFile.toString(), "--json");
    assertThat(r.exit()).as("%s", r).isZero();
    return config;
  }

  static Path addUser(String name, String... roles) throws Exception {
    Path pw = write(name + "-password", name + "-repo-test-password");
    List<String> args = new ArrayList<>(List.of("user", "add", name, "--password-file",
        pw.toString()));
    for (String r : roles) {
      args.add("--role");
      args.add(r);
    }
    CliRun add = CliRun.as(admin, args.toArray(String[]::new));
    assertThat(add.exit()).as("%s", add).isZero();
    return login(name, pw);
  }

  static String code(CliRun r) {
    return r.json().path("reasons").path(0).path("code").asText();
  }

  @Test
  @Order(1)
  @DisplayName("OBJ-1 repo key new: one key per holder, the private key encrypted (unreadable"
      + " without the password), the public key a TUF key with the printed id")
  void keyNew_encryptedPrivateKey_publicKeyWithItsId() throws Exception {
    CliRun a = CliRun.of("repo", "key", "new", "--out", keyA.toString(), "--password-file",
        pwA.toString(), "--json");
    assertThat(a.exit()).as("%s", a).isZero();
    String idA = a.json().path("keyId").asText();
    assertThat(idA).matches("[0-9a-f]{64}");
    assertThat(a.json().path("scheme").asText()).isEqualTo("ed25519");
    Path pubA = dir.resolve("holder-a/root.key.pub.json");
    TufKey pub = TufKeyFiles.readPublicKey(pubA);
    assertThat(pub.keyId()).isEqualTo(idA);

    String pem = Files.readString(keyA, StandardCharsets.US_ASCII);
    assertThat(pem).contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        .doesNotContain("-----BEGIN PRIVATE KEY-----");
    assertThat(Files.getPosixFilePermissions(keyA))
        .doesNotContain(PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);
    // Unreadable without the password, readable with it, and then the very key of the id.
    assertThatThrownBy(() -> TufKeyFiles.readPrivateKey(keyA, "wrong password".toCharArray()))
        .isInstanceOfSatisfying(RefusalException.class,
            e -> assertThat(e.reasons().get(0).code()).isEqualTo(ReasonCode.BAD_INPUT));
    assertThat(TufKeyFiles.readSigningKey(keyA,
        "holder A's long password".toCharArray()).keyId()).isEqualTo(idA);

    // The second holder, on their machine, with an ECDSA P-256 key.
    CliRun b = CliRun.of("repo", "key", "new", "--out", keyB.toString(), "--type",
        "ecdsa-p256", "--password-file", pwB.toString());
    assertThat(b.exit()).as("%s", b).isZero();
    assertThat(b.out()).contains("Key id ").contains("ecdsa-sha2-nistp256")
        .contains("private key").contains("public key");
    assertThat(TufKeyFiles.readPublicKey(dir.resolve("holder-b/root.key.pub.json")).keyId())
        .isNotEqualTo(idA);

    // A key file is never replaced, and a short password is refused before any key is made.
    byte[] before = Files.readAllBytes(keyA);
    CliRun again = CliRun.of("repo", "key", "new", "--out", keyA.toString(),
        "--password-file", pwA.toString(), "--json");
    assertThat(again.exit()).as("%s", again).isEqualTo(1);
    assertThat(code(again)).isEqualTo("BAD_INPUT");
    assertThat(Files.readAllBytes(keyA)).isEqualTo(before);
    Path shortPw = write("short-password", "short");
    CliRun weak = CliRun.of("repo", "key", "new", "--out", dir.resolve("weak.key").toString(),
        "--password-file", shortPw.toString(), "--json");
    assertThat(weak.exit()).as("%s", weak).isEqualTo(1);
    assertThat(dir.resolve("weak.key")).doesNotExist();
  }

  @Test
  @Order(1)
  @DisplayName("OBJ-1 repo key new --type ecdsa-p256: an encrypted P-256 key whose public key"
      + " file reads back as the TUF key of the printed id")
  void keyNew_ecdsaP256_publicKeyReadsBack() throws Exception {
    Path key = dir.resolve("holder-c/root.key");
    Files.createDirectories(key.getParent());
    CliRun c = CliRun.of("repo", "key", "new", "--out", key.toString(), "--type", "ecdsa-p256",
        "--password-file", pwA.toString(), "--json");
    assertThat(c.exit()).as("%s", c).isZero();
    assertThat(c.json().path("keytype").asText()).isEqualTo("ecdsa");
    assertThat(c.json().path("scheme").asText()).isEqualTo("ecdsa-sha2-nistp256");
    assertThat(Files.readString(key)).contains("-----BEGIN ENCRYPTED PRIVATE KEY-----");
    assertThat(TufKeyFiles.readPublicKey(Path.of(pub(key))).keyId())
        .isEqualTo(c.json().path("keyId").asText());
    assertThat(TufKeyFiles.readSigningKey(key, "holder A's long password".toCharArray())
        .keyId()).isEqualTo(c.json().path("keyId").asText());
  }

  @Test
  @Order(2)
  @DisplayName("OBJ-1 repo init assembles an unsigned 2-of-2 root from public keys and the"
      + " server's online keys (admin only)")
  void init_unsignedRootFromPublicKeys() throws Exception {
    String[] init = {"repo", "init", "--root-key", pub(keyA), "--root-key", pub(keyB),
        "--threshold", "2", "--out", root.toString(), "--json"};
    CliRun byOperator = CliRun.as(op, init);
    assertThat(byOperator.exit()).as("%s", byOperator).isEqualTo(3);
    assertThat(code(byOperator)).isEqualTo("NOT_AUTHORIZED");
    assertThat(root).doesNotExist();
    CliRun tooMany = CliRun.as(admin, "repo", "init", "--root-key", pub(keyA), "--root-key",
        pub(keyB), "--threshold", "3", "--out", root.toString());
    assertThat(tooMany.exit()).as("%s", tooMany).isEqualTo(2);
    CliRun twice = CliRun.as(admin, "repo", "init", "--root-key", pub(keyA), "--root-key",
        pub(keyA), "--threshold", "2", "--out", root.toString());
    assertThat(twice.exit()).as("the same key twice would count twice: %s", twice)
        .isEqualTo(2);

    CliRun r = CliRun.as(admin, init);
    assertThat(r.exit()).as("%s", r).isZero();
    JsonNode j = r.json();
    assertThat(j.path("version").asInt()).isEqualTo(1);
    assertThat(j.path("signatures").asInt()).isZero();
    assertThat(j.path("roles").path("root").path("threshold").asInt()).isEqualTo(2);
    assertThat(j.path("roles").path("root").path("keyids")).hasSize(2);
    assertThat(j.path("roles").path("timestamp").path("keyids")).hasSize(1);
    assertThat(Files.readString(root)).contains("\"_type\":\"root\"")
        .contains("\"signatures\":[]");

    // Offline, from a file of the online keys: no server, no login; the same root.
    org.neguard.tuf.RootMetadata made =
        org.neguard.tuf.Metadata.parse(Files.readAllBytes(root), 1 << 20).root();
    java.util.Map<org.neguard.tuf.Role, TufKey> online =
        new java.util.EnumMap<>(org.neguard.tuf.Role.class);
    for (org.neguard.tuf.Role role : org.neguard.cli.support.RepoWire.ONLINE) {
      online.put(role, made.keysOf(role).get(0));
    }
    Path keysFile = Files.write(dir.resolve("online-keys.json"),
        org.neguard.cli.support.RepoWire.onlineKeysJson(online));
    Path offline = dir.resolve("offline-root.json");
    CliRun fromFile = CliRun.of("repo", "init", "--root-key", pub(keyA), "--root-key", pub(keyB),
        "--threshold", "2", "--online-keys", keysFile.toString(), "--out", offline.toString(),
        "--config", dir.resolve("nobody").toString(), "--json");
    assertThat(fromFile.exit()).as("%s", fromFile).isZero();
    assertThat(fromFile.json().path("roles")).isEqualTo(j.path("roles"));
  }

  @Test
  @Order(3)
  @DisplayName("OBJ-1 SRC-2 one signature of two: publication refused REPO_SIGNATURE; a wrong"
      + " password signs nothing; two of two: published, by an admin only")
  void sign_oneOfTwoRefused_twoOfTwoPublished() throws Exception {
    CliRun wrong = CliRun.of("repo", "root", "sign", root.toString(), "--key", keyA.toString(),
        "--password-file", pwB.toString(), "--json");
    assertThat(wrong.exit()).as("%s", wrong).isEqualTo(1);
    assertThat(code(wrong)).isEqualTo("BAD_INPUT");
    assertThat(Files.readString(root)).contains("\"signatures\":[]");

    CliRun one = CliRun.of("repo", "root", "sign", root.toString(), "--key", keyA.toString(),
        "--password-file", pwA.toString(), "--json");
    assertThat(one.exit()).as("%s", one).isZero();
    assertThat(one.json().path("signatures").asInt()).isEqualTo(1);
    assertThat(one.json().path("threshold").asInt()).isEqualTo(2);
    assertThat(one.json().path("complete").asBoolean()).isFalse();

    CliRun refused = CliRun.as(admin, "repo", "root", "publish", root.toString(), "--json");
    assertThat(refused.exit()).as("%s", refused).isEqualTo(3);
    assertThat(code(refused)).isEqualTo("REPO_SIGNATURE");
    CliRun refusedText = CliRun.as(admin, "repo", "root", "publish", root.toString());
    assertThat(refusedText.out()).contains("FAIL").contains("REPO_SIGNATURE");

    CliRun two = CliRun.of("repo", "root", "sign", root.toString(), "--key", keyB.toString(),
        "--password-file", pwB.toString());
    assertThat(two.exit()).as("%s", two).isZero();
    assertThat(two.out()).contains("2 of 2").contains("Complete");

    CliRun byOperator = CliRun.as(op, "repo", "root", "publish", root.toString(), "--json");
    assertThat(byOperator.exit()).as("%s", byOperator).isEqualTo(3);
    assertThat(code(byOperator)).isEqualTo("NOT_AUTHORIZED");

    CliRun published = CliRun.as(admin, "repo", "root", "publish", root.toString(), "--json");
    assertThat(published.exit()).as("%s", published).isZero();
    assertThat(published.json().path("status").path("initialized").asBoolean()).isTrue();
  }

  @Test
  @Order(4)
  @DisplayName("OBJ-1 repo status shows every role's version, expiry and keys, and the targets")
  void status_everyRole() {
    CliRun s = CliRun.as(op, "repo", "status", "--json");
    assertThat(s.exit()).as("%s", s).isZero();
    assertThat(s.json().path("initialized").asBoolean()).isTrue();
    assertThat(s.json().path("targets").asInt()).isEqualTo(1);
    assertThat(s.json().path("roles").findValuesAsText("role"))
        .containsExactly("root", "targets", "snapshot", "timestamp");
    CliRun text = CliRun.as(op, "repo", "status");
    assertThat(text.out()).contains("ROLE").contains("root").contains("2 of 2")
        .contains("offline").contains("timestamp").contains("online").contains("1 target");
  }

  @Test
  @Order(5)
  @DisplayName("INT-4 OBJ-1 repo verify: the Java TUF client trusts the repository and"
      + " downloads the package, length and SHA-256 checked")
  void verify_downloadsThePackage() throws Exception {
    Path got = dir.resolve("downloaded.ngp");
    CliRun v = CliRun.as(admin, "repo", "verify", "--repo", repo, "--root", root.toString(),
        "--state-dir", state.toString(), "--target", "core-1.0.ngp", "--out", got.toString(),
        "--json");
    assertThat(v.exit()).as("%s", v).isZero();
    assertThat(v.json().path("verdict").asText()).isEqualTo("pass");
    assertThat(v.json().path("roles").path("root").path("version").asInt()).isEqualTo(1);
    JsonNode t = v.json().path("targets").path(0);
    assertThat(t.path("name").asText()).isEqualTo("core-1.0.ngp");
    assertThat(t.path("version").asText()).isEqualTo("1.0");
    assertThat(t.path("securityVersion").asLong()).isEqualTo(3);
    assertThat(t.path("neType").asText()).isEqualTo("mme");
    assertThat(t.path("length").asLong()).isEqualTo(Files.size(bundle));
    assertThat(Files.readAllBytes(got)).isEqualTo(Files.readAllBytes(bundle));
    assertThat(state.resolve("timestamp.json")).exists();

    CliRun text = CliRun.as(admin, "repo", "verify", "--repo", repo, "--root",
        root.toString());
    assertThat(text.exit()).as("%s", text).isZero();
    assertThat(text.out()).contains("PASS").contains("core-1.0.ngp").contains("mme")
        .contains("timestamp");
    // A root altered after signing (a later expiry) is refused before anything is fetched.
    Path altered = dir.resolve("altered-root.json");
    Files.writeString(altered, Files.readString(root).replaceFirst(
        "\"expires\":\"20([0-9][0-9])", "\"expires\":\"21$1"));
    assertThat(Files.readString(altered)).isNotEqualTo(Files.readString(root));
    CliRun forged = CliRun.as(admin, "repo", "verify", "--repo", repo, "--root",
        altered.toString());
    assertThat(forged.exit()).as("%s", forged).isEqualTo(3);
    assertThat(forged.out()).contains("FAIL  " + repo).contains("REPO_SIGNATURE");
    // An existing output is refused unless --force, as everywhere.
    CliRun exists = CliRun.as(admin, "repo", "verify", "--repo", repo, "--state-dir",
        state.toString(), "--target", "core-1.0.ngp", "--out", got.toString(), "--json");
    assertThat(exists.exit()).as("%s", exists).isEqualTo(1);
    CliRun missing = CliRun.as(admin, "repo", "verify", "--repo", repo, "--state-dir",
        state.toString(), "--target", "nothing-9.ngp", "--out",
        dir.resolve("nothing.ngp").toString(), "--json");
    assertThat(missing.exit()).as("%s", missing).isEqualTo(1);
    assertThat(dir.resolve("nothing.ngp")).doesNotExist();
  }

  @Test
  @Order(6)
  @DisplayName("OBJ-1 repo rotate --online timestamp: signed by the threshold and published,"
      + " the client follows the chain and still verifies")
  void rotateOnlineTimestamp_signPublish_verifyStillWorks() throws Exception {
    Path root2 = dir.resolve("ceremony/root-2.json");
    String oldTimestampKey = CliRun.as(op, "repo", "status", "--json").json().path("roles")
        .path(3).path("keyIds").path(0).asText();
    CliRun rotate = CliRun.as(admin, "repo", "rotate", "--online", "timestamp", "--out",
        root2.toString(), "--json");
    assertThat(rotate.exit()).as("%s", rotate).isZero();
    assertThat(rotate.json().path("version").asInt()).isEqualTo(2);
    String newTimestampKey = rotate.json().path("roles").path("timestamp").path("keyids")
        .path(0).asText();
    assertThat(newTimestampKey).isNotEqualTo(oldTimestampKey).matches("[0-9a-f]{64}");
    assertThat(dir.resolve("ceremony/1.root.json")).exists();

    CliRun a = CliRun.of("repo", "root", "sign", root2.toString(), "--key", keyA.toString(),
        "--password-file", pwA.toString(), "--json");
    assertThat(a.exit()).as("%s", a).isZero();
    assertThat(a.json().path("previous").path("signatures").asInt()).isEqualTo(1);
    CliRun early = CliRun.as(admin, "repo", "root", "publish", root2.toString(), "--json");
    assertThat(early.exit()).as("%s", early).isEqualTo(3);
    assertThat(code(early)).isEqualTo("REPO_SIGNATURE");
    CliRun b = CliRun.of("repo", "root", "sign", root2.toString(), "--key", keyB.toString(),
        "--password-file", pwB.toString(), "--json");
    assertThat(b.exit()).as("%s", b).isZero();
    assertThat(b.json().path("complete").asBoolean()).isTrue();
    assertThat(b.json().path("previous").path("signatures").asInt()).isEqualTo(2);

    CliRun published = CliRun.as(admin, "repo", "root", "publish", root2.toString(), "--json");
    assertThat(published.exit()).as("%s", published).isZero();
    CliRun again = CliRun.as(admin, "repo", "root", "publish", root2.toString(), "--json");
    assertThat(again.exit()).as("the same version twice: %s", again).isEqualTo(3);

    // The client that trusted root 1 walks to root 2 and reads the newly signed timestamp.
    CliRun v = CliRun.as(admin, "repo", "verify", "--repo", repo, "--state-dir",
        state.toString(), "--target", "core-1.0.ngp", "--out",
        dir.resolve("downloaded-2.ngp").toString(), "--json");
    assertThat(v.exit()).as("%s", v).isZero();
    assertThat(v.json().path("roles").path("root").path("version").asInt()).isEqualTo(2);
    assertThat(Files.readAllBytes(dir.resolve("downloaded-2.ngp")))
        .isEqualTo(Files.readAllBytes(bundle));
    CliRun fresh = CliRun.as(admin, "repo", "verify", "--repo", repo, "--root",
        root.toString(), "--json");
    assertThat(fresh.exit()).as("from root 1 again: %s", fresh).isZero();
    assertThat(CliRun.as(op, "repo", "status", "--json").json().path("roles").path(3)
        .path("keyIds").path(0).asText()).isEqualTo(newTimestampKey);
  }

  @Test
  @Order(7)
  @DisplayName("SRC-2 repo rotate --root-key: a holder replaced; the outgoing one signs as the"
      + " previous root's, the new one as the new root's; published and followed by the client")
  void rotateRootKeys_outgoingAndIncomingHoldersSign_published() throws Exception {
    Path keyC = dir.resolve("holder-c2/root.key");
    Files.createDirectories(keyC.getParent());
    Path pwC = write("holder-c2-password", "holder C's long password");
    assertThat(CliRun.of("repo", "key", "new", "--out", keyC.toString(), "--password-file",
        pwC.toString()).exit()).isZero();
    Path root3 = dir.resolve("ceremony/root-3.json");
    CliRun rotate = CliRun.as(admin, "repo", "rotate", "--root-key", pub(keyA), "--root-key",
        pub(keyC), "--threshold", "2", "--out", root3.toString(), "--json");
    assertThat(rotate.exit()).as("%s", rotate).isZero();
    assertThat(rotate.json().path("version").asInt()).isEqualTo(3);
    assertThat(rotate.json().path("rootKeysReplaced").asBoolean()).isTrue();
    assertThat(dir.resolve("ceremony/2.root.json")).exists();

    // B leaves: their key is only the previous root's, and still counts there.
    CliRun b = CliRun.of("repo", "root", "sign", root3.toString(), "--key", keyB.toString(),
        "--password-file", pwB.toString(), "--json");
    assertThat(b.exit()).as("%s", b).isZero();
    assertThat(b.json().path("signatures").asInt()).isZero();
    assertThat(b.json().path("previous").path("signatures").asInt()).isEqualTo(1);
    CliRun c = CliRun.of("repo", "root", "sign", root3.toString(), "--key", keyC.toString(),
        "--password-file", pwC.toString(), "--json");
    assertThat(c.exit()).as("%s", c).isZero();
    assertThat(c.json().path("signatures").asInt()).isEqualTo(1);
    CliRun notYet = CliRun.as(admin, "repo", "root", "publish", root3.toString(), "--json");
    assertThat(notYet.exit()).as("%s", notYet).isEqualTo(3);
    assertThat(code(notYet)).isEqualTo("REPO_SIGNATURE");
    CliRun a = CliRun.of("repo", "root", "sign", root3.toString(), "--key", keyA.toString(),
        "--password-file", pwA.toString(), "--json");
    assertThat(a.exit()).as("%s", a).isZero();
    assertThat(a.json().path("complete").asBoolean()).isTrue();
    CliRun published = CliRun.as(admin, "repo", "root", "publish", root3.toString(), "--json");
    assertThat(published.exit()).as("%s", published).isZero();

    CliRun v = CliRun.as(admin, "repo", "verify", "--repo", repo, "--state-dir",
        state.toString(), "--json");
    assertThat(v.exit()).as("%s", v).isZero();
    assertThat(v.json().path("roles").path("root").path("version").asInt()).isEqualTo(3);
    // A key that the root does not name is refused: its signature would count for nothing.
    CliRun stranger = CliRun.of("repo", "root", "sign", root.toString(), "--key",
        keyC.toString(), "--password-file", pwC.toString(), "--json");
    assertThat(stranger.exit()).as("%s", stranger).isEqualTo(1);
    assertThat(code(stranger)).isEqualTo("BAD_INPUT");
  }

  @Test
  @Order(8)
  @DisplayName("OBJ-1 SRC-2 INT-4 targets switched to 2-of-2 offline keys: an upload is offered,"
      + " not published; one targets signature refused REPO_SIGNATURE; two published; repo"
      + " verify and tuf-js fetch the new package")
  void offlineTargets_rotatePullSignPublish_verifyFetches() throws Exception {
    // The targets key holders, each on their own machine.
    Path t1 = dir.resolve("targets-1/targets.key");
    Path t2 = dir.resolve("targets-2/targets.key");
    Files.createDirectories(t1.getParent());
    Files.createDirectories(t2.getParent());
    assertThat(CliRun.of("repo", "key", "new", "--out", t1.toString(), "--password-file",
        pwA.toString()).exit()).isZero();
    assertThat(CliRun.of("repo", "key", "new", "--out", t2.toString(), "--type", "ecdsa-p256",
        "--password-file", pwB.toString()).exit()).isZero();
    Path keyC = dir.resolve("holder-c2/root.key");
    Path pwC = dir.resolve("holder-c2-password");

    // A first root could name them from the start (offline, from the online keys file).
    Path offlineInit = dir.resolve("offline-targets-root.json");
    CliRun init = CliRun.of("repo", "init", "--root-key", pub(keyA), "--root-key", pub(keyB),
        "--threshold", "2", "--targets-key", pub(t1), "--targets-key", pub(t2),
        "--targets-threshold", "2", "--online-keys", dir.resolve("online-keys.json").toString(),
        "--out", offlineInit.toString(), "--config", dir.resolve("nobody").toString(), "--json");
    assertThat(init.exit()).as("%s", init).isZero();
    assertThat(init.json().path("targetsOffline").asBoolean()).isTrue();
    assertThat(init.json().path("roles").path("targets").path("keyids")).hasSize(2);
    assertThat(init.json().path("roles").path("targets").path("threshold").asInt()).isEqualTo(2);
    CliRun half = CliRun.of("repo", "init", "--root-key", pub(keyA), "--threshold", "1",
        "--targets-key", pub(t1), "--online-keys", dir.resolve("online-keys.json").toString(),
        "--out", dir.resolve("half.json").toString(), "--config",
        dir.resolve("nobody").toString());
    assertThat(half.exit()).as("--targets-key without its threshold: %s", half).isEqualTo(2);

    // The switch: a root naming them for targets, signed by the root holders (A and C).
    Path root4 = dir.resolve("ceremony/root-4.json");
    CliRun badThreshold = CliRun.as(admin, "repo", "rotate", "--targets-key", pub(t1),
        "--targets-key", pub(t2), "--targets-threshold", "3", "--out", root4.toString());
    assertThat(badThreshold.exit()).as("%s", badThreshold).isEqualTo(2);
    CliRun both = CliRun.as(admin, "repo", "rotate", "--targets-key", pub(t1),
        "--targets-threshold", "1", "--online", "targets", "--out", root4.toString());
    assertThat(both.exit()).as("%s", both).isEqualTo(2);
    assertThat(root4).doesNotExist();
    CliRun rotate = CliRun.as(admin, "repo", "rotate", "--targets-key", pub(t1),
        "--targets-key", pub(t2), "--targets-threshold", "2", "--out", root4.toString(),
        "--json");
    assertThat(rotate.exit()).as("%s", rotate).isZero();
    assertThat(rotate.json().path("version").asInt()).isEqualTo(4);
    assertThat(rotate.json().path("targetsOffline").asBoolean()).isTrue();
    assertThat(rotate.json().path("roles").path("targets").path("threshold").asInt())
        .isEqualTo(2);
    for (Path k : List.of(keyA, keyC)) {
      CliRun sign = CliRun.of("repo", "root", "sign", root4.toString(), "--key", k.toString(),
          "--password-file", (k == keyA ? pwA : pwC).toString(), "--json");
      assertThat(sign.exit()).as("%s", sign).isZero();
    }
    CliRun published = CliRun.as(admin, "repo", "root", "publish", root4.toString(), "--json");
    assertThat(published.exit()).as("%s", published).isZero();
    JsonNode st = CliRun.as(op, "repo", "status", "--json").json();
    assertThat(st.path("roles").path(1).path("online").asBoolean()).isFalse();
    assertThat(st.path("message").asText()).contains("signed offline");

    // An upload: stored, verified, but not published until the holders sign.
    byte[] lib2 = lib.clone();
    lib2[0] ^= 1;
    Path bundle2 = SignedBundles.build(dir, pki, "core", "1.1", 4, "mme", lib2);
    CliRun up = CliRun.as(pub, "pkg", "upload", bundle2.toString(), "--json");
    assertThat(up.exit()).as("%s", up).isZero();
    assertThat(CliRun.as(op, "repo", "status", "--json").json().path("targets").asInt())
        .isEqualTo(1);

    // The security officer pulls the next targets; an operator may not.
    Path sec = addUser("sec", "approver");
    Path targets = dir.resolve("offline/targets.json");
    Files.createDirectories(targets.getParent());
    CliRun byOperator = CliRun.as(op, "repo", "targets", "pull", "--out", targets.toString(),
        "--json");
    assertThat(byOperator.exit()).as("%s", byOperator).isEqualTo(3);
    assertThat(code(byOperator)).isEqualTo("NOT_AUTHORIZED");
    CliRun pull = CliRun.as(sec, "repo", "targets", "pull", "--out", targets.toString(),
        "--json");
    assertThat(pull.exit()).as("%s", pull).isZero();
    assertThat(pull.json().path("targets").findValuesAsText("name"))
        .containsExactly("core-1.0.ngp", "core-1.1.ngp");
    assertThat(pull.json().path("threshold").asInt()).isEqualTo(2);
    assertThat(dir.resolve("offline/4.root.json")).exists();

    // One holder's signature: refused at publication; a root key is not a targets key.
    CliRun rootKey = CliRun.of("repo", "targets", "sign", targets.toString(), "--key",
        keyA.toString(), "--password-file", pwA.toString(), "--json");
    assertThat(rootKey.exit()).as("%s", rootKey).isEqualTo(1);
    assertThat(code(rootKey)).isEqualTo("BAD_INPUT");
    CliRun one = CliRun.of("repo", "targets", "sign", targets.toString(), "--key",
        t1.toString(), "--password-file", pwA.toString());
    assertThat(one.exit()).as("%s", one).isZero();
    assertThat(one.out()).contains("core-1.1.ngp").contains("securityVersion 4")
        .contains("1 of 2").doesNotContain("Complete");
    CliRun early = CliRun.as(sec, "repo", "targets", "publish", targets.toString(), "--json");
    assertThat(early.exit()).as("%s", early).isEqualTo(3);
    assertThat(code(early)).isEqualTo("REPO_SIGNATURE");
    CliRun two = CliRun.of("repo", "targets", "sign", targets.toString(), "--key",
        t2.toString(), "--password-file", pwB.toString(), "--json");
    assertThat(two.exit()).as("%s", two).isZero();
    assertThat(two.json().path("signatures").asInt()).isEqualTo(2);
    assertThat(two.json().path("complete").asBoolean()).isTrue();
    CliRun publish = CliRun.as(sec, "repo", "targets", "publish", targets.toString(),
        "--json");
    assertThat(publish.exit()).as("%s", publish).isZero();
    assertThat(publish.json().path("status").path("targets").asInt()).isEqualTo(2);
    CliRun nothing = CliRun.as(sec, "repo", "targets", "pull", "--out",
        dir.resolve("offline/again.json").toString(), "--json");
    assertThat(nothing.exit()).as("%s", nothing).isZero();
    assertThat(nothing.json().path("current").asBoolean()).isTrue();
    assertThat(dir.resolve("offline/again.json")).doesNotExist();

    // The client walks to root 4 and downloads the new package.
    Path got = dir.resolve("downloaded-offline.ngp");
    CliRun v = CliRun.as(admin, "repo", "verify", "--repo", repo, "--state-dir",
        state.toString(), "--target", "core-1.1.ngp", "--out", got.toString(), "--json");
    assertThat(v.exit()).as("%s", v).isZero();
    assertThat(v.json().path("roles").path("root").path("version").asInt()).isEqualTo(4);
    assertThat(Files.readAllBytes(got)).isEqualTo(Files.readAllBytes(bundle2));

    // tuf-js, from root 1, where it can run (in CI it must).
    boolean tufJsHere = TufJs.harness() != null
        && Files.isDirectory(TufJs.harness().resolveSibling("node_modules"));
    if ("true".equalsIgnoreCase(System.getenv("CI")) || tufJsHere) {
      Path into = Files.createDirectories(dir.resolve("tuf-js-offline"));
      java.io.StringWriter out = new java.io.StringWriter();
      TufJs.fetch(new java.io.PrintWriter(out, true), new java.io.PrintWriter(out, true), repo,
          root, "core-1.1.ngp", into);
      assertThat(out.toString()).contains("\"ok\":true");
      assertThat(into.resolve("targets/core-1.1.ngp")).hasSameBinaryContentAs(bundle2);
    }
  }

  private static String pub(Path key) {
    return key.resolveSibling(key.getFileName() + ".pub.json").toString();
  }
}
