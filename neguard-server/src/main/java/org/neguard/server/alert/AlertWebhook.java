package org.neguard.server.alert;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.neguard.server.ServerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Posts alerts to the webhook of {@code --alert-webhook}, if the server has one: one JSON object
 * per event ({@code event}, e.g. {@code drift.detected} or {@code attestation.failed}, the device,
 * its NE type and the event's detail under a name of its own). Sent after the finding committed,
 * asynchronously and with a timeout, so that a slow or absent receiver never holds an agent's
 * request; a failed post is logged (the audit row is the record that counts).
 */
@Component
public final class AlertWebhook {
  private static final Logger LOG = LoggerFactory.getLogger(AlertWebhook.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final Optional<URI> url;
  private final ObjectMapper json;
  private final HttpClient http;

  public AlertWebhook(ServerConfig config, ObjectMapper json) {
    this.url = config.alertWebhook();
    this.json = json;
    this.http = url.isEmpty() ? null : HttpClient.newBuilder().connectTimeout(TIMEOUT)
        .followRedirects(HttpClient.Redirect.NEVER).build();
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
    HttpRequest request = HttpRequest.newBuilder(url.get()).timeout(TIMEOUT)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build();
    http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((r, e) -> {
      if (e != null) {
        LOG.warn("alert {} for {} not delivered to {}: {}", event, deviceId,
            url.get(), e.toString());
      } else if (r.statusCode() / 100 != 2) {
        LOG.warn("alert {} for {} answered HTTP {} by {}", event, deviceId,
            r.statusCode(), url.get());
      }
    });
  }
}
