package org.neguard.server.alert;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.neguard.server.ServerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Posts alerts to the webhook of {@code --alert-webhook}, if the server has one: one JSON object
 * per event ({@code event}, e.g. {@code drift.detected} or {@code attestation.failed}, the device,
 * its NE type and the event's detail under a name of its own). Sent after the finding committed,
 * asynchronously and with a timeout, so that a slow or absent receiver never holds an agent's
 * request; a failed post is logged (the audit row is the record that counts). At most {@link
 * #MAX_IN_FLIGHT} posts wait for the receiver at once, {@link #MAX_PER_DEVICE} of them about
 * one device: beyond that an alert is dropped and counted ({@code neguard.alerts} {@code outcome=dropped}, and a warning at most once a minute),
 * so that a burst of events and a slow receiver cannot pile requests up in the server's memory.
 */
@Component
public final class AlertWebhook {
  private static final Logger LOG = LoggerFactory.getLogger(AlertWebhook.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  /** A post's whole exchange, body included, at most. */
  private final Duration timeout;
  /** Posts waiting for the receiver at most. */
  static final int MAX_IN_FLIGHT = 256;
  /** Of them, at most this many about one device. */
  static final int MAX_PER_DEVICE = 32;
  private static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

  private final Optional<URI> url;
  private final ObjectMapper json;
  private final HttpClient http;
  private final Semaphore inFlight;
  /** Posts in flight per device, for those with any. */
  private final java.util.concurrent.ConcurrentHashMap<String, Integer> byDevice =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final int perDevice;
  private final MeterRegistry metrics;
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong lastWarned = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);

  @Autowired
  public AlertWebhook(ServerConfig config, ObjectMapper json, MeterRegistry metrics) {
    this(config, json, metrics, MAX_IN_FLIGHT, MAX_PER_DEVICE, TIMEOUT);
  }

  AlertWebhook(ServerConfig config, ObjectMapper json, MeterRegistry metrics, int maxInFlight,
      int perDevice, Duration timeout) {
    this.timeout = timeout;
    this.perDevice = perDevice;
    this.url = config.alertWebhook();
    this.json = json;
    this.metrics = metrics;
    this.inFlight = new Semaphore(maxInFlight);
    this.http = url.isEmpty() ? null : HttpClient.newBuilder().connectTimeout(timeout)
        .followRedirects(HttpClient.Redirect.NEVER).build();
  }

  /** Alerts dropped so far because {@link #MAX_IN_FLIGHT} posts were waiting. */
  long dropped() {
    return dropped.get();
  }

  /**
   * Posts {@code event} about device {@code deviceId}, with {@code detail} under {@code field};
   * returns at once. Called in a transaction, the alert goes out after it commits, and not at all
   * if it rolls back: a receiver is never told of a finding the database does not hold. Not from
   * another synchronization's {@code afterCommit}, where what is registered never runs (as {@link
   * org.neguard.server.audit.AuditLog#append} says): call it in the transaction instead.
   */
  public void post(String event, String deviceId, String neType, String field, Object detail) {
    if (TransactionSynchronizationManager.isActualTransactionActive()
        && TransactionSynchronizationManager.isSynchronizationActive()) {
      TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
        @Override
        public void afterCommit() {
          send(event, deviceId, neType, field, detail);
        }
      });
      return;
    }
    send(event, deviceId, neType, field, detail);
  }

  private void send(String event, String deviceId, String neType, String field, Object detail) {
    if (url.isEmpty()) {
      return;
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("event", event);
    body.put("deviceId", deviceId);
    body.put("neType", neType);
    body.put(field, detail);
    byte[] bytes;
    try {
      bytes = json.writeValueAsBytes(body);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      LOG.warn("alert not serialized: {}", e.getMessage());
      return;
    }
    HttpRequest request = HttpRequest.newBuilder(url.get()).timeout(timeout)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build();
    if (!admit(deviceId)) {
      long n = dropped.incrementAndGet();
      metrics.counter("neguard.alerts", "outcome", "dropped").increment();
      long last = lastWarned.get();
      long t = System.nanoTime();
      if (t - last >= WARN_EVERY_NANOS && lastWarned.compareAndSet(last, t)) {
        LOG.warn("alert {} for {} dropped: {} posts to {} are waiting (at most {} about one"
            + " device; {} dropped since start; the audit log has each event)", event, deviceId,
            MAX_IN_FLIGHT, url.get(), perDevice, n);
      }
      return;
    }
    CompletableFuture<HttpResponse<Void>> exchange =
        http.sendAsync(request, HttpResponse.BodyHandlers.discarding());
    // The request's timeout covers the wait for the headers only: a receiver that sends them
    // and then stalls the body would hold the place, and the connection, for good. Cancelling
    // the JDK client's future aborts the exchange.
    CompletableFuture.delayedExecutor(2 * timeout.toMillis(), TimeUnit.MILLISECONDS)
        .execute(() -> exchange.cancel(true));
    exchange.whenComplete((r, e) -> {
      release(deviceId);
      metrics.counter("neguard.alerts", "outcome", e == null && r.statusCode() / 100 == 2
          ? "delivered" : "failed").increment();
      if (e != null) {
        LOG.warn("alert {} for {} not delivered to {}: {}", event, deviceId,
            url.get(), e.toString());
      } else if (r.statusCode() / 100 != 2) {
        LOG.warn("alert {} for {} answered HTTP {} by {}", event, deviceId,
            r.statusCode(), url.get());
      }
    });
  }

  /** Takes a place for a post about {@code deviceId}, if one is free overall and for it. */
  private boolean admit(String deviceId) {
    boolean[] mine = new boolean[1];
    byDevice.compute(String.valueOf(deviceId), (k, n) -> {
      int held = n == null ? 0 : n;
      if (held >= perDevice || !inFlight.tryAcquire()) {
        return n;
      }
      mine[0] = true;
      return held + 1;
    });
    return mine[0];
  }

  private void release(String deviceId) {
    byDevice.compute(String.valueOf(deviceId), (k, n) -> n == null || n <= 1 ? null : n - 1);
    inFlight.release();
  }
}
