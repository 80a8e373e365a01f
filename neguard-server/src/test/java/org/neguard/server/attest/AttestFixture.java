package org.neguard.server.attest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.neguard.server.DeviceEvidence;
import org.neguard.agent.client.DeviceIdentity;
import org.neguard.api.device.AttestationChallenge;
import org.neguard.api.device.InstalledPackage;
import org.neguard.attest.Evidence;
import org.neguard.attest.EvidenceSigner;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeDigest;
import org.neguard.pkg.BundleLimits;
import org.neguard.pkg.BundleReader;
import org.neguard.server.Bundles;
import org.neguard.server.Http;
import org.neguard.server.NeguardServer;
import org.neguard.server.ServerConfig;
import org.neguard.server.TestDb;
import org.neguard.server.TestServer;
import org.neguard.server.TestServer.Role;
import org.neguard.server.device.TestDevice;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A real server (embedded database) with one stored signed package ({@code app} 1.0.0), the
 * attestation scheduler's timer idle (tests call {@link AttestationScheduler#runOnce}), and
 * devices that answer challenges as an honest or a lying agent would: evidence built and signed
 * here with the device's own key, posted over mutual TLS.
 */
final class AttestFixture implements AutoCloseable {
  static final String PACKAGE = "app";
  static final String VERSION = "1.0.0";
  private static final ObjectMapper JSON = new ObjectMapper();

  final TestServer s;
  final AttestationScheduler scheduler;
  final String bundleSha256;
  /** The package's files as its signed manifest lists them: its RIM's leaves. */
  final List<TreeDigest.Leaf> rim;

  /** The PostgreSQL database of this fixture, or null for the embedded one. */
  private final String database;

  AttestFixture() throws Exception {
    this(null);
  }

  /**
   * On PostgreSQL database {@code database} (from {@link #postgresDatabase}, dropped by {@link
   * #close}) when it is given, else on the embedded one.
   */
  AttestFixture(String database) throws Exception {
    this.database = database;
    s = TestServer.start(database == null ? null : TestDb.url(database),
        b -> b.attest(new ServerConfig.Attest(Duration.ofMinutes(5), Duration.ZERO,
            Duration.ofMinutes(2), Duration.ofHours(1), 2)));
    try {
      scheduler = bean(AttestationScheduler.class);
      Path work = Files.createDirectories(s.dir.resolve("work"));
      Path b = Bundles.signed(work, PACKAGE, VERSION, 1, 8_000, s.pki.codeSigner().material());
      Http.Response r = s.http.upload(b, s.token(Role.PUBLISHER));
      assertThat(r.status()).as(r.toString()).isEqualTo(201);
      bundleSha256 = r.json().path("sha256").asText();
      try (BundleReader reader = BundleReader.open(
          s.data().resolve("packages/" + bundleSha256 + ".ngp"), BundleLimits.defaults())) {
        rim = reader.manifest().files().stream()
            .map(f -> new TreeDigest.Leaf(f.path(), f.sha256(), f.modeBits())).toList();
      }
    } catch (Exception | Error e) {
      s.close();
      throw e;
    }
  }

  <T> T bean(Class<T> type) throws ReflectiveOperationException {
    Field f = NeguardServer.class.getDeclaredField("context");
    f.setAccessible(true);
    return ((ConfigurableApplicationContext) f.get(s.server)).getBean(type);
  }

  @Override
  public void close() throws Exception {
    s.close();
    TestDb.drop(database);
  }

  /**
   * A new PostgreSQL database for the fixture to use and drop (see {@link TestDb#create}).
   */
  static String postgresDatabase() {
    return TestDb.create("neguard_att_");
  }

  /** A connection to the server's database. */
  java.sql.Connection db() throws java.sql.SQLException {
    return database == null ? s.db() : TestDb.connect(database);
  }

  /** A device that runs {@code app} 1.0.0, as it declared at enrollment. */
  TestDevice enrollWithApp(String id) {
    return TestDevice.enroll(s, id, "mme", List.of(),
        List.of(new InstalledPackage(PACKAGE, VERSION, 1)));
  }

  /** The package component as an honest NE measures it. */
  Evidence.Component app() {
    return app(rim);
  }

  static Evidence.Component app(List<TreeDigest.Leaf> leaves) {
    return new Evidence.Component(PACKAGE, PlatformTim.Reference.VENDOR_SIGNED,
        TreeDigest.of(leaves), leaves);
  }

  static Evidence.Component platform(String label, String... pathAndContent) {
    List<TreeDigest.Leaf> leaves = new ArrayList<>();
    for (int i = 0; i < pathAndContent.length; i += 2) {
      leaves.add(new TreeDigest.Leaf(pathAndContent[i], org.neguard.measure.Sha256.hex(
          pathAndContent[i + 1].getBytes(StandardCharsets.UTF_8)), 0644));
    }
    return new Evidence.Component("platform:" + label, PlatformTim.Reference.OPERATOR_BASELINE,
        TreeDigest.of(leaves), leaves);
  }

  /** The device's open challenge as its poll carries it. */
  AttestationChallenge challenge(TestDevice d) throws Exception {
    AttestationChallenge c = d.client.poll(null).poll().attestation();
    assertThat(c).as("a challenge in the poll of " + d.id).isNotNull();
    return c;
  }

  /** Evidence of {@code components} over {@code nonce}, signed with {@code key}. */
  static String evidence(String deviceId, String nonce, PrivateKey key,
      List<Evidence.Component> components) {
    return EvidenceSigner.of(key).sign(Evidence.of(deviceId, HexFormat.of().parseHex(nonce),
        Instant.now(), components, Optional.empty()));
  }

  String evidence(TestDevice d, String nonce, List<Evidence.Component> components) {
    return evidence(d.id, nonce, d.identity().keyPair().getPrivate(), components);
  }

  /** Answers the device's open challenge with {@code components}, honestly signed. */
  Answer answer(TestDevice d, Evidence.Component... components) throws Exception {
    return post(d.identity(), evidence(d, challenge(d).nonce(), List.of(components)));
  }

  /** The status and JSON of a device's POST /api/device/v1/evidence. */
  record Answer(int status, JsonNode json) {
    String result() {
      return json.path("result").asText();
    }

    String trustState() {
      return json.path("trustState").asText();
    }

    String codes() {
      List<String> codes = new ArrayList<>();
      json.path("reasons").forEach(r -> codes.add(r.path("code").asText()));
      return String.join(",", codes);
    }

    String messages() {
      List<String> m = new ArrayList<>();
      json.path("reasons").forEach(r -> m.add(r.path("message").asText()));
      return String.join(" | ", m);
    }
  }

  /** Posts {@code jws} as evidence over the mutual TLS of {@code id}. */
  Answer post(DeviceIdentity id, String jws) throws Exception {
    DeviceEvidence.Answer a = DeviceEvidence.post(s.server.deviceUrl(), id, jws);
    return new Answer(a.status(), a.json());
  }

  /** The device's trust state as the users' API shows it. */
  String trust(String deviceId) {
    for (JsonNode d : s.http.get("/api/attestation/devices", s.token(Role.AUDITOR)).json()) {
      if (d.path("deviceId").asText().equals(deviceId)) {
        return d.path("trustState").asText();
      }
    }
    throw new AssertionError("no device " + deviceId);
  }

  long audit(String action, String outcome, String target) throws Exception {
    try (java.sql.Connection c = db(); java.sql.PreparedStatement st = c.prepareStatement(
        "SELECT COUNT(*) FROM audit_log WHERE action = ? AND outcome = ? AND target = ?")) {
      st.setString(1, action);
      st.setString(2, outcome);
      st.setString(3, target);
      try (java.sql.ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** When the scheduler asks the device next. */
  Instant nextAttestation(String deviceId) throws Exception {
    try (java.sql.Connection c = db(); java.sql.PreparedStatement st = c.prepareStatement(
        "SELECT next_attestation_at FROM devices WHERE id = ?")) {
      st.setString(1, deviceId);
      try (java.sql.ResultSet rs = st.executeQuery()) {
        assertThat(rs.next()).as("device " + deviceId).isTrue();
        return rs.getObject(1, java.time.OffsetDateTime.class).toInstant();
      }
    }
  }

  /** Makes the device due for its runtime attestation and runs the scheduler once. */
  void due(String deviceId) throws Exception {
    try (java.sql.Connection c = db(); java.sql.PreparedStatement st = c.prepareStatement(
        "UPDATE devices SET next_attestation_at = ? WHERE id = ?")) {
      st.setObject(1, java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).minusSeconds(1));
      st.setString(2, deviceId);
      st.executeUpdate();
    }
    scheduler.runOnce(Instant.now());
  }
}
