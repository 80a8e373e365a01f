package org.neguard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.agent.client.DeviceClient;
import org.neguard.agent.client.DeviceIdentity;
import org.neguard.api.device.AttestationChallenge;
import org.neguard.api.device.DeviceOrder;
import org.neguard.api.device.Feedback;
import org.neguard.api.device.InstalledPackage;
import org.neguard.order.DeploymentOrder;
import org.neguard.measure.Sha256;
import org.neguard.measure.TreeDigest;
import org.neguard.order.OrderVerifier;
import org.neguard.testing.TestPki;

/**
 * Two server processes on one PostgreSQL database and one shared package store run one
 * deployment of five waves to thirty devices enrolled through both. The devices (driven from
 * here, each poll to either replica, each download from the other one) see exactly one order
 * each; one replica is killed with SIGKILL in the middle of wave 2 and restarted on the same
 * data directory and database, and the deployment still completes with every wave started after
 * the previous one finished. Issue 12 item 7.
 */
@DisplayName("REC-2 OBJ-1 SRC-1 two replicas on one PostgreSQL: one deployment, one order per"
    + " device, waves in order, a replica killed with kill -9 mid-wave and restarted")
class ReplicasTest {
  static final int DEVICES = 30;
  static final int WAVES = 5;
  /** Devices of wave 2 that report before the kill; the others after it: a kill mid-wave. */
  static final int REPORTED_BEFORE_KILL = 3;
  static final Duration SCHEDULER = Duration.ofMillis(200);
  static final Duration DEADLINE = Duration.ofSeconds(120);

  /** One device as the test drives it. */
  private static final class Dev {
    final String id;
    final DeviceIdentity identity;
    final OrderVerifier verifier;
    int wave;
    int indexInWave;
    /** Every order id this device was ever given, by either replica. */
    final Set<String> orders = ConcurrentHashMap.newKeySet();
    volatile boolean succeeded;
    /** The last poll's ETag, the replica that gave it, and its order (kept across 304s). */
    volatile String etag;
    volatile ServerProcess etagFrom;
    volatile DeviceOrder order;
    private final Map<URI, DeviceClient> clients = new ConcurrentHashMap<>();

    Dev(String id, DeviceIdentity identity, OrderVerifier verifier) {
      this.id = id;
      this.identity = identity;
      this.verifier = verifier;
    }

    /** This device's client on the agents' port {@code deviceUrl}. */
    DeviceClient on(ServerProcess replica) {
      return clients.computeIfAbsent(replica.deviceUrl, u -> DeviceClient.of(u, identity));
    }
  }

  private String database;
  private Path dir;
  private volatile ServerProcess r1;
  private volatile ServerProcess r2;
  /** The replicas the devices may talk to now. */
  private final List<ServerProcess> live = new CopyOnWriteArrayList<>();
  private volatile boolean killed;
  private volatile boolean restarted;
  /** Replica 1 starting again after the kill. */
  private Future<ServerProcess> restart;
  private final List<String> errors = new CopyOnWriteArrayList<>();
  private final AtomicInteger transportFailures = new AtomicInteger();
  private final AtomicInteger downloadsFromTheOtherReplica = new AtomicInteger();
  private final AtomicInteger notModifiedByTheOtherReplica = new AtomicInteger();
  /** The RIM leaves of app 1.0.0 (what the devices run first) and 2.0.0 (what they get). */
  private List<TreeDigest.Leaf> rimBefore;
  private List<TreeDigest.Leaf> rimAfter;

  @Test
  void twoReplicas_killNineMidWaveAndRestart_everyDeviceOneOrderNoneSkippedWavesInOrder()
      throws Exception {
    database = TestDb.create("neguard_rp_");
    dir = Files.createTempDirectory("neguard-replicas-");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      run(pool);
    } finally {
      if (restart != null && !restarted) {
        try { // the test failed while replica 1 was starting again
          restart.get(60, TimeUnit.SECONDS).close();
        } catch (Exception e) {
          // it did not start (ServerProcess.start killed it)
        }
      }
      pool.shutdownNow();
      for (ServerProcess p : new ServerProcess[] {r1, r2}) {
        if (p != null) {
          p.close();
        }
      }
      TestServer.delete(dir);
      TestDb.drop(database);
    }
  }

  private void run(ExecutorService pool) throws Exception {
    TestPki pki = TestPki.create();
    Path d1 = Files.createDirectories(dir.resolve("r1"));
    Path d2 = Files.createDirectories(dir.resolve("r2"));
    TestServer.prepare(d1, pki);
    TestServer.prepare(d2, pki);
    Path store = Files.createDirectories(dir.resolve("store"));
    Files.setPosixFilePermissions(store, PosixFilePermissions.fromString("rwx------"));
    ServerProcess.Options options =
        new ServerProcess.Options(TestDb.PG + database, store, SCHEDULER);
    // The first start migrates the database and creates the administrator; the second starts
    // once the first listens, while the first is being set up.
    r1 = start(d1, options);
    Future<ServerProcess> second = pool.submit(() -> start(d2, options));

    // 1. Users and a signed bundle, through replica 1.
    Http h1 = new Http(r1.url);
    String admin = h1.login("admin", TestServer.ADMIN_PASSWORD);
    for (String role : List.of("publisher", "operator", "approver")) {
      Http.Response r = h1.post("/api/users", admin, Map.of("username", "rp-" + role,
          "password", "password-of-rp-" + role, "roles", List.of(role)));
      assertThat(r.status()).as(r.toString()).isEqualTo(201);
    }
    Path work = Files.createDirectories(dir.resolve("work"));
    Path bundle = Bundles.signed(work, "app", "2.0.0", 3, 40_000, pki.codeSigner().material());
    Http.Response up = h1.upload(bundle, h1.login("rp-publisher", "password-of-rp-publisher"));
    assertThat(up.status()).as(up.toString()).isEqualTo(201);
    // What the devices run before: a signed package too, so that their first attestation
    // (REC-3) finds a signed RIM for it and they become trusted (ATT-1: only trusted devices
    // are updated).
    Path before = Bundles.signed(Files.createDirectories(work.resolve("before")), "app",
        "1.0.0", 4, 20_000, pki.codeSigner().material());
    Http.Response upBefore = h1.upload(before, h1.login("rp-publisher",
        "password-of-rp-publisher"));
    assertThat(upBefore.status()).as(upBefore.toString()).isEqualTo(201);
    rimBefore = DeviceEvidence.rim(before);
    rimAfter = DeviceEvidence.rim(bundle);
    String sha = up.json().path("sha256").asText();
    long length = Files.size(bundle);
    assertThat(sha).isEqualTo(Sha256.hex(bundle));
    assertThat(store.resolve(sha + ".ngp")).as("in the shared store").isRegularFile();

    r2 = second.get(60, TimeUnit.SECONDS);
    live.addAll(List.of(r1, r2));
    Http h2 = new Http(r2.url);
    String operator1 = h1.login("rp-operator", "password-of-rp-operator");
    String operator2 = h2.login("rp-operator", "password-of-rp-operator");
    Map<String, PublicKey> orderKeys = orderKeys(h2.get("/api/deployments/order-keys",
        operator2).json());

    // 2. Devices: tokens from one replica, enrollment on the other's agents' port.
    List<Future<Dev>> enrolling = new ArrayList<>();
    for (int i = 0; i < DEVICES; i++) {
      String id = String.format("rp-dev-%02d", i);
      boolean odd = i % 2 == 1;
      Http tokens = odd ? h2 : h1;
      String operator = odd ? operator2 : operator1;
      ServerProcess enrollOn = odd ? r1 : r2;
      enrolling.add(pool.submit(() -> enroll(tokens, operator, enrollOn, id, orderKeys)));
    }
    Map<String, Dev> devices = new HashMap<>();
    for (Future<Dev> f : enrolling) {
      Dev d = f.get(60, TimeUnit.SECONDS);
      devices.put(d.id, d);
    }

    // 3. A deployment of five waves created through replica 1, approved through replica 2.
    attestFirst(devices.values(), database);

    Http.Response created = h1.post("/api/deployments", operator1, Map.of("packageName", "app",
        "packageVersion", "2.0.0", "devices", List.copyOf(devices.keySet()), "waves",
        List.of("20%", "20%", "20%", "20%", "20%"), "successThreshold", 100));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    String deployment = created.json().path("id").asText();
    Map<Integer, Integer> inWave = new HashMap<>();
    for (Map<String, Object> t : rows("SELECT device_id, wave FROM deployment_targets WHERE"
        + " deployment_id = ? ORDER BY wave, device_id", deployment)) {
      Dev d = devices.get((String) t.get("device_id"));
      d.wave = ((Number) t.get("wave")).intValue();
      d.indexInWave = inWave.merge(d.wave, 1, Integer::sum) - 1;
    }
    assertThat(inWave).as("devices per wave").hasSize(WAVES)
        .allSatisfy((w, n) -> assertThat(n).isEqualTo(DEVICES / WAVES));
    Http.Response approved = h2.post("/api/deployments/" + deployment + "/approve",
        h2.login("rp-approver", "password-of-rp-approver"), Map.of());
    assertThat(approved.status()).as(approved.toString()).isEqualTo(200);
    assertThat(approved.json().path("state").asText()).isEqualTo("running");

    // 4.-6. Drive the devices until the deployment completes, killing and restarting replica 1.
    Instant deadline = Instant.now().plus(DEADLINE);
    String state = "running";
    while (!"completed".equals(state)) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("deployment " + deployment + " did not complete within "
            + DEADLINE + ": waves " + waves(deployment) + ", errors " + errors
            + "\nreplica 1:\n" + r1.output() + "\nreplica 2:\n" + r2.output());
      }
      boolean killNow = !killed && devices.values().stream()
          .filter(d -> d.wave == 2 && d.succeeded).count() >= REPORTED_BEFORE_KILL;
      if (killNow) {
        assertThat(waveState(deployment, 2)).as("wave 2 is running at the kill")
            .isEqualTo("running");
      }
      List<Future<?>> round = new ArrayList<>();
      for (Dev d : devices.values()) {
        round.add(pool.submit(() -> step(d, sha, length, deployment, work)));
      }
      if (killNow) {
        // Mid-wave, with this round's requests in flight and its scheduler maybe mid-round.
        r1.kill9();
        live.remove(r1);
        killed = true;
        restart = pool.submit(() -> start(d1, options));
      }
      for (Future<?> f : round) {
        f.get(60, TimeUnit.SECONDS);
      }
      if (restart != null && restart.isDone() && !restarted) {
        r1 = restart.get();
        live.add(r1);
        restarted = true;
      }
      state = one("SELECT state FROM deployments WHERE id = ?", deployment);
      Thread.sleep(50); // pacing: a device polls, the schedulers advance in between
    }
    assertThat(restarted).as("replica 1 came back before the last wave finished").isTrue();
    // One more round from every device over both replicas: nothing new may be ordered.
    for (Dev d : devices.values()) {
      pool.submit(() -> step(d, sha, length, deployment, work)).get(60, TimeUnit.SECONDS);
    }

    assertThat(errors).as("unexpected answers to the devices").isEmpty();
    Map<String, String> stored = new HashMap<>();
    for (Map<String, Object> t : rows("SELECT device_id, state, order_id FROM"
        + " deployment_targets WHERE deployment_id = ?", deployment)) {
      assertThat(t.get("state")).as("target %s", t).isEqualTo("succeeded");
      stored.put((String) t.get("device_id"), (String) t.get("order_id"));
    }
    assertThat(stored).as("one target per device").hasSize(DEVICES);
    assertThat(new HashSet<>(stored.values())).as("distinct order ids, one per target")
        .hasSize(DEVICES).doesNotContainNull();
    for (Dev d : devices.values()) {
      assertThat(d.orders).as("orders device %s saw", d.id).containsExactly(stored.get(d.id));
    }
    assertThat(notModifiedByTheOtherReplica.get()).as("304 to an ETag another replica gave")
        .isPositive();
    assertThat(downloadsFromTheOtherReplica.get()).as("bundles served by the replica that did"
        + " not give the order").isPositive();

    List<Map<String, Object>> waves = waves(deployment);
    assertThat(waves).hasSize(WAVES);
    Instant previousEnd = null;
    Map<Integer, Instant> waveStart = new HashMap<>();
    for (Map<String, Object> w : waves) {
      assertThat(w.get("state")).as("wave %s", w).isEqualTo("succeeded");
      Instant started = instant(w.get("started_at"));
      Instant finished = instant(w.get("finished_at"));
      assertThat(finished).as("wave %s", w).isAfterOrEqualTo(started);
      if (previousEnd != null) {
        assertThat(started).as("wave %s starts after the previous one finished", w)
            .isAfterOrEqualTo(previousEnd);
      }
      previousEnd = finished;
      waveStart.put(((Number) w.get("wave")).intValue(), started);
    }
    for (Map<String, Object> t : rows("SELECT device_id, wave, issued_at FROM"
        + " deployment_targets WHERE deployment_id = ?", deployment)) {
      // Issued once the device passed its attestation before the update (ATT-1), after the
      // wave started.
      assertThat(instant(t.get("issued_at"))).as("the order of %s, issued in its wave",
          t).isAfterOrEqualTo(waveStart.get(((Number) t.get("wave")).intValue()));
    }
    // Each wave started and finished exactly once, the deployment completed once.
    Map<String, Long> engine = new HashMap<>();
    for (Map<String, Object> r : rows("SELECT action, COUNT(*) AS n FROM audit_log WHERE"
        + " target = ? AND actor = 'system' GROUP BY action", "deployment " + deployment)) {
      engine.put((String) r.get("action"), ((Number) r.get("n")).longValue());
    }
    assertThat(engine).as("the engine's audit rows").containsEntry("DEPLOYMENT_WAVE_START",
        (long) WAVES).containsEntry("DEPLOYMENT_WAVE_DONE", (long) WAVES)
        .containsEntry("DEPLOYMENT_COMPLETE", 1L);
    Http h = new Http(r1.url);
    JsonNode verify = h.get("/api/audit/verify", h.login("admin", TestServer.ADMIN_PASSWORD))
        .json();
    assertThat(verify.path("intact").asBoolean()).as("%s", verify).isTrue();
  }

  /**
   * One step of one device: a poll to a replica chosen at random; on an order, the order
   * verified, the bundle fetched from the other replica and checked, success reported.
   */
  private void step(Dev d, String sha, long length, String deployment, Path work) {
    List<ServerProcess> now = List.copyOf(live);
    int pick = ThreadLocalRandom.current().nextInt(now.size());
    ServerProcess via = now.get(pick);
    ServerProcess other = now.get((pick + 1) % now.size());
    try {
      DeviceClient.PollAnswer answer = d.on(via).poll(d.etag);
      if (answer.changed()) {
        d.etag = answer.etag();
        d.etagFrom = via;
        d.order = answer.poll().order();
        AttestationChallenge c = answer.poll().attestation();
        if (c != null) {
          // Before acting on an order, as the agent does: evidence of what it runs now.
          answer(d, via, c);
          return;
        }
      } else if (d.etagFrom != via) {
        // The ETag is a digest of the database's state, not of one replica's.
        notModifiedByTheOtherReplica.incrementAndGet();
      }
      DeviceOrder o = d.order;
      if (o == null) {
        return;
      }
      d.orders.add(o.orderId());
      if (d.succeeded) {
        errors.add(d.id + " was given order " + o.orderId() + " by " + via.url
            + " after reporting success; it saw " + d.orders);
        return;
      }
      boolean mayReport = d.wave < 2 || killed && (d.wave < WAVES || restarted)
          || d.wave == 2 && d.indexInWave < REPORTED_BEFORE_KILL;
      if (!mayReport) {
        return; // held back: the kill comes in the middle of wave 2, wave 5 after the restart
      }
      DeploymentOrder order = d.verifier.verify(o.jws());
      if (!order.deviceId().equals(d.id) || !order.deploymentId().equals(deployment)
          || !order.bundleSha256().equals(sha) || order.bundleLength() != length) {
        errors.add(d.id + " was given an order for something else: " + order);
        return;
      }
      Path target = work.resolve(d.id + ".ngp");
      Files.deleteIfExists(target);
      d.on(via).feedback(new Feedback(o.orderId(), "downloading", 0, List.of(), null));
      d.on(other).downloadBundle(order.bundleSha256(), order.bundleLength(), target);
      if (Files.size(target) != length || !Sha256.hex(target).equals(sha)) {
        errors.add(d.id + " downloaded something else from " + other.deviceUrl);
        return;
      }
      downloadsFromTheOtherReplica.addAndGet(other == via ? 0 : 1);
      // ATT-4: the success carries evidence over the order's nonce of what it runs now.
      d.on(via).feedback(new Feedback(o.orderId(), "succeeded", 100, List.of(),
          new InstalledPackage("app", "2.0.0", 1), DeviceEvidence.sign(d.identity, d.id,
              order.attestation().nonce(), List.of(DeviceEvidence.component("app",
                  rimAfter)))));
      d.succeeded = true;
    } catch (IOException e) {
      // A replica killed under the request, or one not up yet: the device tries again.
      transportFailures.incrementAndGet();
    } catch (DeviceApiException e) {
      if (killed && e.status() == 409 && "CONFLICT".equals(e.code())) {
        // A report whose answer was lost with the killed replica, repeated: already recorded.
        return;
      }
      errors.add(d.id + " via " + via.deviceUrl + ": " + e.status() + " " + e.code() + " "
          + e.getMessage());
    } catch (Exception e) {
      errors.add(d.id + " via " + via.deviceUrl + ": " + e);
    }
  }

  private static ServerProcess start(Path replicaDir, ServerProcess.Options options)
      throws IOException {
    return ServerProcess.start(replicaDir.resolve("data"), replicaDir.resolve("admin-password"),
        null, Map.of(), List.of("-Xmx256m"), options);
  }

  /** Answers a challenge with evidence of what the device runs (app 1.0.0 until it succeeded). */
  private void answer(Dev d, ServerProcess via, AttestationChallenge c) throws Exception {
    DeviceEvidence.Answer a = DeviceEvidence.post(via.deviceUrl, d.identity,
        DeviceEvidence.sign(d.identity, d.id, c.nonce(), List.of(DeviceEvidence.component("app",
            d.succeeded ? rimAfter : rimBefore))));
    if (a.status() != 200 && a.status() != 409) {
      // 409: answered already through the other replica, or expired: the next poll says.
      errors.add(d.id + " evidence via " + via.deviceUrl + ": " + a.status() + " " + a.json());
    }
  }

  /**
   * First contact (REC-3): each device answers the challenge its enrollment scheduled, through
   * either replica, until every one is trusted.
   */
  private void attestFirst(java.util.Collection<Dev> devices, String database) throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    while (true) {
      long trusted = ((Number) rows("SELECT COUNT(*) AS n FROM devices WHERE trust_state ="
          + " 'trusted'").get(0).get("n")).longValue();
      if (trusted == devices.size()) {
        return;
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("only " + trusted + " devices trusted: " + rows("SELECT id,"
            + " trust_state, trust_reason FROM devices") + ", errors " + errors);
      }
      for (Dev d : devices) {
        ServerProcess via = live.get(ThreadLocalRandom.current().nextInt(live.size()));
        AttestationChallenge c = d.on(via).poll(null).poll().attestation();
        if (c != null) {
          answer(d, via, c);
        }
      }
      Thread.sleep(200);
    }
  }

  /** Enrolls {@code id} on {@code on}'s agents' port with a token from {@code tokens}. */
  private static Dev enroll(Http tokens, String operator, ServerProcess on, String id,
      Map<String, PublicKey> orderKeys) throws Exception {
    Http.Response t = tokens.post("/api/devices/enrollment-tokens", operator,
        Map.of("deviceId", id, "neType", "mme", "labels", List.of("replicas")));
    assertThat(t.status()).as(t.toString()).isEqualTo(201);
    DeviceClient c = DeviceClient.enrolling(on.deviceUrl,
        DeviceClient.Trust.ca(t.json().path("caCertificate").asText()));
    c.enroll(t.json().path("token").asText(), id, "mme", List.of("replicas"),
        List.of(new InstalledPackage("app", "1.0.0", 1)));
    return new Dev(id, c.identity(), OrderVerifier.of(orderKeys, Clock.systemUTC(), id));
  }

  private static Map<String, PublicKey> orderKeys(JsonNode keys) throws Exception {
    Map<String, PublicKey> m = new HashMap<>();
    for (JsonNode k : keys) {
      String b64 = k.path("publicKey").asText().replaceAll("-----[A-Z ]+-----|\\s", "");
      m.put(k.path("kid").asText(), KeyFactory.getInstance("EC")
          .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(b64))));
    }
    assertThat(m).as("order keys").isNotEmpty();
    return m;
  }

  private List<Map<String, Object>> waves(String deployment) throws SQLException {
    return rows("SELECT wave, state, started_at, finished_at FROM deployment_waves WHERE"
        + " deployment_id = ? ORDER BY wave", deployment);
  }

  private String waveState(String deployment, int wave) throws SQLException {
    return (String) rows("SELECT state FROM deployment_waves WHERE deployment_id = ? AND"
        + " wave = ?", deployment, wave).get(0).get("state");
  }

  private String one(String sql, Object... args) throws SQLException {
    return (String) rows(sql, args).get(0).values().iterator().next();
  }

  private List<Map<String, Object>> rows(String sql, Object... args) throws SQLException {
    return TestDb.rows(TestDb.connect(database), sql, args);
  }

  private static Instant instant(Object column) {
    return TestDb.instant(column);
  }
}
