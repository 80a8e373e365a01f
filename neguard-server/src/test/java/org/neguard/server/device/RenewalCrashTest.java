package org.neguard.server.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.agent.client.DeviceClient;
import org.neguard.agent.client.DeviceIdentity;
import org.neguard.agent.client.DeviceKeys;
import org.neguard.agent.client.IdentityException;
import org.neguard.io.FileTrees;
import org.neguard.server.TestServer;

/**
 * Crash-safe certificate renewal (docs/AGENT.md, "The device identity and its renewal";
 * docs/DEPLOYMENTS.md, "Renewal") against the real server's agents' port over mutual TLS. A crash
 * is what it leaves: the identity directory as the agent's steps wrote it before the crash point
 * ({@link DeviceIdentity#savePending}, {@link DeviceClient#requestRenewal}, {@link
 * DeviceIdentity#save}) and the server's database; the "restart" is a fresh {@link
 * DeviceIdentity#load} and client, as the agent's start does. The bound on the old certificate
 * is moved into the past in the database, the certificates themselves unchanged.
 */
@DisplayName("SRC-2 OBJ-1 crash-safe certificate renewal: no lock-out, no mismatched pair, the"
    + " old certificate bounded")
class RenewalCrashTest {
  static TestServer s;
  static Path dir;

  @BeforeAll
  static void start() throws Exception {
    s = TestServer.start();
    dir = Files.createTempDirectory("neguard-renewal-crash-");
  }

  @AfterAll
  static void stop() throws Exception {
    if (s != null) {
      s.close();
    }
    FileTrees.deleteTree(dir);
  }

  /** An enrolled device whose identity is saved in its own directory, due for renewal. */
  static Path enrolledDue(String id) throws Exception {
    TestDevice d = TestDevice.enroll(s, id, "henb");
    Path idDir = dir.resolve(id);
    d.identity().save(idDir);
    TestDevice.dueForRenewal(s, d.identity().serial());
    return idDir;
  }

  /** The agent after a restart: the identity loaded from disk, a client of it. */
  static DeviceClient restarted(Path idDir) throws Exception {
    return DeviceClient.of(s.server.deviceUrl(), DeviceIdentity.load(idDir));
  }

  /** The agent's first step of a renewal: a new key pair saved as the pending key. */
  static KeyPair pendingSaved(Path idDir) throws Exception {
    KeyPair pending = DeviceKeys.FILE.newKeyPair();
    DeviceIdentity.savePending(idDir, pending);
    return pending;
  }

  /** A renewal whose answer was lost: the server issued {@code unused}, the device saved none. */
  record AnswerLost(Path idDir, DeviceClient old, KeyPair pending, DeviceIdentity unused,
      Instant graceEnd) {}

  static AnswerLost answerLost(String id) throws Exception {
    Path idDir = enrolledDue(id);
    DeviceClient old = restarted(idDir);
    KeyPair pending = pendingSaved(idDir);
    DeviceIdentity unused = old.requestRenewal(pending);
    return new AnswerLost(idDir, old, pending, unused, graceEnd(id));
  }

  /** The renewal done: what is saved is what was renewed into, and it is admitted. */
  static void savedAndAdmitted(Path idDir, DeviceClient.Renewal r) throws Exception {
    assertThat(DeviceIdentity.load(idDir).serial()).isEqualTo(r.identity().serial());
    assertThat(restarted(idDir).orderKeys()).isNotEmpty();
  }

  static DeviceApiException refusal(DeviceIdentity id) {
    return catchThrowableOfType(DeviceApiException.class,
        () -> DeviceClient.of(s.server.deviceUrl(), id).orderKeys());
  }

  /** One column of the one row {@code sql} selects with {@code param}. */
  static <T> T column(String sql, String param, Class<T> type) throws Exception {
    try (Connection c = s.db(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, param);
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).as("a row for %s", param).isTrue();
        return rs.getObject(1, type);
      }
    }
  }

  static String revocation(String serial) throws Exception {
    return column("SELECT revocation_reason FROM device_certificates WHERE serial = ?", serial,
        String.class);
  }

  static Instant graceEnd(String deviceId) throws Exception {
    OffsetDateTime t = column("SELECT prev_cert_until FROM devices WHERE id = ?", deviceId,
        OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  static void endGrace(String deviceId) throws Exception {
    try (Connection c = s.db();
        PreparedStatement ps = c.prepareStatement(
            "UPDATE devices SET prev_cert_until = ? WHERE id = ?")) {
      ps.setObject(1, OffsetDateTime.now(ZoneOffset.UTC).minusSeconds(1));
      ps.setString(2, deviceId);
      assertThat(ps.executeUpdate()).isEqualTo(1);
    }
  }

  @Test
  @DisplayName("SRC-2 OBJ-1 a crash after the server issued the new certificate and before the"
      + " agent saved it: the old one still authenticates, the pending key is reused and the"
      + " renewal completes without re-enrollment")
  void renew_crashAfterIssueBeforeSave_oldCertStillWorks_pendingKeyCompletes() throws Exception {
    Path idDir = enrolledDue("rc-lost");
    DeviceClient before = restarted(idDir);
    DeviceIdentity old = before.identity();
    KeyPair pending = pendingSaved(idDir);
    DeviceIdentity lost = before.requestRenewal(pending);
    assertThat(s.http.get("/api/devices/rc-lost", s.adminToken()).json()
        .path("certificateSerial").asText()).as("the server issued it").isEqualTo(lost.serial());
    // The crash: nothing but the pending key reached the disk.

    DeviceClient after = restarted(idDir);
    assertThat(after.identity().serial()).as("load finds the old identity").isEqualTo(
        old.serial());
    assertThat(after.orderKeys()).as("the old certificate is still admitted").isNotEmpty();
    assertThat(after.poll(null).poll().renewCertificate()).isTrue();
    DeviceClient.Renewal r = after.renewInto(idDir);
    assertThat(r.pendingKey()).isEqualTo("reused");
    assertThat(r.identity().keyPair().getPublic()).isEqualTo(pending.getPublic());
    savedAndAdmitted(idDir, r);
    assertThat(DeviceIdentity.fileKeys(idDir))
        .containsExactly(DeviceIdentity.keyFile(idDir, pending.getPublic()));
    assertThat(idDir.resolve("renewal.pending")).doesNotExist();

    assertThat(revocation(lost.serial())).isEqualTo("replaced before use");
    assertThat(revocation(old.serial())).as("revoked at the new one's first use")
        .isEqualTo("superseded");
    assertThat(refusal(old).status()).isEqualTo(401);
    assertThat(refusal(lost).status()).isEqualTo(401);
    assertThat(graceEnd("rc-lost")).isNull();
  }

  @Test
  @DisplayName("SRC-2 OBJ-1 a crash after the pending key was saved and before the request: the"
      + " next renewal uses that key")
  void renew_crashBeforeRequest_pendingKeyReused() throws Exception {
    Path idDir = enrolledDue("rc-early");
    KeyPair pending = pendingSaved(idDir);

    DeviceClient.Renewal r = restarted(idDir).renewInto(idDir);
    assertThat(r.pendingKey()).isEqualTo("reused");
    assertThat(r.identity().certificate().getPublicKey()).isEqualTo(pending.getPublic());
    savedAndAdmitted(idDir, r);
  }

  @Test
  @DisplayName("SRC-2 OBJ-1 a truncated pending key (a power cut on a file system that lost its"
      + " bytes) is discarded and the renewal made with a new key")
  void renew_truncatedPendingKey_discardedRenewedWithNewKey() throws Exception {
    Path idDir = enrolledDue("rc-trunc");
    KeyPair pending = pendingSaved(idDir);
    Path file = DeviceIdentity.keyFile(idDir, pending.getPublic());
    byte[] whole = Files.readAllBytes(file);
    Files.write(file, java.util.Arrays.copyOf(whole, whole.length / 2));

    DeviceClient.Renewal r = restarted(idDir).renewInto(idDir);
    assertThat(r.pendingKey()).startsWith("discarded: IDENTITY_KEY_UNREADABLE");
    assertThat(r.identity().keyPair().getPublic()).isNotEqualTo(pending.getPublic());
    assertThat(file).doesNotExist();
    savedAndAdmitted(idDir, r);
  }

  @Test
  @DisplayName("SRC-2 OBJ-1 a crash after the switch and before the clean-up: the new identity"
      + " loads, and the start finishes the clean-up")
  void renew_crashAfterSwitchBeforeCleanup_newIdentityLoadsAndIsFinished() throws Exception {
    Path idDir = enrolledDue("rc-switch");
    DeviceClient before = restarted(idDir);
    Path oldKey = DeviceIdentity.keyFile(idDir, before.identity().keyPair().getPublic());
    byte[] oldKeyBytes = Files.readAllBytes(oldKey);
    KeyPair pending = pendingSaved(idDir);
    byte[] marker = Files.readAllBytes(idDir.resolve("renewal.pending"));
    DeviceIdentity next = before.requestRenewal(pending);
    next.save(idDir);
    // As if the crash came right after device.crt's rename: marker and old key still there.
    Files.write(idDir.resolve("renewal.pending"), marker);
    Files.write(oldKey, oldKeyBytes);

    DeviceIdentity loaded = DeviceIdentity.load(idDir);
    assertThat(loaded.serial()).isEqualTo(next.serial());
    DeviceIdentity.Pending p = DeviceIdentity.pendingKey(idDir, DeviceKeys.FILE, loaded);
    assertThat(p.keyPair()).isNull();
    assertThat(p.discarded()).isNull();
    assertThat(idDir.resolve("renewal.pending")).doesNotExist();
    assertThat(oldKey).doesNotExist();
    assertThat(restarted(idDir).orderKeys()).isNotEmpty();
  }

  @Test
  @DisplayName("SRC-2 load refuses a key that is not the certificate's, and a truncated key,"
      + " with a reason code and what to do")
  void load_keyOfAnotherCertificate_refusedKeyMismatch() throws Exception {
    TestDevice d = TestDevice.enroll(s, "rc-mismatch", "henb");
    Path idDir = dir.resolve("rc-mismatch");
    d.identity().save(idDir);
    Path file = DeviceIdentity.keyFile(idDir, d.identity().keyPair().getPublic());
    byte[] whole = Files.readAllBytes(file);
    Path other = dir.resolve("rc-mismatch-other");
    KeyPair foreign = DeviceIdentity.newKeyPair();
    DeviceIdentity.savePending(other, foreign);
    Files.write(file, Files.readAllBytes(DeviceIdentity.keyFile(other, foreign.getPublic())));

    IdentityException e = catchThrowableOfType(IdentityException.class,
        () -> DeviceIdentity.load(idDir));
    assertThat(e.reason()).isEqualTo(IdentityException.Reason.IDENTITY_KEY_MISMATCH);
    assertThat(e.getMessage()).contains("is not the key").contains("restore the matching pair")
        .contains("enroll.token");

    Files.write(file, java.util.Arrays.copyOf(whole, 40));
    e = catchThrowableOfType(IdentityException.class, () -> DeviceIdentity.load(idDir));
    assertThat(e.reason()).isEqualTo(IdentityException.Reason.IDENTITY_KEY_UNREADABLE);

    Files.write(file, whole);
    assertThat(DeviceClient.of(s.server.deviceUrl(), DeviceIdentity.load(idDir)).orderKeys())
        .isNotEmpty();
  }

  @Test
  @DisplayName("SRC-2 OBJ-1 a renewal whose certificate is never used: the old certificate is"
      + " admitted for at most 24 hours, then refused 401")
  void renew_newCertificateNeverUsed_oldRefusedAfterGrace() throws Exception {
    Path idDir = enrolledDue("rc-bound");
    DeviceClient before = restarted(idDir);
    Instant asked = Instant.now();
    before.requestRenewal(DeviceKeys.FILE.newKeyPair());
    Instant end = graceEnd("rc-bound");
    assertThat(end).isBetween(asked.plus(Duration.ofHours(24)).minusSeconds(5),
        Instant.now().plus(Duration.ofHours(24)).plusSeconds(5));
    assertThat(before.orderKeys()).as("inside the grace").isNotEmpty();

    endGrace("rc-bound");
    DeviceApiException e = refusal(before.identity());
    assertThat(e.status()).isEqualTo(401);
    assertThat(e.code()).isEqualTo("NOT_AUTHENTICATED");
    assertThat(e.getMessage()).contains("grace ended").contains("new enrollment");
  }

  @Test
  @DisplayName("SRC-2 OBJ-1 a renewal retried with the old certificate inside the grace, for the"
      + " same pending key: that key is certified again, the never-used certificate revoked, and"
      + " the grace keeps its end")
  void renew_retriedWithOldCertificate_graceKeepsItsEnd() throws Exception {
    AnswerLost lost = answerLost("rc-retry");
    Thread.sleep(20);
    DeviceIdentity second = lost.old().requestRenewal(lost.pending());
    assertThat(second.serial()).isNotEqualTo(lost.unused().serial());
    assertThat(second.certificate().getPublicKey()).isEqualTo(lost.pending().getPublic());
    assertThat(graceEnd("rc-retry")).isEqualTo(lost.graceEnd());
    assertThat(revocation(lost.unused().serial())).isEqualTo("replaced before use");
    assertThat(refusal(lost.unused()).status()).isEqualTo(401);
    assertThat(DeviceClient.of(s.server.deviceUrl(), second).orderKeys()).isNotEmpty();
    assertThat(refusal(lost.old().identity()).status()).isEqualTo(401);
  }

  @Test
  @DisplayName("SRC-2 OBJ-1 a stolen old key renewing inside the grace for a key of its own is"
      + " refused 403 NOT_AUTHORIZED, audited, nothing issued and the grace unchanged; the"
      + " device's pending key still completes the renewal, and the old key is then refused")
  void renew_oldKeyDuringGrace_otherPublicKey_refused() throws Exception {
    AnswerLost lost = answerLost("rc-stolen"); // the device's answer dropped on the path
    Path idDir = lost.idDir();
    DeviceClient attacker = restarted(idDir); // the old key and certificate, copied
    KeyPair own = DeviceKeys.FILE.newKeyPair();
    DeviceApiException e = catchThrowableOfType(DeviceApiException.class,
        () -> attacker.requestRenewal(own));
    assertThat(e).as("a certificate for the attacker's key is refused").isNotNull();
    assertThat(e.status()).isEqualTo(403);
    assertThat(e.code()).isEqualTo("NOT_AUTHORIZED");
    assertThat(e.getMessage()).contains("pending key").contains("new enrollment");
    assertThat(TestDevice.auditTail(s, 1)).contains("\"outcome\":\"denied\"")
        .contains("RENEW_CERTIFICATE").contains("not the key sha256");
    assertThat(s.http.get("/api/devices/rc-stolen", s.adminToken()).json()
        .path("certificateSerial").asText()).as("nothing issued")
        .isEqualTo(lost.unused().serial());
    assertThat(revocation(lost.unused().serial())).isNull();
    assertThat(graceEnd("rc-stolen")).isEqualTo(lost.graceEnd());
    assertThat(attacker.orderKeys()).as("the old certificate, inside its grace").isNotEmpty();

    DeviceClient.Renewal r = restarted(idDir).renewInto(idDir);
    assertThat(r.pendingKey()).isEqualTo("reused");
    assertThat(r.identity().certificate().getPublicKey()).isEqualTo(lost.pending().getPublic());
    savedAndAdmitted(idDir, r);
    assertThat(refusal(attacker.identity()).status()).isEqualTo(401);
    assertThat(catchThrowableOfType(DeviceApiException.class,
        () -> attacker.requestRenewal(own)).status()).isEqualTo(401);
  }

  @Test
  @DisplayName("SRC-2 disabling a device inside a renewal's grace refuses both certificates at"
      + " once")
  void disable_duringGrace_oldAndNewRefusedAtOnce() throws Exception {
    Path idDir = enrolledDue("rc-disable");
    DeviceClient old = restarted(idDir);
    DeviceIdentity next = old.requestRenewal(DeviceKeys.FILE.newKeyPair());
    assertThat(old.orderKeys()).isNotEmpty();
    assertThat(s.http.post("/api/devices/rc-disable/disable", s.adminToken(),
        java.util.Map.of("reason", "stolen")).status()).isEqualTo(200);
    for (DeviceIdentity id : new DeviceIdentity[] {old.identity(), next}) {
      DeviceApiException e = refusal(id);
      assertThat(e.status()).isEqualTo(403);
      assertThat(e.code()).isEqualTo("DEVICE_DISABLED");
    }
    assertThat(revocation(old.identity().serial())).isEqualTo("device disabled");
  }
}
