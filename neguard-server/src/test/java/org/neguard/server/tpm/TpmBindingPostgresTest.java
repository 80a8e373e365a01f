package org.neguard.server.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.agent.client.DeviceClient;
import org.neguard.agent.TpmEnrollment;
import org.neguard.agent.TpmQuoter;
import org.neguard.api.attest.TpmActivation;
import org.neguard.api.attest.TpmCredential;
import org.neguard.api.attest.TpmCredentialRequest;
import org.neguard.attest.EventLog;
import org.neguard.attest.Evidence;
import org.neguard.attest.TpmQuote;
import org.neguard.measure.Sha256;
import org.neguard.server.NeguardServer;
import org.neguard.server.ServerConfig;
import org.neguard.server.TestDb;
import org.neguard.server.TestServer;
import org.neguard.server.device.TestDevice;
import org.neguard.testing.SoftwareTpm;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * TPM binding on PostgreSQL with two replicas (127.0.0.1:5432): the challenge lives in the
 * database, so a credential asked of one replica is activated on the other, once; the binding
 * and its refusals are the same on both. And the TPM boots the validation entity accepts
 * ({@link TpmBindings#accept}) on PostgreSQL's row locks: two quotes at once are judged one
 * after the other.
 */
@DisplayName("ATT-1 ATT-4 TPM binding and accepted TPM boots on PostgreSQL, two replicas")
class TpmBindingPostgresTest {
  static String database;
  static TestServer s;
  static NeguardServer replica;
  static SoftwareTpm tpm;

  @BeforeAll
  static void start() throws Exception {
    database = TestDb.create("neguard_tpm_");
    String url = TestDb.url(database);
    s = TestServer.start(url);
    replica = NeguardServer.start(ServerConfig.builder(s.dir.resolve("data2")).port(0)
        .quiet(true).database(url, "postgres", "")
        .adminPasswordFile(s.dir.resolve("admin-password")).build());
    tpm = SoftwareTpm.start(s.dir.resolve("swtpm"));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (tpm != null) {
        tpm.close();
      }
      if (replica != null) {
        replica.close();
      }
      if (s != null) {
        s.close();
      }
    } finally {
      TestDb.drop(database);
    }
  }

  /**
   * Device {@code id} enrolled, its binding row as activation leaves it (the credential round
   * is bindAcrossReplicas'), and the quoter of the shared TPM state; the TPM reset first (a
   * reboot), so the quoter starts a new log whatever quoted before.
   */
  static TpmQuoter bound(String id) throws Exception {
    TestDevice.enroll(s, id, "henb");
    // One TPM's keys for several devices: the EK hash, unique per binding, made up.
    TpmQuoter q = TpmTrustApiTest.bindDirectly(TestDb.connect(database), tpm,
        s.dir.resolve("state-quotes"), id, Sha256.hex(id.getBytes(StandardCharsets.UTF_8)));
    tpm.reset();
    return q;
  }

  static Map<String, Object> lastAccepted(String id) throws Exception {
    return TestDb.rows(TestDb.connect(database), "SELECT last_reset_count, last_restart_count,"
        + " last_log_events FROM device_tpm_bindings WHERE device_id = ?", id).get(0);
  }

  @Test
  @DisplayName("ATT-4 a quote whose TPM restartCount is below an accepted one's within the same"
      + " resetCount (the TPM's saved state rolled back) is refused MEASUREMENT_MISMATCH; the"
      + " accepted boot stays recorded")
  void accept_restartCountBackWithinOneReset_failsWithMeasurementMismatch() throws Exception {
    TpmQuoter q = bound("pg-tpm-restart");
    Evidence before = TpmTrustApiTest.evidence(q, TpmTrustApiTest.component('a'));
    tpm.restart();
    Evidence after = TpmTrustApiTest.evidence(q, TpmTrustApiTest.component('a'));
    TpmQuote b = TpmQuote.parse(before.quote().orElseThrow().attest());
    TpmQuote a = TpmQuote.parse(after.quote().orElseThrow().attest());
    assertThat(a.resetCount()).isEqualTo(b.resetCount());
    assertThat(a.restartCount()).isEqualTo(b.restartCount() + 1);
    TpmTrustApiTest.accept(s.server, "pg-tpm-restart", after);
    RefusalException r = TpmTrustApiTest.catchRefusal(() -> TpmTrustApiTest.accept(replica,
        "pg-tpm-restart", before));
    assertThat(r.code()).isEqualTo(ReasonCode.MEASUREMENT_MISMATCH);
    assertThat(r.getMessage()).contains("restartCount went back from " + a.restartCount()
        + " to " + b.restartCount()).contains("re-enrolls");
    assertThat(lastAccepted("pg-tpm-restart").get("last_restart_count"))
        .isEqualTo((long) a.restartCount());
  }

  @Test
  @DisplayName("ATT-4 two quotes of one TPM accepted at once on two replicas: the second waits"
      + " for the first's row lock and is judged against what it committed, so the shorter log"
      + " is refused MEASUREMENT_MISMATCH rather than written over the longer; outside a"
      + " transaction accept refuses to run")
  void accept_concurrentQuotes_secondWaitsForTheFirstAndSeesItsCounters() throws Exception {
    TpmQuoter q = bound("pg-tpm-race");
    Evidence shorter = TpmTrustApiTest.evidence(q, TpmTrustApiTest.component('a'));
    Evidence longer = TpmTrustApiTest.evidence(q, TpmTrustApiTest.component('b'));
    assertThat(EventLog.parse(longer.quote().orElseThrow().eventLog()).events()).hasSize(2);
    TpmBindings bindings = s.bean(TpmBindings.class);
    assertThatThrownBy(() -> bindings.accept("pg-tpm-race", longer))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("outside a transaction");
    TransactionTemplate tx = new TransactionTemplate(s.bean(
        PlatformTransactionManager.class));
    CountDownLatch accepted = new CountDownLatch(1);
    CountDownLatch commit = new CountDownLatch(1);
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      Future<?> first = threads.submit(() -> tx.executeWithoutResult(st -> {
        try {
          bindings.accept("pg-tpm-race", longer);
          accepted.countDown();
          assertThat(commit.await(60, TimeUnit.SECONDS)).isTrue();
        } catch (RefusalException | InterruptedException e) {
          throw new AssertionError(e);
        }
      }));
      assertThat(accepted.await(60, TimeUnit.SECONDS)).isTrue();
      Future<Throwable> second = threads.submit(() -> catchThrowable(() -> TpmTrustApiTest
          .accept(replica, "pg-tpm-race", shorter)));
      awaitLockWait();
      commit.countDown();
      first.get(60, TimeUnit.SECONDS);
      Throwable r = second.get(60, TimeUnit.SECONDS);
      assertThat(r).isInstanceOf(RefusalException.class);
      assertThat(((RefusalException) r).code()).isEqualTo(ReasonCode.MEASUREMENT_MISMATCH);
      assertThat(r.getMessage()).contains("the event log has 1 events, 2 were accepted");
      assertThat(lastAccepted("pg-tpm-race").get("last_log_events")).isEqualTo(2);
    } finally {
      commit.countDown();
      threads.shutdownNow();
    }
  }

  /** Until a session of the test's database waits for a lock (the second accept's). */
  static void awaitLockWait() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (TestDb.rows(TestDb.connect(database), "SELECT pid FROM pg_stat_activity WHERE"
        + " datname = ? AND wait_event_type = 'Lock' AND query LIKE '%device_tpm_bindings%'",
        database).isEmpty()) {
      assertThat(System.nanoTime()).as("a session waiting for the binding's row lock")
          .isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  @Test
  @DisplayName("ATT-1 credential on one replica, wrong secret refused on the other and the"
      + " credential spent on both; a fresh one activated across replicas binds; rebinding"
      + " refused on either")
  void bindAcrossReplicas() throws Exception {
    TestDevice d = TestDevice.enroll(s, "pg-tpm-1", "henb");
    DeviceClient other = DeviceClient.of(replica.deviceUrl(), d.identity());
    Path state = s.dir.resolve("state");
    TpmEnrollment enrollment = TpmEnrollment.of(tpm.tcti(), state);
    TpmEnrollment.Keys keys = enrollment.keys();
    Base64.Encoder b64 = Base64.getEncoder();
    TpmCredentialRequest request = new TpmCredentialRequest(
        b64.encodeToString(keys.ekPublic()), b64.encodeToString(keys.akPublic()));

    TpmCredential first = d.client.tpmCredential(request);
    byte[] secret = enrollment.activate(Base64.getDecoder().decode(first.credential()));
    byte[] wrong = secret.clone();
    wrong[31] ^= 1;
    assertThat(catchThrowableOfType(DeviceApiException.class, () -> other.tpmActivate(
        new TpmActivation(b64.encodeToString(wrong)))).status()).isEqualTo(403);
    assertThat(catchThrowableOfType(DeviceApiException.class, () -> d.client.tpmActivate(
        new TpmActivation(b64.encodeToString(secret)))).status()).isEqualTo(409);

    TpmCredential second = d.client.tpmCredential(request);
    byte[] secret2 = enrollment.activate(Base64.getDecoder().decode(second.credential()));
    assertThat(other.tpmActivate(new TpmActivation(b64.encodeToString(secret2))).pcr())
        .isEqualTo(14);
    for (DeviceClient c : new DeviceClient[] {d.client, other}) {
      DeviceApiException e = catchThrowableOfType(DeviceApiException.class,
          () -> c.tpmCredential(request));
      assertThat(e.status()).isEqualTo(409);
      assertThat(e.code()).isEqualTo("CONFLICT");
    }
    assertThat(Files.exists(state.resolve("tpm/ak.tr"))).isTrue();
  }
}
