package org.neguard.server.drift;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.neguard.server.PeriodicTask;
import org.neguard.server.ServerConfig;
import org.neguard.server.alert.AlertWebhook;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Finds the devices that stopped reporting their inventory (docs/SERVER.md "Port drift"): a
 * device whose last accepted inventory (or, when none was ever accepted, its last refused
 * report) is older than {@link
 * ServerConfig.Drift#overdue()} is audited ({@code DRIFT_OVERDUE}) and alerted ({@code
 * drift.overdue}) once, and listed out of policy until it reports again. An agent stopped, its
 * inventory turned off, or its reports cut on the way all look alike from here, and none of them
 * may leave the device at its last PASS. A device whose reports are refused goes overdue too
 * once its last accepted one is older than the bound (one never accepted, once it stops
 * sending). Only devices that have reported once are watched: an agent whose inventory is off
 * from the start has nothing to miss. Each device is claimed with a
 * conditional update, so that replicas alert it once between them. Thread-safe.
 */
@Component
final class DriftWatch implements SmartLifecycle {
  private static final Logger LOG = LoggerFactory.getLogger(DriftWatch.class);
  /** Overdue devices handled per look: the next look takes the rest. */
  static final int BATCH = 500;

  private final JdbcClient jdbc;
  private final AuditLog audit;
  private final AlertWebhook webhook;
  private final TransactionTemplate tx;
  private final ServerConfig.Drift limits;
  private final PeriodicTask timer;

  DriftWatch(JdbcClient jdbc, AuditLog audit, AlertWebhook webhook,
      PlatformTransactionManager transactions, ServerConfig config) {
    this.jdbc = jdbc;
    this.audit = audit;
    this.webhook = webhook;
    this.tx = new TransactionTemplate(transactions);
    this.limits = config.drift();
    this.timer = new PeriodicTask("neguard-drift-watch", limits.checkInterval(),
        limits.checkInterval(), this::lookQuietly);
  }

  /**
   * Marks, audits and alerts the devices overdue at {@code now}; returns their ids. A device
   * disabled, or already marked, is not.
   */
  List<String> look(Instant now) {
    if (limits.overdue().isZero()) {
      return List.of();
    }
    Instant cutoff = now.minus(limits.overdue());
    List<String> candidates = jdbc.sql("SELECT d.device_id FROM device_drift d"
            + " JOIN devices v ON v.id = d.device_id WHERE d.overdue_at IS NULL"
            + " AND v.disabled_at IS NULL AND COALESCE(d.last_inventory_at, d.refused_at) < ?"
            + " ORDER BY d.device_id LIMIT " + BATCH)
        .param(HardeningPolicies.utc(cutoff)).query(String.class).list();
    return candidates.stream().filter(id -> Boolean.TRUE.equals(tx.execute(s -> mark(id, now,
        cutoff)))).toList();
  }

  private boolean mark(String deviceId, Instant now, Instant cutoff) {
    record Last(String neType, Instant at) {}
    // Claimed by the update: of two replicas looking at once, one marks it, one finds it marked.
    if (jdbc.sql("UPDATE device_drift SET overdue_at = ? WHERE device_id = ?"
            + " AND overdue_at IS NULL AND COALESCE(last_inventory_at, refused_at) < ?")
        .params(HardeningPolicies.utc(now), deviceId, HardeningPolicies.utc(cutoff))
        .update() == 0) {
      return false;
    }
    Last last = jdbc.sql("SELECT v.ne_type, d.last_inventory_at FROM device_drift d"
            + " JOIN devices v ON v.id = d.device_id WHERE d.device_id = ?").param(deviceId)
        .query((rs, i) -> new Last(rs.getString(1),
            rs.getObject(2, java.time.OffsetDateTime.class) == null ? null
                : rs.getObject(2, java.time.OffsetDateTime.class).toInstant()))
        .single();
    String since = last.at() == null ? "no inventory accepted yet (its reports were refused)"
        : "no inventory since " + last.at();
    String detail = since + ", overdue after " + limits.overdue() + ": the agent is stopped,"
        + " its inventory.interval is 0, or its reports do not arrive; look at the NE and its"
        + " agent's log";
    audit.append(AuditEvent.failure("server", "DRIFT_OVERDUE", "device " + deviceId, detail));
    webhook.post("drift.overdue", deviceId, last.neType(), "overdue", Map.of(
        "lastInventoryAt", String.valueOf(last.at()), "overdueAfter",
        limits.overdue().toString(), "at", now.toString()));
    return true;
  }

  private void lookQuietly() {
    try {
      List<String> overdue = look(Instant.now().truncatedTo(ChronoUnit.MICROS));
      if (!overdue.isEmpty()) {
        LOG.warn("{} device(s) stopped reporting their socket inventory: {}", overdue.size(),
            overdue.size() <= 10 ? overdue : overdue.subList(0, 10) + "...");
      }
    } catch (RuntimeException e) {
      LOG.warn("could not look for overdue inventories: {}", e.toString());
    }
  }

  @Override
  public void start() {
    if (!limits.overdue().isZero()) {
      timer.start();
    }
  }

  @Override
  public void stop() {
    timer.stop();
  }

  @Override
  public boolean isRunning() {
    return timer.isRunning();
  }
}
