package org.neguard.server.alert;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.server.ServerConfig;
import org.neguard.server.WebhookReceiver;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Alerts leave after the finding they report committed, to a real receiver on loopback: a
 * quarantine rolled back (its transaction lost a lock race, say) is never announced.
 */
@DisplayName("ATT-4 REC-1 alerts follow the commit of what they report")
class AlertWebhookTest {
  private WebhookReceiver receiver;
  private AlertWebhook webhook;
  private TransactionTemplate tx;

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    receiver = new WebhookReceiver();
    webhook = new AlertWebhook(ServerConfig.builder(dir.resolve("data")).port(0)
        .alertWebhook(receiver.url()).build(), new ObjectMapper(), new SimpleMeterRegistry());
    tx = new TransactionTemplate(new DataSourceTransactionManager(new SimpleDriverDataSource(
        new org.h2.Driver(), "jdbc:h2:mem:alerts", "sa", "")));
  }

  @AfterEach
  void stop() {
    receiver.close();
  }

  @Test
  void post_inATransaction_sentOnlyAfterItCommits() throws Exception {
    tx.executeWithoutResult(s -> {
      webhook.post("attestation.failed", "d1", "henb", "attestation", Map.of("result", "FAIL"));
      try {
        assertThat(receiver.untaken("\"d1\"", 500)).as("not before the commit").isEmpty();
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    });
    assertThat(receiver.await("attestation.failed", "\"d1\"")).startsWith("POST ");
  }

  @Test
  void post_inATransactionRolledBack_neverSent() throws Exception {
    tx.executeWithoutResult(s -> {
      webhook.post("attestation.failed", "d2", "henb", "attestation", Map.of("result", "FAIL"));
      s.setRollbackOnly();
    });
    webhook.post("drift.detected", "d3", "henb", "drift", Map.of("port", 23));
    receiver.await("drift.detected", "\"d3\"");
    assertThat(receiver.untaken("\"d2\"", 300)).isEmpty();
  }

  @Test
  void post_outsideATransaction_sentAtOnce() throws Exception {
    webhook.post("drift.detected", "d4", "henb", "drift", Map.of("port", 23));
    assertThat(receiver.await("drift.detected", "\"d4\"")).contains("\"port\":23");
  }

  @Test
  @DisplayName("HRD-4 a receiver that does not answer holds at most the bound of posts; the"
      + " rest are dropped and counted, and posts go out again once it answers")
  void post_receiverStalled_boundedInFlight_restDroppedAndCounted(@TempDir Path dir)
      throws Exception {
    CountDownLatch answer = new CountDownLatch(1);
    AtomicInteger received = new AtomicInteger();
    HttpServer stalled = receiver(x -> {
      received.incrementAndGet();
      hold(answer);
      x.sendResponseHeaders(204, -1);
      x.close();
    });
    try {
      SimpleMeterRegistry metrics = new SimpleMeterRegistry();
      AlertWebhook bounded = webhook(dir, stalled, metrics, 2, 2,
          java.time.Duration.ofSeconds(10));
      for (int i = 0; i < 5; i++) {
        bounded.post("drift.detected", "d" + i, "henb", "drift", Map.of("port", 23));
      }
      assertThat(bounded.dropped()).as("beyond the two in flight").isEqualTo(3);
      assertThat(metrics.counter("neguard.alerts", "outcome", "dropped").count()).isEqualTo(3);
      await(() -> received.get() >= 2);
      assertThat(received.get()).as("the two in flight reached the receiver").isEqualTo(2);
      answer.countDown();
      await(() -> metrics.counter("neguard.alerts", "outcome", "delivered").count() >= 2);
      bounded.post("drift.detected", "d9", "henb", "drift", Map.of("port", 23));
      assertThat(bounded.dropped()).as("room again once the receiver answered").isEqualTo(3);
      await(() -> received.get() >= 3);
      assertThat(received.get()).isEqualTo(3);
    } finally {
      answer.countDown();
      stalled.stop(0);
    }
  }

  @Test
  @DisplayName("HRD-4 a receiver that sends its headers and then stalls the body gives its post"
      + " up after the bound: the place is free again, not held for good")
  void post_receiverStallsTheBody_placeFreedAfterTheBound(@TempDir Path dir) throws Exception {
    CountDownLatch end = new CountDownLatch(1);
    AtomicInteger received = new AtomicInteger();
    HttpServer stalled = receiver(x -> {
      received.incrementAndGet();
      x.sendResponseHeaders(200, 0);
      x.getResponseBody().write('{');
      x.getResponseBody().flush();
      hold(end);
      x.close();
    });
    try {
      SimpleMeterRegistry metrics = new SimpleMeterRegistry();
      AlertWebhook bounded = webhook(dir, stalled, metrics, 1, 1,
          java.time.Duration.ofSeconds(2));
      bounded.post("drift.detected", "d1", "henb", "drift", Map.of("port", 23));
      bounded.post("drift.detected", "d2", "henb", "drift", Map.of("port", 23));
      assertThat(bounded.dropped()).isEqualTo(1);
      await(() -> metrics.counter("neguard.alerts", "outcome", "failed").count() >= 1);
      assertThat(metrics.counter("neguard.alerts", "outcome", "failed").count())
          .as("given up once the whole exchange took longer than its bound").isEqualTo(1);
      bounded.post("drift.detected", "d3", "henb", "drift", Map.of("port", 23));
      assertThat(bounded.dropped()).as("its place is free again").isEqualTo(1);
      await(() -> received.get() >= 2);
      assertThat(received.get()).isEqualTo(2);
    } finally {
      end.countDown();
      stalled.stop(0);
    }
  }

  @Test
  @DisplayName("HRD-4 one device's alerts hold no more than its share of the places: another"
      + " device's alert still goes out while the receiver is slow")
  void post_oneDeviceFloods_othersStillSent(@TempDir Path dir) throws Exception {
    CountDownLatch answer = new CountDownLatch(1);
    java.util.List<String> bodies = java.util.Collections.synchronizedList(
        new java.util.ArrayList<>());
    HttpServer slow = receiver(x -> {
      bodies.add(new String(x.getRequestBody().readAllBytes(),
          java.nio.charset.StandardCharsets.UTF_8));
      hold(answer);
      x.sendResponseHeaders(204, -1);
      x.close();
    });
    try {
      AlertWebhook bounded = webhook(dir, slow, new SimpleMeterRegistry(), 8, 3,
          java.time.Duration.ofSeconds(10));
      for (int i = 0; i < 10; i++) {
        bounded.post("drift.detected", "noisy", "henb", "drift", Map.of("port", 1000 + i));
      }
      assertThat(bounded.dropped()).as("beyond the noisy device's 3").isEqualTo(7);
      bounded.post("attestation.failed", "other", "henb", "attestation", Map.of("r", "FAIL"));
      assertThat(bounded.dropped()).as("the other device's alert has its place").isEqualTo(7);
      await(() -> bodies.stream().anyMatch(b -> b.contains("\"other\"")));
      assertThat(bodies).anyMatch(b -> b.contains("attestation.failed"));
    } finally {
      answer.countDown();
      slow.stop(0);
    }
  }

  /** Holds a receiver's answer until {@code latch} (30 s at most). */
  private static void hold(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A receiver on loopback answering with {@code handler}, started. */
  private static HttpServer receiver(com.sun.net.httpserver.HttpHandler handler)
      throws java.io.IOException {
    HttpServer server = HttpServer.create(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/", handler);
    server.start();
    return server;
  }

  private static AlertWebhook webhook(Path dir, HttpServer receiver, SimpleMeterRegistry metrics,
      int maxInFlight, int perDevice, java.time.Duration timeout) {
    return new AlertWebhook(ServerConfig.builder(dir.resolve("b")).port(0)
        .alertWebhook(URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/"))
        .build(), new ObjectMapper(), metrics, maxInFlight, perDevice, timeout);
  }

  /** Waits (10 s at most) until {@code done}; the assertions after it say what was missing. */
  private static void await(java.util.function.BooleanSupplier done)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!done.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }
}
