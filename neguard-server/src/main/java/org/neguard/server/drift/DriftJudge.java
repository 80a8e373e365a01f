package org.neguard.server.drift;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
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
import org.neguard.api.device.InventoryLimits;
import org.neguard.api.device.InventoryVerdict;
import org.neguard.api.device.ListeningPort;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservationCodec;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.ProcessInfo;
import org.neguard.harden.eval.Evaluation;
import org.neguard.harden.eval.Evaluator;
import org.neguard.harden.eval.PortFinding;
import org.neguard.harden.eval.PortStatus;
import org.neguard.harden.inventory.LocalInventory;
import org.neguard.harden.policy.AddressRange;
import org.neguard.measure.Sha256;
import org.neguard.server.ServerConfig;
import org.neguard.server.alert.AlertWebhook;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.audit.AuditText;
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
 * one finding twice.
 *
 * <p>A refused report is no silence: the device's last verdict becomes {@code REFUSED}, audited,
 * and alerted ({@code drift.refused}) at most hourly. Each device
 * has a report budget ({@link ServerConfig.Drift}): beyond it a report is refused 429
 * RATE_LIMITED before anything is stored or alerted (the audit log has the refused request's
 * row), so that a device reporting in a
 * loop cannot fill the findings, the audit log or the alert receiver. Thread-safe.
 */
@Component
public final class DriftJudge {
  /** The largest inventory accepted, in bytes: some thousand sockets. */
  static final int MAX_INVENTORY_BYTES = InventoryLimits.MAX_BYTES;
  /** The most listening sockets one inventory may list. */
  static final int MAX_PORTS = InventoryLimits.MAX_PORTS;
  /**
   * Resolved findings kept per device, beyond the open ones: a socket opened and closed in a loop
   * must not grow the table without end (the audit log keeps every one).
   */
  static final int KEEP_RESOLVED = 1000;
  /** Addresses of a multi-homed endpoint a finding names, at most (the column holds 512). */
  static final int KEY_ADDRESSES = 8;
  /**
   * Findings alerted one by one per report, opened and resolved each: beyond them one alert
   * says how many more, so that one device cannot crowd the receiver out for the others.
   */
  static final int ALERTS_PER_REPORT = 16;
  /** A device refused, or incomplete, in a loop is alerted at most this often. */
  static final Duration REPEAT_ALERT_EVERY = Duration.ofHours(1);
  /** Inventories kept per device; the findings keep the longer history. */
  static final int KEEP_INVENTORIES = 20;
  /**
   * Open findings kept per device: a device that lists thousands of sockets must not turn each
   * report into thousands of audit rows and alerts. Sockets beyond it are still in the answer's
   * {@code undeclared} list, and the answer says they were not recorded.
   */
  static final int MAX_OPEN_FINDINGS = 256;
  /** Open findings each device in the out-of-policy list carries (its count is whole). */
  static final int LIST_FINDINGS = 20;
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
  /** Of a socket listed twice against the policy, the status that weighs most decides. */
  private static final List<PortStatus> WEIGHT = List.of(PortStatus.FORBIDDEN,
      PortStatus.UNDECLARED, PortStatus.WRONG_INTERFACE);

  private final JdbcClient jdbc;
  private final HardeningPolicies policies;
  private final AuditLog audit;
  private final AlertWebhook webhook;
  private final TransactionTemplate tx;
  private final ServerConfig.Drift limits;
  private final MeterRegistry metrics;

  DriftJudge(JdbcClient jdbc, HardeningPolicies policies, AuditLog audit, AlertWebhook webhook,
      PlatformTransactionManager transactions, ServerConfig config, MeterRegistry metrics) {
    this.jdbc = jdbc;
    this.policies = policies;
    this.audit = audit;
    this.webhook = webhook;
    this.tx = new TransactionTemplate(transactions);
    this.limits = config.drift();
    this.metrics = metrics;
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
    precheck(deviceId, now());
    Observation o;
    try {
      o = ObservationCodec.decode(body);
    } catch (RefusalException e) {
      throw refused(deviceId, ApiException.from(e));
    }
    if (!"inventory".equals(o.source())) {
      throw refused(deviceId, ApiException.badInput("the observation's source is '"
          + o.source() + "', not 'inventory': an agent reports its own /proc socket inventory"));
    }
    if (o.ports().size() > MAX_PORTS) {
      throw refused(deviceId, ApiException.of(ReasonCode.SIZE_LIMIT, "the inventory lists "
          + o.ports().size() + " sockets, more than " + MAX_PORTS + ": the agent fits its"
          + " report within the limit (an agent older than that cannot)"));
    }
    String invalid = invalid(o);
    if (invalid != null) {
      throw refused(deviceId, ApiException.badInput(invalid));
    }
    Instant now = now();
    Outcome out = tx.execute(s -> judge(deviceId, o, body, now));
    reports("accepted");
    alert("drift.detected", deviceId, out.neType(), out.verdict().opened());
    alert("drift.resolved", deviceId, out.neType(), out.verdict().resolved());
    return out.verdict();
  }

  /**
   * Posts {@code event} for each of {@code findings}, the first {@link #ALERTS_PER_REPORT}
   * one by one, then one {@code EVENT.more} with how many more (the audit log has each).
   */
  private void alert(String event, String deviceId, String neType, List<DriftFinding> findings) {
    findings.stream().limit(ALERTS_PER_REPORT)
        .forEach(f -> webhook.post(event, deviceId, neType, "finding", f));
    if (findings.size() > ALERTS_PER_REPORT) {
      webhook.post(event + ".more", deviceId, neType, "more", Map.of("findings",
          findings.size() - ALERTS_PER_REPORT, "message", (findings.size() - ALERTS_PER_REPORT)
              + " more findings in this report: the audit log and GET /api/devices/" + deviceId
              + "/drift have each"));
    }
  }

  /** Microseconds: what the database keeps, so that the answer and a later read agree. */
  private static Instant now() {
    return Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
  }

  private void reports(String outcome) {
    metrics.counter("neguard.drift.reports", "outcome", outcome).increment();
  }

  /**
   * What makes a decoded inventory unfit to judge, or null. The addresses are compared as text
   * (a finding is keyed by its socket), so each must be an IP literal in the one form the agent
   * writes: {@code 0:0::0} beside {@code ::} would be two sockets, and an address padded to any
   * length would be stored clipped and never match again. An interface's addresses feed the
   * policy's interface rules, so each must parse. Names from /proc (a process's command, its
   * executable, its user) are a local user's to choose and are not refused here: refusing them
   * would let any user make the device's reports fail; they are stored without control
   * characters instead ({@link #text}).
   */
  static String invalid(Observation o) {
    for (ObservedPort p : o.ports()) {
      // An SCTP endpoint bound to several addresses lists them all, one space apart.
      for (String a : p.address().split(" ", -1)) {
        Optional<byte[]> bytes = a.length() > 45 ? Optional.empty() : AddressRange.literal(a);
        if (bytes.isEmpty() || !canonical(bytes.get(), a).equals(a)) {
          return "socket " + p.transport().name().toLowerCase(Locale.ROOT) + " port "
              + p.port() + ": its address " + quoted(p.address()) + " is not an IP address, or"
              + " addresses one space apart, as the agent writes them (dotted IPv4, RFC 5952"
              + " IPv6)";
        }
      }
    }
    for (Map.Entry<String, String> e : o.parameters().entrySet()) {
      if (!e.getKey().startsWith(Observation.INTERFACE_PARAMETER)) {
        continue;
      }
      for (String each : e.getValue().split(",", -1)) {
        if (each.isBlank()) {
          continue;
        }
        try {
          AddressRange.parse(each.trim());
        } catch (IllegalArgumentException x) {
          return "parameter " + quoted(e.getKey()) + ": " + quoted(each)
              + " is not an IP address";
        }
      }
    }
    return null;
  }

  /**
   * The agent's form of the address {@code text} parsed to {@code bytes}: the JDK parses an
   * IPv4-mapped IPv6 address to its 4 IPv4 bytes, which an IPv6 socket's inventory writes as
   * {@code ::ffff:a.b.c.d}.
   */
  private static String canonical(byte[] bytes, String text) {
    if (bytes.length == 4 && text.indexOf(':') >= 0) {
      byte[] mapped = new byte[16];
      mapped[10] = (byte) 0xff;
      mapped[11] = (byte) 0xff;
      System.arraycopy(bytes, 0, mapped, 12, 4);
      return LocalInventory.addressText(mapped);
    }
    return LocalInventory.addressText(bytes);
  }

  private static String quoted(String s) {
    return "'" + text(s, 64) + "'";
  }

  /**
   * Records that {@code deviceId}'s report was refused for {@code e}, and returns {@code e} to
   * throw: the device's last verdict becomes REFUSED, the refusal is audited with its reason
   * and the count since the last accepted report (as every refused request is), and alerted
   * ({@code drift.refused}) at most once per {@link #REPEAT_ALERT_EVERY}, so that a device
   * refused in a loop, or alternating, does not flood the alert receiver.
   *
   * @throws ApiException 429 RATE_LIMITED, instead, when the device has no report left in its
   *     budget: nothing is recorded then
   */
  ApiException refused(String deviceId, ApiException e) {
    Instant now = now();
    String actor = "device " + deviceId;
    String message = e.reasons().get(0).code() + ": " + e.reasons().get(0).message();
    tx.executeWithoutResult(s -> {
      String neType = lock(deviceId);
      admit(deviceId, now);
      DriftRow before = row(deviceId);
      int refusals = before.refusals() + 1;
      boolean alert = before.refusalAlertedAt() == null
          || !before.refusalAlertedAt().plus(REPEAT_ALERT_EVERY).isAfter(now);
      jdbc.sql("UPDATE device_drift SET last_verdict = ?, refused_at = ?, refusal = ?,"
              + " refusals = ?, refusal_alerted_at = ? WHERE device_id = ?")
          .params(InventoryVerdict.REFUSED, HardeningPolicies.utc(now), text(message, 2000),
              refusals, alert ? HardeningPolicies.utc(now)
                  : HardeningPolicies.utc(before.refusalAlertedAt()), deviceId)
          .update();
      audit.append(AuditEvent.failure(actor, "DRIFT_INVENTORY", actor, message
          + (refusals == 1 ? "" : " (" + refusals + " reports refused since the last accepted"
              + " one)")));
      if (alert) {
        webhook.post("drift.refused", deviceId, neType, "refusal", Map.of("code",
            e.reasons().get(0).code().name(), "message", e.reasons().get(0).message(),
            "refusals", refusals, "at", now.toString()));
      }
    });
    reports("refused");
    return e;
  }

  /** Locks {@code deviceId}'s row for this transaction; its NE type. */
  private String lock(String deviceId) {
    return jdbc.sql("SELECT ne_type FROM devices WHERE id = ? FOR UPDATE")
        .param(deviceId).query(String.class).single();
  }

  private record DriftRow(Double tokens, Instant tokensAt, int refusals,
      Instant refusalAlertedAt) {}

  private DriftRow row(String deviceId) {
    return jdbc.sql("SELECT report_tokens, tokens_at, refusals, refusal_alerted_at"
            + " FROM device_drift WHERE device_id = ?").param(deviceId)
        .query((rs, i) -> new DriftRow(rs.getObject(1) == null ? null : rs.getDouble(1),
            instant(rs.getObject(2, OffsetDateTime.class)), rs.getInt(3),
            instant(rs.getObject(4, OffsetDateTime.class))))
        .optional().orElse(new DriftRow(null, null, 0, null));
  }

  /** What is left of the budget in {@code r} at {@code now}. */
  private double tokens(DriftRow r, Instant now) {
    if (r.tokens() == null || r.tokensAt() == null) {
      return limits.reportBurst();
    }
    // A clock that went back (another replica's) refills nothing rather than a negative amount.
    long elapsed = Math.max(0, Duration.between(r.tokensAt(), now).toMillis());
    return Math.min(limits.reportBurst(),
        r.tokens() + elapsed / (double) limits.reportEvery().toMillis());
  }

  private ApiException throttled(double tokens) {
    long waitMs = (long) Math.ceil((1 - tokens) * limits.reportEvery().toMillis());
    reports("throttled");
    return ApiException.of(ReasonCode.RATE_LIMITED, "this device sent more inventories than"
        + " its budget (" + limits.reportBurst() + " at once, one more every "
        + limits.reportEvery() + "): the next is accepted in "
        + Math.max(1, (waitMs + 999) / 1000) + " s; the agent sends again at its next"
        + " inventory.interval");
  }

  /**
   * Refuses 429 before the body is decoded when the budget is already spent: a read without
   * the lock, so a device in a loop costs one row read, not a decoding. The spending, under the
   * lock, is {@link #admit}'s.
   */
  private void precheck(String deviceId, Instant now) {
    double tokens = tokens(row(deviceId), now);
    if (tokens < 1) {
      throw throttled(tokens);
    }
  }

  private static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }

  /**
   * Spends one report of {@code deviceId}'s budget (a token bucket of {@link
   * ServerConfig.Drift#reportBurst()}, refilled one per {@link ServerConfig.Drift#reportEvery()}),
   * creating its drift row at its first report. Called with the device's row locked, so that
   * concurrent reports, on any replica, spend one budget.
   *
   * @throws ApiException 429 RATE_LIMITED when none is left, with when the next is accepted
   */
  private void admit(String deviceId, Instant now) {
    DriftRow r = row(deviceId);
    double tokens = tokens(r, now);
    if (tokens < 1) {
      throw throttled(tokens);
    }
    // Never moved back: a replica whose clock is behind would otherwise hand the next request,
    // on a replica ahead, the difference as a refill.
    Instant at = r.tokensAt() != null && r.tokensAt().isAfter(now) ? r.tokensAt() : now;
    if (jdbc.sql("UPDATE device_drift SET report_tokens = ?, tokens_at = ? WHERE device_id = ?")
        .params(tokens - 1, HardeningPolicies.utc(at), deviceId).update() == 0) {
      jdbc.sql("INSERT INTO device_drift (device_id, report_tokens, tokens_at) VALUES (?, ?, ?)")
          .params(deviceId, tokens - 1, HardeningPolicies.utc(now)).update();
    }
  }

  private Outcome judge(String deviceId, Observation o, byte[] body, Instant now) {
    String neType = lock(deviceId);
    admit(deviceId, now);
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
        against.merge(port(f.port()), f, (a, b) ->
            WEIGHT.indexOf(b.status()) < WEIGHT.indexOf(a.status()) ? b : a);
      }
      // Of a socket listed twice, the status that weighs most against it decides.
      statusOf.merge(port(f.port()), f.status(), (a, b) -> AGAINST.contains(a)
          || b == PortStatus.ALLOWED || b == PortStatus.CLOSED ? a : b);
    }
    Map<ListeningPort, DriftFinding> openByPort = new HashMap<>();
    open.forEach(f -> openByPort.put(f.port(), f));
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
    List<DriftFinding> opened = new ArrayList<>();
    int unrecorded = 0;
    for (Map.Entry<ListeningPort, PortFinding> e : against.entrySet()) {
      if (openByPort.containsKey(e.getKey())) {
        continue;
      }
      // Counted after this report's resolutions: a device alternating two sets of sockets
      // gets its findings for the set it shows, not only every other report.
      if (open.size() - resolved.size() + opened.size() >= MAX_OPEN_FINDINGS) {
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
    if (!resolved.isEmpty()) {
      // Keep the newest resolved ones: a socket opened and closed in a loop must not grow the
      // table without end (the audit log keeps each).
      jdbc.sql("SELECT id FROM drift_findings WHERE device_id = ? AND resolved_at IS NOT NULL"
              + " ORDER BY id DESC LIMIT 1 OFFSET " + KEEP_RESOLVED)
          .param(deviceId).query(Long.class).optional()
          .ifPresent(oldest -> jdbc.sql("DELETE FROM drift_findings WHERE device_id = ?"
              + " AND resolved_at IS NOT NULL AND id <= ?").params(deviceId, oldest).update());
    }
    String verdict = ev.verdict().name();
    record(deviceId, body, p.version(), verdict, now);
    incomplete(deviceId, neType, o, verdict, now);
    List<String> messages = new ArrayList<>();
    if (!o.complete()) {
      // First: what the agent left out, or could not read, is why nothing here is a pass.
      messages.add(text("the inventory is incomplete, so it passes nothing and resolves no"
          + " finding: " + (o.notes().isEmpty() ? "the agent gave no reason"
              : String.join("; ", o.notes())), 2000));
    }
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

  /**
   * Alerts ({@code drift.incomplete}) a report that could not show every socket (sockets the
   * agent left out to fit the limits, a table it could not read), at most once per {@link
   * #REPEAT_ALERT_EVERY} (complete reports in between do not reset it: a device alternating
   * would be alerted at every report). Such a report is never a
   * pass, but without an alert a device kept incomplete on purpose would only be INCONCLUSIVE.
   */
  private void incomplete(String deviceId, String neType, Observation o, String verdict,
      Instant now) {
    if (o.complete()) {
      return;
    }
    Instant last = jdbc.sql("SELECT incomplete_alerted_at FROM device_drift WHERE device_id = ?")
        .param(deviceId).query((rs, i) -> instant(rs.getObject(1, OffsetDateTime.class)))
        .optional().orElse(null);
    if (last != null && last.plus(REPEAT_ALERT_EVERY).isAfter(now)) {
      return;
    }
    jdbc.sql("UPDATE device_drift SET incomplete_alerted_at = ? WHERE device_id = ?")
        .params(HardeningPolicies.utc(now), deviceId).update();
    webhook.post("drift.incomplete", deviceId, neType, "inventory", Map.of("verdict", verdict,
        "sockets", o.ports().size(), "notes", o.notes().stream().limit(20)
            .map(n -> text(n, 500)).toList(), "at", now.toString()));
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
    // The row exists: admit() made it. An accepted report ends a run of refusals and an
    // overdue silence.
    // refusal_alerted_at stays: a device alternating refused and accepted reports is alerted
    // once per REPEAT_ALERT_EVERY, not at every refusal.
    jdbc.sql("UPDATE device_drift SET last_inventory_at = ?, last_verdict = ?, refusals = 0,"
            + " overdue_at = NULL WHERE device_id = ?")
        .params(HardeningPolicies.utc(now), verdict, deviceId).update();
  }

  private DriftFinding insert(String deviceId, ListeningPort port, PortFinding f, int version,
      Instant now) {
    String kind = f.status().name();
    ProcessInfo owner = f.port().process();
    String process = owner == null ? null : text(owner.pid() + " " + owner.name(), 512);
    String detail = text(f.reason() == null ? f.status().name() : f.reason().message(), 2000);
    String rule = f.rule() == null ? null : text(f.rule(), 64);
    jdbc.sql("INSERT INTO drift_findings (device_id, protocol, port, address, kind, rule,"
            + " process, detail, policy_version, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .params(deviceId, port.protocol(), port.port(), port.address(), kind, rule,
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
    return jdbc.sql("SELECT last_inventory_at, last_verdict, refused_at, refusal, refusals,"
            + " overdue_at FROM device_drift WHERE device_id = ?").param(deviceId)
        .query((rs, i) -> new DeviceDrift(deviceId, neType,
            text(rs.getObject(1, OffsetDateTime.class)), rs.getString(2), open, history,
            text(rs.getObject(3, OffsetDateTime.class)), rs.getString(4), rs.getInt(5),
            text(rs.getObject(6, OffsetDateTime.class))))
        .optional().orElse(new DeviceDrift(deviceId, neType, null, null, open, history));
  }

  private static String text(OffsetDateTime t) {
    return t == null ? null : t.toInstant().toString();
  }

  /**
   * The devices out of policy, by id: those with open findings, those whose last report was
   * refused or judged other than PASS, and those overdue; each with its open findings' count
   * and the first {@link #LIST_FINDINGS} of them. Two statements whatever the fleet's size (the
   * console's overview runs it at every load).
   */
  public List<DeviceDrift> outOfPolicy() {
    Map<String, List<DriftFinding>> open = jdbc.sql("SELECT * FROM (SELECT f.*, ROW_NUMBER()"
            + " OVER (PARTITION BY f.device_id ORDER BY f.id) AS rn FROM drift_findings f"
            + " WHERE f.resolved_at IS NULL) x WHERE rn <= " + LIST_FINDINGS
            + " ORDER BY device_id, id")
        .query((rs, i) -> finding(rs)).list().stream().collect(Collectors.groupingBy(
            DriftFinding::deviceId, Collectors.toList()));
    // Not only open findings: a last report refused, or judged FAIL or INCONCLUSIVE (an
    // incomplete one: sockets left out, a table unread), or none for too long, is no pass.
    return jdbc.sql("SELECT v.id, v.ne_type, d.last_inventory_at, d.last_verdict, d.refused_at,"
            + " d.refusal, d.refusals, d.overdue_at, (SELECT COUNT(*) FROM drift_findings f"
            + " WHERE f.device_id = v.id AND f.resolved_at IS NULL) AS open_count"
            + " FROM devices v LEFT JOIN device_drift d ON d.device_id = v.id"
            + " WHERE d.last_verdict IN (?, ?, ?) OR d.overdue_at IS NOT NULL OR EXISTS"
            + " (SELECT 1 FROM drift_findings f WHERE f.device_id = v.id"
            + " AND f.resolved_at IS NULL) ORDER BY v.id")
        .params(InventoryVerdict.REFUSED, InventoryVerdict.FAIL, InventoryVerdict.INCONCLUSIVE)
        .query((rs, i) -> new DeviceDrift(rs.getString(1), rs.getString(2),
            text(rs.getObject(3, OffsetDateTime.class)), rs.getString(4), rs.getInt(9),
            open.getOrDefault(rs.getString(1), List.of()),
            text(rs.getObject(5, OffsetDateTime.class)), rs.getString(6), rs.getInt(7),
            text(rs.getObject(8, OffsetDateTime.class))))
        .list();
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

  /**
   * The socket a finding is kept for. An SCTP endpoint bound to more than {@link
   * #KEY_ADDRESSES} addresses (any local user can bind one to as many loopback addresses as
   * it likes) is keyed by its first ones and {@code (and more)}, the same in every report
   * whether or not the agent cut the list to fit, so that it is stored as it is compared.
   */
  static ListeningPort port(ObservedPort p) {
    String address = p.address();
    String[] all = address.split(" ");
    if (all.length > KEY_ADDRESSES) {
      address = String.join(" ", java.util.Arrays.copyOf(all, KEY_ADDRESSES)) + " (and more)";
    }
    return new ListeningPort(p.transport().name().toLowerCase(Locale.ROOT), p.port(), address);
  }

  /**
   * {@code s} as stored and shown: at most {@code max} characters, each character the audit log
   * escapes ({@link AuditText#isControl}: a NUL, which PostgreSQL refuses; a terminal's escape;
   * a bidirectional override that would show a name reversed; an unpaired surrogate, which is no
   * character and cannot be stored) a {@code ?}.
   */
  static String text(String s, int max) {
    String clipped = s.length() <= max ? s : s.substring(0, max);
    if (clipped.codePoints().noneMatch(AuditText::isControl)) {
      return clipped;
    }
    StringBuilder b = new StringBuilder(clipped.length());
    clipped.codePoints().forEach(c -> {
      if (AuditText.isControl(c)) {
        b.append('?');
      } else {
        b.appendCodePoint(c);
      }
    });
    return b.toString();
  }
}
