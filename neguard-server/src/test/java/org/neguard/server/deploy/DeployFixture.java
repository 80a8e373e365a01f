package org.neguard.server.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.neguard.server.Bundles;
import org.neguard.server.Http;
import org.neguard.server.NeguardServer;
import org.neguard.server.ServerConfig;
import org.neguard.server.TestDb;
import org.neguard.server.TestServer;
import org.neguard.server.TestServer.Role;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A real server with one stored package ({@code app} 1.0.0, NE type {@code mme}, security
 * version 1), devices inserted by SQL, the engine's clock under the test's control and the
 * scheduler's timer stopped (the tests call {@link DeploymentScheduler#advanceAll} themselves,
 * so that no round runs between a test's steps).
 */
final class DeployFixture implements AutoCloseable {
  static final String PACKAGE = "app";
  static final String VERSION = "1.0.0";

  TestServer s;
  DeployClock clock;
  DeploymentScheduler scheduler;
  DeviceOrders orders;
  /** The engine's validation entity, standing in until a test calls {@link #realValidation}. */
  final FakeValidation pv = new FakeValidation();
  final String bundleSha256;
  /** The PostgreSQL database of this fixture, or null for the embedded one. */
  private final String database;
  private boolean closed;
  private boolean real;

  DeployFixture() throws Exception {
    this(null);
  }

  /**
   * On PostgreSQL database {@code database} (from {@link #postgresDatabase}, dropped by {@link
   * #close}) when it is given, else on the embedded database.
   */
  DeployFixture(String database) throws Exception {
    this(database, false);
  }

  /** As above; {@code timer}: leave the scheduler's timer running. */
  DeployFixture(String database, boolean timer) throws Exception {
    this.database = database;
    // The attestation scheduler's timer idle too (a round an hour; the defaults otherwise): its
    // round, every 2 s by default, asked an NE enrolled moments before FIRST_CONTACT, or SCHEDULED
    // once it had passed, whenever it fell between a test's steps: a challenge the test did not
    // ask for and a new poll ETag (AttestedDeploymentFlowPostgresTest failed 3 runs of 15 so).
    ServerConfig.Attest d = ServerConfig.Attest.defaults();
    s = TestServer.start(database == null ? null : TestDb.url(database),
        b -> b.attest(new ServerConfig.Attest(d.interval(), d.jitter(), d.challengeValidity(),
            Duration.ofHours(1), d.baselineApprovals())));
    try {
      clock = bean(DeployClock.class);
      scheduler = bean(DeploymentScheduler.class);
      orders = bean(DeviceOrders.class);
      bean(DeployValidation.class).replace(pv);
      if (!timer) {
        scheduler.close();
      }
      Path work = Files.createDirectories(s.dir.resolve("work"));
      Path b = Bundles.signed(work, PACKAGE, VERSION, 1, 8_000, s.pki.codeSigner().material());
      Http.Response r = s.http.upload(b, s.token(Role.PUBLISHER));
      assertThat(r.status()).as(r.toString()).isEqualTo(201);
      bundleSha256 = r.json().path("sha256").asText();
    } catch (Exception | Error e) {
      s.close();
      throw e;
    }
  }

  /** A bean of the running server (the launcher boundary exposes none; tests look behind). */
  <T> T bean(Class<T> type) throws ReflectiveOperationException {
    return s.bean(type);
  }

  /** Publishes {@code event} in the running server, in the calling thread. */
  void publish(Object event) throws ReflectiveOperationException {
    Field f = NeguardServer.class.getDeclaredField("context");
    f.setAccessible(true);
    ((ConfigurableApplicationContext) f.get(s.server)).publishEvent(event);
  }

  /** Until a session matching {@code which} waits for a lock; see {@link TestDb#awaitBlocked}. */
  TestDb.Blocked awaitBlocked(String what, Predicate<TestDb.Blocked> which) throws Exception {
    return TestDb.awaitBlocked(this::db, what, which);
  }

  /**
   * Restarts the server on the same data directory and database (the scheduler's timer stopped
   * again, the stand-in validation entity again unless the test chose the real one): nothing in
   * memory survives.
   */
  void restart() throws Exception {
    s = s.restart();
    clock = bean(DeployClock.class);
    scheduler = bean(DeploymentScheduler.class);
    orders = bean(DeviceOrders.class);
    scheduler.close();
    if (!real) {
      bean(DeployValidation.class).replace(pv);
    }
  }

  /** From now on the server's own validation entity answers the engine. */
  void realValidation() throws ReflectiveOperationException {
    real = true;
    bean(DeployValidation.class).replace(null);
  }

  /** Sets the engine's clock to {@code at}, fixed. */
  void at(Instant at) {
    clock.set(Clock.fixed(at, ZoneOffset.UTC));
  }

  /** A connection to the server's database. */
  Connection db() throws SQLException {
    return database == null ? s.db() : TestDb.connect(database);
  }

  /**
   * A new PostgreSQL database for the fixture to use and drop (see {@link TestDb#create}).
   */
  static String postgresDatabase() {
    return TestDb.create("neguard_dep_");
  }


  /** A trusted device (attested good: updates may reach it). */
  void device(String id, String neType, String... labels) throws SQLException {
    deviceIn("trusted", id, neType, labels);
  }

  void deviceIn(String trustState, String id, String neType, String... labels)
      throws SQLException {
    Instant now = Instant.now();
    update("INSERT INTO devices (id, ne_type, trust_state, enrolled_at, enrollment_token,"
        + " cert_serial, cert_not_after) VALUES (?, ?, ?, ?, 'test', ?, ?)", id, neType,
        trustState,
        now.atOffset(ZoneOffset.UTC), "serial-" + id, now.plusSeconds(86_400)
            .atOffset(ZoneOffset.UTC));
    for (String l : labels) {
      update("INSERT INTO device_labels (device_id, label) VALUES (?, ?)", id, l);
    }
  }

  void installed(String device, String name, long securityVersion) throws SQLException {
    update("INSERT INTO device_packages (device_id, name, version, security_version)"
        + " VALUES (?, ?, 'x', ?)", device, name, securityVersion);
  }

  void disable(String device) throws SQLException {
    update("UPDATE devices SET disabled_at = CURRENT_TIMESTAMP, disabled_by = 'test'"
        + " WHERE id = ?", device);
  }

  int update(String sql, Object... args) throws SQLException {
    try (Connection c = db(); PreparedStatement p = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        p.setObject(i + 1, args[i]);
      }
      return p.executeUpdate();
    }
  }

  /** Rows of {@code sql}, each column by its (lower-case) name. */
  List<Map<String, Object>> rows(String sql, Object... args) throws SQLException {
    return TestDb.rows(db(), sql, args);
  }

  /** A timestamp column's value (H2 gives OffsetDateTime, PostgreSQL Timestamp). */
  static Instant instant(Object column) {
    return TestDb.instant(column);
  }

  long count(String sql, Object... args) throws SQLException {
    return ((Number) rows(sql, args).get(0).values().iterator().next()).longValue();
  }

  /** Audit rows about {@code target}, oldest first: "ACTION outcome detail". */
  List<String> audit(String target) throws SQLException {
    return rows("SELECT action, outcome, detail FROM audit_log WHERE target = ? ORDER BY seq",
        target).stream()
        .map(r -> r.get("action") + " " + r.get("outcome") + " " + r.get("detail")).toList();
  }

  /** A deployment body: {@code app 1.0.0} to {@code devices}, with {@code more} fields. */
  static Map<String, Object> body(List<String> devices, Object... more) {
    Map<String, Object> m = new HashMap<>();
    m.put("packageName", PACKAGE);
    m.put("packageVersion", VERSION);
    m.put("devices", devices);
    for (int i = 0; i < more.length; i += 2) {
      m.put((String) more[i], more[i + 1]);
    }
    return m;
  }

  Http.Response create(String token, Map<String, Object> body) {
    return s.http.post("/api/deployments", token, body);
  }

  /** Creates as the operator; returns the id. */
  String created(Map<String, Object> body) {
    Http.Response r = create(s.token(Role.OPERATOR), body);
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    return r.json().path("id").asText();
  }

  Http.Response act(String id, String action, String token, Object body) {
    return s.http.post("/api/deployments/" + id + "/" + action, token,
        body == null ? Map.of() : body);
  }

  Http.Response approve(String id, String token) {
    return act(id, "approve", token, Map.of());
  }

  /** Creates as the operator and approves as the approver: running. */
  String running(Map<String, Object> body) {
    String id = created(body);
    Http.Response r = approve(id, s.token(Role.APPROVER));
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json().path("state").asText()).isEqualTo("running");
    return id;
  }

  /** Cancels, so that its devices' orders end (the next test's devices start clean). */
  void cancelQuietly(String id) {
    assertThat(act(id, "cancel", s.token(Role.OPERATOR), Map.of()).status()).isEqualTo(200);
  }

  JsonNode deployment(String id) {
    return s.http.get("/api/deployments/" + id, s.adminToken()).json();
  }

  String state(String id) {
    return deployment(id).path("state").asText();
  }

  /** Target device -> state, reason codes. */
  Map<String, String> targets(String id) throws SQLException {
    Map<String, String> m = new HashMap<>();
    for (Map<String, Object> r : rows("SELECT device_id, state, reason_codes FROM"
        + " deployment_targets WHERE deployment_id = ?", id)) {
      String codes = (String) r.get("reason_codes");
      m.put((String) r.get("device_id"), r.get("state") + (codes.isEmpty() ? "" : " " + codes));
    }
    return m;
  }

  String orderId(String id, String device) throws SQLException {
    return (String) rows("SELECT order_id FROM deployment_targets WHERE deployment_id = ? AND"
        + " device_id = ?", id, device).get(0).get("order_id");
  }

  @Override
  public void close() throws java.io.IOException, SQLException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      s.close();
    } finally {
      TestDb.drop(database);
    }
  }
}
