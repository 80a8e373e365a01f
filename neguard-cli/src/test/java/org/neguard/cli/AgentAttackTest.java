package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Enumeration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.neguard.agent.Slots;
import org.neguard.agent.client.DeviceClient;
import org.neguard.pkg.BundleExtractor;
import org.neguard.pkg.BundleLayout;
import org.neguard.pkg.BundleVerifier;
import org.neguard.progress.ProgressListener;
import org.neguard.server.NeguardServer;
import org.neguard.server.keys.ServerKeys;
import org.neguard.sign.CmsSigner;
import org.neguard.sign.KeyMaterial;
import org.neguard.sign.TrustStore;
import org.neguard.verdict.RefusalException;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Issue 14's attacks on the NE agent, each against a real server on loopback and a real agent
 * process: a man in the middle ({@link TamperingProxy}, with a certificate from the server's own
 * device CA, so that TLS alone does not stop it) alters the bundle, swaps, strips or forges the
 * order, replays old TUF metadata; the server issues an order that expired long ago; the install
 * root is a small tmpfs that a bundle does not fit; bundles that drop a file outside their slot
 * are refused at upload and by the agent's own extraction. Each test asserts the reason code on
 * the server and in {@code last-result.json}, that nothing was installed ({@code current}
 * unchanged) and that no temporary file is left. The tests run in order on one server and one
 * NE behind the proxy.
 */
@DisplayName("INT-3 INT-1 SRC-2 OBJ-1 attacks on the NE agent process: each refused, nothing"
    + " installed, the reason reported")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentAttackTest {
  static final ObjectMapper JSON = AgentFleet.JSON;
  static AgentFleet fleet;
  static TamperingProxy proxy;
  static AgentFleet.Ne a;
  static byte[] lib1;
  static byte[] lib2;
  /** timestamp.json as the server signed it before core 2.0 was published. */
  static byte[] oldTimestamp;
  /** The snapshot metadata of that moment. */
  static byte[] oldSnapshot;
  static Path tmpfs;

  @BeforeAll
  static void start() throws Exception {
    fleet = AgentFleet.start("agent-attack-test");
    lib1 = new byte[40_000];
    new Random(11).nextBytes(lib1);
    lib2 = new byte[45_000];
    new Random(12).nextBytes(lib2);
    fleet.publish("core", "1.0", 1, "mme", lib1);
    // The man in the middle: a server certificate for 127.0.0.1 from the device CA itself, so
    // the agent's TLS (which trusts the device CA only) accepts it; upstream it is ne-a.
    ServerKeys.DeviceCa ca = bean(ServerKeys.class).deviceCa();
    a = fleet.ne("ne-a");
    proxy = new TamperingProxy(ca.certificate(), ca.key(), fleet.server.deviceUrl(),
        a.state().resolve("identity"));
    a.configure("mme").set("server.url", proxy.url().toString()).start();
    a.await("enrolled", e -> true);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (tmpfs != null) {
        new ProcessBuilder("umount", "-l", tmpfs.toString()).inheritIO().start()
            .waitFor(30, TimeUnit.SECONDS);
      }
      if (proxy != null) {
        proxy.close();
      }
    } finally {
      if (fleet != null) {
        fleet.close();
      }
    }
  }

  /** A bean of the running server (the test controls its data: the device CA, the clock). */
  static <T> T bean(Class<T> type) throws Exception {
    Field f = NeguardServer.class.getDeclaredField("context");
    f.setAccessible(true);
    return ((ConfigurableApplicationContext) f.get(fleet.server)).getBean(type);
  }

  /** Sets the deployment engine's clock (DeployClock, package-private: reflection). */
  static void serverClock(Clock clock) throws Exception {
    Class<?> type = Class.forName("org.neguard.server.deploy.DeployClock");
    Field f = NeguardServer.class.getDeclaredField("context");
    f.setAccessible(true);
    Object c = ((ConfigurableApplicationContext) f.get(fleet.server)).getBean(type);
    Method set = type.getDeclaredMethod("set", Clock.class);
    set.setAccessible(true);
    set.invoke(c, clock);
  }

  /**
   * The refusal, everywhere it must show: the target failed with {@code code} first, the same in
   * last-result.json and in the agent's {@code refused} line; current still on
   * {@code currentSlot}, installed.json still {@code version}; no slot of core 2.0, no temporary
   * directory, no download left.
   */
  static JsonNode assertRefused(String deployment, AgentFleet.Ne ne, String code,
      String currentSlot, String version) throws Exception {
    JsonNode t = fleet.finalTarget(deployment, ne.id);
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("failed");
    assertThat(t.path("reasons").path(0).path("code").asText()).as("%s", t).isEqualTo(code);
    JsonNode last = JSON.readTree(ne.state().resolve("last-result.json").toFile());
    assertThat(last.path("status").asText()).isEqualTo("failed");
    assertThat(last.path("reasons").path(0).path("code").asText()).isEqualTo(code);
    // The agent's own refusal of this very order (not a server-side verdict).
    ne.await("refused", e -> e.path("codes").asText().startsWith(code)
        && e.path("orderId").asText().equals(last.path("orderId").asText()));
    if (currentSlot == null) {
      assertThat(ne.install().resolve("current")).doesNotExist();
    } else {
      assertThat(Files.readSymbolicLink(ne.install().resolve("current")).toString())
          .isEqualTo(currentSlot);
    }
    if (version == null) {
      assertThat(ne.state().resolve("installed.json")).doesNotExist();
    } else {
      assertThat(JSON.readTree(ne.state().resolve("installed.json").toFile()).path("version")
          .asText()).isEqualTo(version);
    }
    assertNoLeftovers(ne);
    return t;
  }

  /** Only whole slots in versions/ (no .tmp-, no .old-), nothing in download/, no temp links. */
  static void assertNoLeftovers(AgentFleet.Ne ne) throws IOException {
    List<String> names = new ArrayList<>();
    if (Files.isDirectory(ne.install().resolve("versions"))) {
      try (var s = Files.list(ne.install().resolve("versions"))) {
        s.forEach(p -> names.add(p.getFileName().toString()));
      }
    }
    assertThat(names).noneMatch(n -> n.startsWith(".")).doesNotContain("core@2.0");
    try (var s = Files.list(ne.install())) {
      assertThat(s.map(p -> p.getFileName().toString()).toList())
          .as("install root: no temporary link").noneMatch(n -> n.startsWith("."));
    }
    assertNoDownload(ne);
  }

  /** Nothing in the agent's download/ (no bundle kept once its order is over). */
  static void assertNoDownload(AgentFleet.Ne ne) throws IOException {
    Path download = ne.state().resolve("download");
    if (Files.isDirectory(download)) {
      try (var s = Files.list(download)) {
        assertThat(s.toList()).as("no download kept").isEmpty();
      }
    }
  }

  /** last-result.json once it is about {@code orderId} (10 s at most). */
  static JsonNode awaitLastResult(AgentFleet.Ne ne, String orderId) throws Exception {
    Path file = ne.state().resolve("last-result.json");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      JsonNode last = Files.exists(file) ? JSON.readTree(file.toFile()) : null;
      if (last != null && last.path("orderId").asText().equals(orderId)) {
        return last;
      }
      assertThat(System.nanoTime()).as("last-result.json of %s: %s", orderId, last)
          .isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  /** Events of the agent about one order, by name. */
  static List<String> eventsOf(AgentFleet.Ne ne, String orderId) throws IOException {
    return ne.events().stream().filter(e -> e.path("orderId").asText().equals(orderId))
        .map(e -> e.path("event").asText()).toList();
  }

  /** Rewrites the order in each poll answer that carries one: its JWS becomes {@code jws(old)}. */
  static TamperingProxy.Tamper orderSwap(java.util.function.UnaryOperator<String> jws) {
    return (req, resp) -> {
      if (!req.target().startsWith("/api/device/v1/poll") || resp.status() != 200) {
        return resp;
      }
      JsonNode poll = JSON.readTree(resp.body());
      if (!(poll.path("order") instanceof ObjectNode order)) {
        return resp;
      }
      order.put("jws", jws.apply(order.path("jws").asText()));
      return resp.withBody(JSON.writeValueAsBytes(poll));
    };
  }

  @Test
  @Order(1)
  @DisplayName("INT-3 through the man in the middle, passing everything on untouched, the agent"
      + " installs core 1.0: the proxy itself breaks nothing (the control for the attacks)")
  void passThrough_installs() throws Exception {
    JsonNode t = fleet.finalTarget(fleet.deploy("core", "1.0", "ne-a"), "ne-a");
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("succeeded");
    assertThat(Files.readAllBytes(a.install().resolve("current/lib/core.so"))).isEqualTo(lib1);
    List<TamperingProxy.Exchange> seen = proxy.seen();
    assertThat(seen).anyMatch(x -> x.request().target().startsWith("/api/device/v1/bundles/"));
    oldTimestamp = seen.stream()
        .filter(x -> x.request().target().endsWith("/timestamp.json")
            && x.response().status() == 200)
        .reduce((x, y) -> y).orElseThrow().response().body();
    oldSnapshot = seen.stream()
        .filter(x -> x.request().target().endsWith("snapshot.json")
            && x.response().status() == 200)
        .reduce((x, y) -> y).orElseThrow().response().body();
    // A second publication: the repository's timestamp and snapshot get new versions.
    fleet.publish("core", "2.0", 2, "mme", lib2);
  }

  @Test
  @Order(2)
  @DisplayName("INT-1 INT-4 OBJ-1 a bundle altered in transit (one byte flipped by the man in the"
      + " middle) is refused DIGEST_MISMATCH: the download removed, nothing installed, current"
      + " still core 1.0, the failure reported")
  void bundleAlteredInTransit_refused() throws Exception {
    proxy.tamper((req, resp) -> {
      if (!req.target().startsWith("/api/device/v1/bundles/") || resp.status() / 100 != 2) {
        return resp;
      }
      byte[] b = resp.body().clone();
      b[b.length / 2] ^= 0x01;
      return resp.withBody(b);
    });
    try {
      String dep = fleet.deploy("core", "2.0", "ne-a");
      JsonNode t = assertRefused(dep, a, "DIGEST_MISMATCH", "versions/core@1.0", "1.0");
      assertThat(eventsOf(a, t.path("orderId").asText())).contains("tuf_verified")
          .doesNotContain("downloaded", "verified_extracted", "activated");
    } finally {
      proxy.tamper(TamperingProxy.Tamper.PASS);
    }
  }

  @Test
  @Order(3)
  @DisplayName("INT-4 OBJ-1 TUF metadata rollback: the man in the middle replays timestamp.json"
      + " from before core 2.0 (validly signed, lower version) after the agent saw a newer one:"
      + " refused REPO_ROLLBACK, nothing downloaded or installed")
  void tufTimestampReplayed_refusedRollback() throws Exception {
    assertThat(oldTimestamp).isNotNull();
    proxy.tamper((req, resp) -> req.target().endsWith("/timestamp.json")
        && resp.status() == 200 ? resp.withBody(oldTimestamp) : resp);
    try {
      String dep = fleet.deploy("core", "2.0", "ne-a");
      JsonNode t = assertRefused(dep, a, "REPO_ROLLBACK", "versions/core@1.0", "1.0");
      assertThat(t.path("reasons").path(0).path("message").asText()).contains("timestamp");
      assertThat(eventsOf(a, t.path("orderId").asText())).contains("order_verified")
          .doesNotContain("tuf_verified", "downloaded");
    } finally {
      proxy.tamper(TamperingProxy.Tamper.PASS);
    }
  }

  @Test
  @Order(4)
  @DisplayName("INT-4 OBJ-1 TUF mix-and-match: after another publication, the man in the middle"
      + " passes the new timestamp on but serves the old snapshot (validly signed) in place of"
      + " the one it names: refused REPO_MISMATCH, nothing downloaded or installed")
  void tufOldSnapshotServed_refusedMismatch() throws Exception {
    assertThat(oldSnapshot).isNotNull();
    fleet.publish("aux", "1.0", 1, "mme", new byte[] {4, 5, 6}); // a snapshot the agent lacks
    proxy.tamper((req, resp) -> req.target().endsWith("snapshot.json")
        && resp.status() == 200 ? resp.withBody(oldSnapshot) : resp);
    try {
      String dep = fleet.deploy("core", "2.0", "ne-a");
      JsonNode t = assertRefused(dep, a, "REPO_MISMATCH", "versions/core@1.0", "1.0");
      assertThat(t.path("reasons").path(0).path("message").asText()).contains("snapshot");
      assertThat(proxy.seen()).as("the old snapshot was asked for and served").anyMatch(
          x -> x.request().target().endsWith("snapshot.json")
              && !java.util.Arrays.equals(x.response().body(), oldSnapshot));
      assertThat(eventsOf(a, t.path("orderId").asText())).contains("order_verified")
          .doesNotContain("tuf_verified", "downloaded");
    } finally {
      proxy.tamper(TamperingProxy.Tamper.PASS);
    }
  }

  @Test
  @Order(5)
  @DisplayName("SRC-2 OBJ-1 an order for another device (device B's signed order, swapped in by"
      + " the man in the middle for ne-a's) is refused DEVICE_MISMATCH before any download:"
      + " nothing installed, the refusal reported")
  void orderForAnotherDevice_refused() throws Exception {
    // Device B, enrolled with its own token (in this JVM: B's agent process is not needed).
    CliRun token = CliRun.as(fleet.op, "device", "enroll-token", "--device-id", "ne-b",
        "--json");
    assertThat(token.exit()).as("%s", token).isZero();
    DeviceClient asB = DeviceClient.enrolling(fleet.server.deviceUrl(), new DeviceClient.Trust(
        bean(ServerKeys.class).deviceCa().certificate(), null));
    asB.enroll(token.json().path("token").asText(), "ne-b", "mme", List.of(), List.of());
    fleet.deploy("core", "2.0", "ne-b");
    // B's order as B receives it (B's own mutual TLS): what an attacker captured on B's link.
    String jwsB = null;
    for (int i = 0; i < 300 && jwsB == null; i++) {
      DeviceClient.PollAnswer p = asB.poll(null);
      if (p.poll() != null && p.poll().attestation() != null) {
        // B is an honest NE with nothing installed: its evidence lists no component (ATT-1).
        asB.evidence(new org.neguard.api.attest.EvidenceSubmission(
            org.neguard.attest.EvidenceSigner.of(asB.identity().keyPair().getPrivate())
                .sign(org.neguard.attest.Evidence.of("ne-b", java.util.HexFormat.of()
                    .parseHex(p.poll().attestation().nonce()), java.time.Instant.now(),
                    List.of(), java.util.Optional.empty()))));
      } else if (p.poll() != null && p.poll().order() != null) {
        jwsB = p.poll().order().jws();
      } else {
        Thread.sleep(100);
      }
    }
    assertThat(jwsB).as("B's order").isNotNull();
    String forB = jwsB;
    proxy.tamper(orderSwap(jws -> forB));
    try {
      String dep = fleet.deploy("core", "2.0", "ne-a");
      JsonNode t = assertRefused(dep, a, "DEVICE_MISMATCH", "versions/core@1.0", "1.0");
      assertThat(t.path("reasons").path(0).path("message").asText()).contains("ne-b");
      assertThat(eventsOf(a, t.path("orderId").asText())).doesNotContain("order_verified",
          "downloaded");
    } finally {
      proxy.tamper(TamperingProxy.Tamper.PASS);
    }
  }

  /** The signature part removed: {@code header.payload.} */
  static String stripped(String jws) {
    return jws.substring(0, jws.lastIndexOf('.') + 1);
  }

  /** The header's alg set to {@code none}, the signature removed. */
  static String algNone(String jws) {
    try {
      String[] p = jws.split("\\.");
      ObjectNode h = (ObjectNode) JSON.readTree(Base64.getUrlDecoder().decode(p[0]));
      h.put("alg", "none");
      return Base64.getUrlEncoder().withoutPadding().encodeToString(JSON.writeValueAsBytes(h))
          + "." + p[1] + ".";
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** The same header (kid included) and payload, ES256-signed by a key the test generated. */
  static String forged(String jws) {
    try {
      JWSObject real = JWSObject.parse(jws);
      ECKey attacker = new ECKeyGenerator(Curve.P_256).generate();
      JWSObject f = new JWSObject(real.getHeader(), real.getPayload());
      f.sign(new ECDSASigner(attacker));
      return f.serialize();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  @Order(6)
  @DisplayName("SRC-2 OBJ-1 an unsigned order (signature removed), an alg-none order and an"
      + " order signed by a key that is not the server's are each refused (MALFORMED,"
      + " ALGORITHM_NOT_ALLOWED, SIGNATURE_INVALID) before any download: nothing installed,"
      + " each refusal reported")
  void unsignedAlgNoneAndForgedOrders_refused() throws Exception {
    record Case(java.util.function.UnaryOperator<String> attack, String code) {}
    for (Case c : List.of(new Case(AgentAttackTest::stripped, "MALFORMED"),
        new Case(AgentAttackTest::algNone, "ALGORITHM_NOT_ALLOWED"),
        new Case(AgentAttackTest::forged, "SIGNATURE_INVALID"))) {
      proxy.tamper(orderSwap(c.attack()));
      try {
        String dep = fleet.deploy("core", "2.0", "ne-a");
        JsonNode t = assertRefused(dep, a, c.code(), "versions/core@1.0", "1.0");
        assertThat(eventsOf(a, t.path("orderId").asText())).doesNotContain("order_verified",
            "downloaded");
      } finally {
        proxy.tamper(TamperingProxy.Tamper.PASS);
      }
    }
  }

  @Test
  @Order(7)
  @DisplayName("SRC-2 OBJ-1 an expired order (issued by a server whose clock was two days"
      + " behind: valid until yesterday, as a replay of an old order would be) is refused"
      + " ORDER_VALIDITY by the agent's own clock: nothing installed, the refusal reported")
  void expiredOrder_refused() throws Exception {
    serverClock(Clock.offset(Clock.systemUTC(), Duration.ofDays(-2)));
    JsonNode t;
    try {
      String dep = fleet.deploy("core", "2.0", "ne-a");
      t = assertRefused(dep, a, "ORDER_VALIDITY", "versions/core@1.0", "1.0");
    } finally {
      serverClock(Clock.systemUTC());
    }
    // The agent's refusal ("expired at ... this device's clock says"), not the server's expiry.
    assertThat(t.path("reasons").path(0).path("message").asText()).contains("expired at")
        .contains("this device's clock");
    assertThat(eventsOf(a, t.path("orderId").asText())).doesNotContain("order_verified",
        "downloaded");
  }

  @Test
  @Order(8)
  @DisplayName("INT-3 SRC-2 OBJ-1 the server unreachable for longer than an order's validity"
      + " while the agent keeps running (cut off right after the order arrived): back online,"
      + " nothing of the void order is installed, ORDER_VALIDITY kept and reported, core 1.0"
      + " stays")
  void serverUnreachablePastTheOrdersValidity_neverInstalled() throws Exception {
    Instant expires = Instant.now().plusSeconds(12).truncatedTo(
        java.time.temporal.ChronoUnit.SECONDS);
    int before = a.events().size();
    proxy.tamper((req, resp) -> {
      if (req.target().startsWith("/api/device/v1/poll") && resp.status() == 200
          && JSON.readTree(resp.body()).path("order").isObject()) {
        proxy.cut(true); // the order gets through; everything after it is lost
      }
      return resp;
    });
    String dep;
    String orderId;
    try {
      dep = fleet.deploy("core", "2.0", "ne-a", "--expires", expires.toString());
      String deployment = dep;
      orderId = a.await("order", e -> e.path("deploymentId").asText().equals(deployment))
          .path("orderId").asText();
      while (Instant.now().isBefore(expires.plusSeconds(2))) {
        Thread.sleep(200);
      }
    } finally {
      proxy.tamper(TamperingProxy.Tamper.PASS);
      proxy.cut(false);
    }
    // This order's refusal (an earlier test's is in the same log), then its result file, which
    // the agent writes after it logs the refusal.
    JsonNode refused = a.await("refused", e -> e.path("orderId").asText().equals(orderId)
        && e.path("codes").asText().equals("ORDER_VALIDITY"));
    assertThat(refused.path("message").asText()).contains("expired");
    List<String> after = a.eventNames().subList(before, a.eventNames().size());
    assertThat(after).as("nothing of the void order installed")
        .doesNotContain("downloaded", "verified_extracted", "activated", "installed");
    JsonNode last = awaitLastResult(a, orderId);
    assertThat(last.path("status").asText()).isEqualTo("failed");
    assertThat(last.path("reasons").path(0).path("code").asText()).isEqualTo("ORDER_VALIDITY");
    assertThat(Files.readSymbolicLink(a.install().resolve("current")).toString())
        .isEqualTo("versions/core@1.0");
    assertThat(JSON.readTree(a.state().resolve("installed.json").toFile()).path("version")
        .asText()).isEqualTo("1.0");
    assertNoLeftovers(a);
    CliRun s = CliRun.as(fleet.op, "deploy", "status", dep, "--targets", "--json");
    assertThat(s.json().path("targets").path(0).path("state").asText()).as("%s", s.json())
        .isNotEqualTo("succeeded");
    assertThat(fleet.device("ne-a").path("installed").toString()).doesNotContain("\"2.0\"");
  }

  @Test
  @Order(11)
  @DisplayName("INT-3 after every attack, the untouched order for core 2.0 installs: the"
      + " refusals came from the attacks, not from a broken agent")
  void afterTheAttacks_untouchedOrderInstalls() throws Exception {
    JsonNode t = fleet.finalTarget(fleet.deploy("core", "2.0", "ne-a"), "ne-a");
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("succeeded");
    assertThat(Files.readAllBytes(a.install().resolve("current/lib/core.so"))).isEqualTo(lib2);
    a.stop();
  }

  @Test
  @Order(9)
  @DisplayName("INT-3 OBJ-1 disk full during extraction (install root on a 1 MiB tmpfs, a 1.5 MB"
      + " bundle): refused IO_ERROR with a message saying what to do, reported once (no retry"
      + " loop), nothing switched, the partial slot removed and the space freed")
  void diskFullDuringExtraction_refusedAndSpaceFreed() throws Exception {
    AgentFleet.Ne f = fleet.ne("ne-f").configure("mme");
    tmpfs = f.install();
    Files.createDirectories(tmpfs);
    Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m,mode=0755",
        "neguard-test", tmpfs.toString()).redirectErrorStream(true).start();
    String said = new String(mount.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!mount.waitFor(30, TimeUnit.SECONDS) || mount.exitValue() != 0) {
      tmpfs = null;
      fail("this test mounts a 1 MiB tmpfs as the install root and needs root (CI runs as"
          + " root): mount said " + said);
    }
    byte[] big = new byte[1_500_000];
    new Random(13).nextBytes(big);
    Path bundle = fleet.publish("big", "1.0", 1, "mme", big);
    FileStore store = Files.getFileStore(tmpfs);
    assertThat(Files.size(bundle)).isGreaterThan(store.getTotalSpace());
    f.start();
    f.await("enrolled", e -> true);
    String dep = fleet.deploy("big", "1.0", "ne-f");
    JsonNode t = fleet.finalTarget(dep, "ne-f");
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("failed");
    assertThat(t.path("reasons").path(0).path("code").asText()).isEqualTo("IO_ERROR");
    assertThat(t.path("reasons").path(0).path("message").asText())
        .contains("no space left on the install root").contains("free space there");
    JsonNode last = JSON.readTree(f.state().resolve("last-result.json").toFile());
    assertThat(last.path("reasons").path(0).path("code").asText()).isEqualTo("IO_ERROR");
    assertThat(f.install().resolve("current")).doesNotExist();
    assertThat(f.state().resolve("installed.json")).doesNotExist();
    try (var s = Files.list(f.install().resolve("versions"))) {
      assertThat(s.toList()).as("no slot, no partial .tmp- slot").isEmpty();
    }
    assertNoLeftovers(f);
    // df: the space is free again (directories on tmpfs take no blocks).
    Process df = new ProcessBuilder("df", "-B1", "--output=used", tmpfs.toString())
        .redirectErrorStream(true).start();
    List<String> lines = new String(df.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
        .lines().toList();
    assertThat(df.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(Long.parseLong(lines.get(lines.size() - 1).trim())).as("df: %s", lines)
        .isLessThan(64 * 1024);
    // One attempt, one report: not a loop that extracts the same bundle at every poll.
    Thread.sleep(2_500);
    assertThat(f.eventNames().stream().filter(e -> e.equals("downloaded")).count()).isEqualTo(1);
    assertThat(f.eventNames()).doesNotContain("poll_error");
    f.stop();
  }

  // --- a package that drops a file outside its slot -------------------------------------------

  /**
   * A bundle made from the real, scanned and signed {@code source}, with its payload file
   * renamed to {@code path} (in the manifest and as the archive entry) or, with {@code symlink},
   * turned into a symbolic link to {@code path}; the manifest signed again by the vendor, so
   * that only the path is wrong.
   */
  static Path crafted(Path source, String path, boolean symlink, Path out) throws Exception {
    try (ZipFile zip = new ZipFile(source.toFile());
        ZipArchiveOutputStream o = new ZipArchiveOutputStream(out.toFile())) {
      ObjectNode manifest = (ObjectNode) JSON.readTree(zip.getInputStream(
          zip.getEntry(BundleLayout.MANIFEST)));
      if (!symlink) {
        ((ObjectNode) manifest.path("files").path(0)).put("path", path);
      }
      byte[] manifestBytes = JSON.writeValueAsBytes(manifest);
      KeyMaterial vendor = KeyMaterial.fromPem(fleet.pki.resolve("vendor.key"),
          fleet.pki.resolve("vendor.pem"), null, null, KeyMaterial.RsaPadding.PSS);
      byte[] signature = CmsSigner.signDetached(manifestBytes, vendor);
      for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
        ZipEntry e = en.nextElement();
        String name = e.getName();
        byte[] data = zip.getInputStream(e).readAllBytes();
        int mode = 0100644;
        if (name.equals(BundleLayout.MANIFEST)) {
          data = manifestBytes;
        } else if (name.equals(BundleLayout.SIGNATURE)) {
          data = signature;
        } else if (name.startsWith(BundleLayout.PAYLOAD_PREFIX)) {
          if (symlink) {
            data = path.getBytes(StandardCharsets.UTF_8);
            mode = 0120777;
          } else {
            name = BundleLayout.PAYLOAD_PREFIX + path;
          }
        }
        ZipArchiveEntry z = new ZipArchiveEntry(name);
        z.setMethod(ZipEntry.STORED);
        z.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        z.setCrc(crc.getValue());
        z.setUnixMode(mode);
        z.setTime(e.getTime());
        o.putArchiveEntry(z);
        o.write(data);
        o.closeArchiveEntry();
      }
    }
    return out;
  }

  @Test
  @Order(10)
  @DisplayName("INT-1 OBJ-1 a vendor-signed package that drops a file outside its slot ('../x',"
      + " an absolute path, 'lib/../../x', a symbolic link out) is refused UNSAFE_PATH by the"
      + " server at upload, and by the agent's own extraction too (defence in depth): nothing"
      + " written outside, no slot, no temporary directory")
  void fileOutsideTheSlot_refusedAtUploadAndByTheAgent() throws Exception {
    Files.createDirectories(fleet.dir.resolve("escape"));
    Path good = SignedBundles.build(fleet.dir.resolve("escape"), fleet.pki, "esc", "1.0", 1,
        "mme", new byte[] {1, 2, 3});
    TrustStore trust = TrustStore.loadBound(List.of(new TrustStore.AnchorFile(
        fleet.pki.resolve("ca.pem"), null)), List.of());
    BundleExtractor extractor = new BundleExtractor(BundleVerifier.builder(trust).build());
    Path root = fleet.dir.resolve("escape/install");
    Slots slots = new Slots(root);
    // The control: the same crafting with the bundle's own path is accepted by the server and
    // extracts, so each refusal below is the path's, not the crafting's.
    Path same = crafted(good, "lib/core.so", false, fleet.dir.resolve("escape/same.ngp"));
    Path control = fleet.dir.resolve("escape/control");
    Files.createDirectories(control);
    assertThat(new Slots(control).extract(extractor, same, "esc", "1.0", ProgressListener.NONE)
        .slot().resolve("lib/core.so")).exists();
    record Case(String path, boolean symlink) {}
    int i = 0;
    for (Case c : List.of(new Case("../x", false), new Case("/tmp/neguard-attack-x", false),
        new Case("lib/../../x", false), new Case("../../../../tmp/neguard-attack-x", true))) {
      Path bad = crafted(good, c.path(), c.symlink(),
          fleet.dir.resolve("escape/bad-" + (i++) + ".ngp"));
      CliRun up = CliRun.as(fleet.pub, "pkg", "upload", bad.toString(), "--json");
      assertThat(up.exit()).as("%s", up).isNotZero();
      assertThat(up.out() + up.err()).as("%s", up).contains("UNSAFE_PATH");
      assertThatThrownBy(() -> slots.extract(extractor, bad, "esc", "1.0",
          ProgressListener.NONE)).isInstanceOfSatisfying(RefusalException.class,
              e -> assertThat(e.reasons().get(0).code().name()).isEqualTo("UNSAFE_PATH"));
      try (var s = Files.list(root.resolve("versions"))) {
        assertThat(s.toList()).as("%s: no slot, no temporary directory", c).isEmpty();
      }
      assertThat(root.resolve("x")).doesNotExist();
      assertThat(root.resolve("versions/x")).doesNotExist();
      assertThat(Path.of("/tmp/neguard-attack-x")).doesNotExist();
    }
    fleet.upload(same); // last: esc 1.0 stored earlier could have been the refusals' reason
  }

  @Test
  @Order(12)
  @DisplayName("SRC-2 INT-3 a trusted TUF root whose signature does not hold (one digit of it"
      + " changed on the NE): the agent starts, enrolls and polls (the root is checked when an"
      + " order needs the repository), the order is refused REPO_SIGNATURE before any download,"
      + " reported; nothing installed")
  void tamperedTrustedRoot_orderRefusedBeforeAnyDownload() throws Exception {
    AgentFleet.Ne r = fleet.ne("ne-r");
    Files.createDirectories(r.install()); // as an NE has it: nothing may appear in it
    String root = Files.readString(fleet.root);
    int sig = root.indexOf("\"sig\":\"") + 7;
    char digit = root.charAt(sig);
    Path tampered = r.home.resolve("root.json");
    Files.writeString(tampered, root.substring(0, sig) + (digit == '0' ? '1' : '0')
        + root.substring(sig + 1));
    r.configure("mme", tampered, null).start();
    r.await("enrolled", e -> true);
    r.await("poll", e -> true);
    assertThat(r.eventNames()).doesNotContain("config_error");
    JsonNode t = assertRefused(fleet.deploy("core", "1.0", r.id), r, "REPO_SIGNATURE", null,
        null);
    assertThat(eventsOf(r, t.path("orderId").asText())).doesNotContain("tuf_verified",
        "downloaded");
    assertThat(r.state().resolve("tuf").resolve("root.json")).doesNotExist();
  }


  @Test
  @Order(13)
  @DisplayName("SRC-2 the trusted TUF root is pinned by its bytes at the first start: the file"
      + " replaced before any order has trusted it, the next start refuses CONFLICT (exit 2), as"
      + " it refuses a file larger than a root may be; the first one put back, the agent starts"
      + " again")
  void trustedRootReplacedBeforeTheFirstOrder_restartRefusedConflict() throws Exception {
    AgentFleet.Ne p = fleet.ne("ne-p");
    Files.createDirectories(p.home);
    Path root = p.home.resolve("root.json");
    byte[] first = Files.readAllBytes(fleet.root);
    Files.write(root, first);
    p.configure("mme", root, null).start();
    p.await("enrolled", e -> true);
    p.stop();
    assertThat(p.state().resolve("tuf").resolve("root.pinned")).hasBinaryContent(first);

    String other = new String(first, StandardCharsets.UTF_8).replaceFirst("\"expires\":\"",
        "\"expires\":\"1");
    Files.writeString(root, other);
    p.start();
    assertThat(p.process.waitFor(60, TimeUnit.SECONDS)).as("exits").isTrue();
    assertThat(p.process.exitValue()).isEqualTo(2);
    assertThat(p.await("config_error", e -> true).path("message").asText())
        .contains("first started with");

    // Larger than a root may be (512 KiB): refused at start, before it is compared or parsed.
    Files.move(p.log, p.home.resolve("agent-conflict.log"));
    Files.write(root, new byte[600 * 1024]);
    p.start();
    assertThat(p.process.waitFor(60, TimeUnit.SECONDS)).as("exits").isTrue();
    assertThat(p.process.exitValue()).isEqualTo(2);
    assertThat(p.await("config_error", e -> true).path("message").asText())
        .contains("at most 524288 bytes");

    Files.write(root, first);
    Files.move(p.log, p.home.resolve("agent-refused.log"));
    p.start();
    p.await("poll", e -> true);
    p.stop();
  }

}
