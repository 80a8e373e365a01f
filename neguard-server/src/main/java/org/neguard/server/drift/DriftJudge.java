package org.neguard.server.drift;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.neguard.api.device.DeviceDrift;
import org.neguard.api.device.DriftFinding;
import org.neguard.api.device.InventoryVerdict;
import org.neguard.api.device.ListeningPort;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservationCodec;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.eval.Evaluation;
import org.neguard.harden.eval.Evaluator;
import org.neguard.harden.eval.PortFinding;
import org.neguard.harden.eval.PortStatus;
import org.neguard.measure.Sha256;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.alert.AlertWebhook;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Judges a device's socket inventory against its NE type's policy in force (HRD-1, HRD-4) and
 * keeps the findings: a listening socket the policy does not declare, or a forbidden service,
 * opens a finding ({@code DRIFT_DETECTED}); the first later complete inventory without it
 * resolves it ({@code DRIFT_RESOLVED}: HRD-4's "removed", shown by the device's own /proc). The
 * device's row is locked while its inventory is judged, so two reports of one device never open
 * one finding twice. Thread-safe.
 */
@Component
public final class DriftJudge {
  /** The largest inventory accepted, in bytes: some thousand sockets. */
  static final int MAX_INVENTORY_BYTES = 512 << 10;
  /** The most listening sockets one inventory may list. */
  static final int MAX_PORTS = 4096;
  /** Inventories kept per device; the findings keep the longer history. */
  static final int KEEP_INVENTORIES = 20;
  /**
   * Open findings kept per device: a device that lists thousands of sockets must not turn each
   * report into thousands of audit rows and alerts. Sockets beyond it are still in the answer's
   * {@code undeclared} list, and the answer says they were not recorded.
   */
  static final int MAX_OPEN_FINDINGS = 256;
  /** Findings shown per device, newest first. */
  static final int MAX_HISTORY = 500;
  /**
   * What opens a finding: every open socket the policy does not allow where it listens. A
   * declared port on an interface the policy does not allow (TS 33.117 4.3.2.2) is as much
   * against it as an undeclared one.
   */
  private static final Set<PortStatus> AGAINST = Set.of(PortStatus.UNDECLARED,
      PortStatus.FORBIDDEN, PortStatus.WRONG_INTERFACE);
  /**
   * What the answer lists for the agent's enforce mode to block on every address: not a port
   * on the wrong interface, which the policy allows on another one (blocking it everywhere would
   * cut operators off the management network).
   */
  private static final Set<PortStatus> BLOCKED = Set.of(PortStatus.UNDECLARED,
      PortStatus.FORBIDDEN);

  private final JdbcClient jdbc;
  private final HardeningPolicies policies;
  private final AuditLog audit;
  private final AlertWebhook webhook;
  private final TransactionTemplate tx;

  DriftJudge(JdbcClient jdbc, HardeningPolicies policies, AuditLog audit, AlertWebhook webhook,
      PlatformTransactionManager transactions) {
    this.jdbc = jdbc;
    this.policies = policies;
    this.audit = audit;
    this.webhook = webhook;
    this.tx = new TransactionTemplate(transactions);
  }

  private record Outcome(InventoryVerdict verdict, String neType) {}

  /**
   * Judges and records the inventory {@code body} of {@code deviceId} (already bounded to
   * {@link #MAX_INVENTORY_BYTES}).
   *
   * @throws ApiException 400 BAD_INPUT when it is no inventory, 413 SIZE_LIMIT with too many
   *     sockets; nothing is stored then
   */
  InventoryVerdict report(String deviceId, byte[] body) {
    String actor = "device " + deviceId;
    Observation o;
    try {
      o = ObservationCodec.decode(body);
    } catch (RefusalException e) {
      throw refused(actor, ApiException.from(e));
    }
    if (!"inventory".equals(o.source())) {
      throw refused(actor, ApiException.badInput("the observation's source is '" + o.source()
          + "', not 'inventory': an agent reports its own /proc socket inventory"));
    }
    if (o.ports().size() > MAX_PORTS) {
      throw refused(actor, ApiException.of(ReasonCode.SIZE_LIMIT, "the inventory lists "
          + o.ports().size() + " sockets, more than " + MAX_PORTS));
    }
    // Microseconds: what the database keeps, so that the answer and a later read agree.
    Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    Outcome out = tx.execute(s -> judge(deviceId, o, body, now));
    for (DriftFinding f : out.verdict().opened()) {
      webhook.post("drift.detected", f.deviceId(), out.neType(), "finding", f);
    }
    for (DriftFinding f : out.verdict().resolved()) {
      webhook.post("drift.resolved", f.deviceId(), out.neType(), "finding", f);
    }
    return out.verdict();
  }

  private ApiException refused(String actor, ApiException e) {
    audit.append(AuditEvent.failure(actor, "DRIFT_INVENTORY", actor, e.getMessage()));
    return e;
  }

  private Outcome judge(String deviceId, Observation o, byte[] body, Instant now) {
    String neType = jdbc.sql("SELECT ne_type FROM devices WHERE id = ? FOR UPDATE")
        .param(deviceId).query(String.class).single();
    String actor = "device " + deviceId;
    Optional<HardeningPolicies.Stored> stored = policies.current(neType);
    List<DriftFinding> open = open(deviceId);
    if (stored.isEmpty()) {
      record(deviceId, body, null, InventoryVerdict.NO_POLICY, now);
      return new Outcome(new InventoryVerdict(InventoryVerdict.NO_POLICY, neType, null, null,
          List.of(), open, List.of(), List.of(),
          List.of("no hardening policy is uploaded for NE type " + neType + ": nothing was"
              + " judged; an admin uploads one with 'neguard policy upload --ne-type " + neType
              + " FILE'")), neType);
    }
    HardeningPolicies.Stored p = stored.get();
    Evaluation ev = Evaluator.evaluate(p.policy(), o);
    Map<ListeningPort, PortFinding> against = new LinkedHashMap<>();
    Map<ListeningPort, PortStatus> statusOf = new HashMap<>();
    for (PortFinding f : ev.findings()) {
      if (AGAINST.contains(f.status())) {
        against.putIfAbsent(port(f.port()), f);
      }
      // Of a socket listed twice, the status that weighs most against it decides.
      statusOf.merge(port(f.port()), f.status(), (a, b) -> AGAINST.contains(a)
          || b == PortStatus.ALLOWED || b == PortStatus.CLOSED ? a : b);
    }
    Map<ListeningPort, DriftFinding> openByPort = new HashMap<>();
    open.forEach(f -> openByPort.put(f.port(), f));
    List<DriftFinding> opened = new ArrayList<>();
    int unrecorded = 0;
    for (Map.Entry<ListeningPort, PortFinding> e : against.entrySet()) {
      if (openByPort.containsKey(e.getKey())) {
        continue;
      }
      if (open.size() + opened.size() >= MAX_OPEN_FINDINGS) {
        unrecorded++;
        continue;
      }
      DriftFinding f = insert(deviceId, e.getKey(), e.getValue(), p.version(), now);
      opened.add(f);
      audit.append(AuditEvent.success(actor, "DRIFT_DETECTED", "device " + deviceId,
          "finding " + f.id() + ": " + f.kind().toLowerCase(Locale.ROOT) + " " + f.port()
              + (f.process() == null ? "" : " (" + f.process() + ")") + "; NE type " + neType
              + " policy version " + p.version() + "; " + f.detail()));
    }
    List<DriftFinding> resolved = new ArrayList<>();
    // Only a complete inventory shows a port gone: a table that could not be read proves nothing.
    if (o.complete()) {
      for (DriftFinding f : open) {
        // Resolved only by what proves it: the socket gone (absent, or shown closed), or open
        // and allowed where it listens. Any other state (not checked, filtered) proves nothing.
        PortStatus status = statusOf.get(f.port());
        String resolution;
        if (status == null || status == PortStatus.CLOSED) {
          resolution = "closed";
        } else if (status == PortStatus.ALLOWED) {
          resolution = "allowed by policy version " + p.version();
        } else {
          continue;
        }
        jdbc.sql("UPDATE drift_findings SET resolved_at = ?, resolution = ? WHERE id = ?")
            .params(HardeningPolicies.utc(now), resolution, f.id()).update();
        DriftFinding r = new DriftFinding(f.id(), f.deviceId(), f.port(), f.kind(), f.rule(),
            f.process(), f.detail(), f.policyVersion(), f.openedAt(), now.toString(),
            resolution);
        resolved.add(r);
        audit.append(AuditEvent.success(actor, "DRIFT_RESOLVED", "device " + deviceId,
            "finding " + f.id() + ": " + f.port() + " " + resolution
                + " (the device's inventory of " + o.finished() + " no longer lists it"
                + (resolution.equals("closed") ? "" : " against the policy") + ")"));
      }
    }
    String verdict = ev.verdict().name();
    record(deviceId, body, p.version(), verdict, now);
    List<String> messages = new ArrayList<>();
    if (unrecorded > 0) {
      messages.add(unrecorded + " more socket(s) against the policy were not recorded as"
          + " findings: this device has " + MAX_OPEN_FINDINGS + " open findings, the most kept;"
          + " close or declare the ports");
      audit.append(AuditEvent.failure(actor, "DRIFT_DETECTED", "device " + deviceId,
          unrecorded + " socket(s) against policy version " + p.version()
              + " not recorded: the device has " + MAX_OPEN_FINDINGS + " open findings"));
    }
    ev.reasons().stream().map(Reason::message).limit(200).forEach(messages::add);
    return new Outcome(new InventoryVerdict(verdict, neType, p.version(), p.sha256(),
        against.entrySet().stream().filter(e -> BLOCKED.contains(e.getValue().status()))
            .map(Map.Entry::getKey).toList(), open(deviceId), opened, resolved, messages),
        neType);
  }

  private void record(String deviceId, byte[] body, Integer version, String verdict,
      Instant now) {
    jdbc.sql("INSERT INTO device_inventories (device_id, received_at, content, sha256,"
            + " policy_version, verdict) VALUES (?, ?, ?, ?, ?, ?)")
        .params(deviceId, HardeningPolicies.utc(now), body, Sha256.hex(body), version, verdict)
        .update();
    // Keep the newest few: a device reporting every minute must not fill the database.
    jdbc.sql("SELECT id FROM device_inventories WHERE device_id = ? ORDER BY id DESC"
            + " LIMIT 1 OFFSET " + KEEP_INVENTORIES)
        .param(deviceId).query(Long.class).optional()
        .ifPresent(oldest -> jdbc.sql("DELETE FROM device_inventories WHERE device_id = ?"
            + " AND id <= ?").params(deviceId, oldest).update());
    if (jdbc.sql("UPDATE device_drift SET last_inventory_at = ?, last_verdict = ?"
        + " WHERE device_id = ?").params(HardeningPolicies.utc(now), verdict, deviceId)
        .update() == 0) {
      jdbc.sql("INSERT INTO device_drift (device_id, last_inventory_at, last_verdict)"
          + " VALUES (?, ?, ?)").params(deviceId, HardeningPolicies.utc(now), verdict).update();
    }
  }

  private DriftFinding insert(String deviceId, ListeningPort port, PortFinding f, int version,
      Instant now) {
    String kind = f.status().name();
    String process = f.port().process() == null ? null
        : clip(f.port().process().pid() + " " + f.port().process().name(), 512);
    String detail = clip(f.reason() == null ? f.status().name() : f.reason().message(), 2000);
    String rule = f.rule() == null ? null : clip(f.rule(), 64);
    jdbc.sql("INSERT INTO drift_findings (device_id, protocol, port, address, kind, rule,"
            + " process, detail, policy_version, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .params(deviceId, port.protocol(), port.port(), clip(port.address(), 512), kind, rule,
            process, detail, version, HardeningPolicies.utc(now)).update();
    long id = jdbc.sql("SELECT MAX(id) FROM drift_findings WHERE device_id = ?")
        .param(deviceId).query(Long.class).single();
    return new DriftFinding(id, deviceId, port, kind, rule, process, detail, version,
        now.toString(), null, null);
  }

  /** The open findings of a device, oldest first. */
  private List<DriftFinding> open(String deviceId) {
    return jdbc.sql("SELECT * FROM drift_findings WHERE device_id = ? AND resolved_at IS NULL"
        + " ORDER BY id").param(deviceId).query((rs, i) -> finding(rs)).list();
  }

  /** A device's drift: its last verdict and its findings, newest first. */
  public DeviceDrift device(String deviceId) {
    String neType = jdbc.sql("SELECT ne_type FROM devices WHERE id = ?").param(deviceId)
        .query(String.class).optional()
        .orElseThrow(() -> ApiException.notFound("no device " + deviceId));
    List<DriftFinding> history = jdbc.sql("SELECT * FROM drift_findings WHERE device_id = ?"
            + " ORDER BY id DESC LIMIT " + MAX_HISTORY)
        .param(deviceId).query((rs, i) -> finding(rs)).list();
    int open = jdbc.sql("SELECT COUNT(*) FROM drift_findings WHERE device_id = ?"
        + " AND resolved_at IS NULL").param(deviceId).query(Integer.class).single();
    record Last(String at, String verdict) {}
    Last last = jdbc.sql("SELECT last_inventory_at, last_verdict FROM device_drift"
            + " WHERE device_id = ?").param(deviceId)
        .query((rs, i) -> new Last(rs.getObject(1, OffsetDateTime.class).toInstant().toString(),
            rs.getString(2))).optional().orElse(new Last(null, null));
    return new DeviceDrift(deviceId, neType, last.at(), last.verdict(), open, history);
  }

  /** The devices with open findings, by id, each with its open findings. */
  public List<DeviceDrift> outOfPolicy() {
    List<DriftFinding> open = jdbc.sql("SELECT * FROM drift_findings WHERE resolved_at IS NULL"
        + " ORDER BY device_id, id").query((rs, i) -> finding(rs)).list();
    Map<String, List<DriftFinding>> byDevice = open.stream().collect(
        Collectors.groupingBy(DriftFinding::deviceId, java.util.TreeMap::new,
            Collectors.toList()));
    List<DeviceDrift> out = new ArrayList<>();
    for (Map.Entry<String, List<DriftFinding>> e : byDevice.entrySet()) {
      DeviceDrift d = device(e.getKey());
      out.add(new DeviceDrift(d.deviceId(), d.neType(), d.lastInventoryAt(), d.lastVerdict(),
          e.getValue().size(), e.getValue()));
    }
    return out;
  }

  private static DriftFinding finding(java.sql.ResultSet rs) throws java.sql.SQLException {
    OffsetDateTime resolved = rs.getObject("resolved_at", OffsetDateTime.class);
    return new DriftFinding(rs.getLong("id"), rs.getString("device_id"),
        new ListeningPort(rs.getString("protocol"), rs.getInt("port"), rs.getString("address")),
        rs.getString("kind"), rs.getString("rule"), rs.getString("process"),
        rs.getString("detail"), rs.getInt("policy_version"),
        rs.getObject("opened_at", OffsetDateTime.class).toInstant().toString(),
        resolved == null ? null : resolved.toInstant().toString(), rs.getString("resolution"));
  }

  static ListeningPort port(ObservedPort p) {
    return new ListeningPort(p.transport().name().toLowerCase(Locale.ROOT), p.port(),
        p.address());
  }

  private static String clip(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }
}
