package org.neguard.server.deploy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.neguard.order.Approval;
import org.neguard.api.attest.AttestationResult;
import org.neguard.api.problem.ProblemReason;
import org.neguard.attest.Expectation;
import org.neguard.order.DeploymentOrder;
import org.neguard.order.OrderAttestation;
import org.neguard.server.ServerConfig;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.attest.PlatformValidation;
import org.neguard.server.keys.ServerKeys;
import org.neguard.server.pkg.StoredBundles;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.ReasonCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The wave engine. Every {@code fleet.schedulerInterval}, on every replica, it claims each
 * unfinished deployment with {@code SELECT ... FOR UPDATE SKIP LOCKED} (a deployment another
 * replica or a user's change holds is skipped this round) and advances it in one transaction:
 * expiry; orders past their validity fail; the running wave is judged against the thresholds;
 * the next wave starts (inside the maintenance window only), each of its devices checked as it
 * is now and either refused or sent a signed order. Thread-safe; {@link #advanceAll} may be
 * called directly (tests), besides the timer.
 */
@Component
final class DeploymentScheduler implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DeploymentScheduler.class);
  /** Longest validity of an order, whatever the deployment's expiry. */
  static final Duration ORDER_VALIDITY = Duration.ofHours(24);

  private final JdbcClient jdbc;
  private final DeploymentStore store;
  private final DeploymentViews views;
  private final AuditLog audit;
  private final ServerKeys keys;
  private final TransactionTemplate tx;
  private final DeployClock clock;
  private final Duration interval;
  private final DeployValidation validation;
  private final StoredBundles bundles;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
      r -> {
        Thread t = new Thread(r, "neguard-deploy-scheduler");
        t.setDaemon(true);
        return t;
      });

  DeploymentScheduler(JdbcClient jdbc, DeploymentStore store, DeploymentViews views,
      AuditLog audit, ServerKeys keys, PlatformTransactionManager transactions,
      DeployClock clock, ServerConfig config, DeployValidation validation,
      StoredBundles bundles) {
    this.jdbc = jdbc;
    this.store = store;
    this.views = views;
    this.audit = audit;
    this.keys = keys;
    this.tx = new TransactionTemplate(transactions);
    this.clock = clock;
    this.interval = config.fleet().schedulerInterval();
    this.validation = validation;
    this.bundles = bundles;
  }

  /** Starts the timer once the server serves (the schema is migrated by then). */
  @EventListener(ApplicationReadyEvent.class)
  void start() {
    long ms = interval.toMillis();
    timer.scheduleWithFixedDelay(this::tick, ms, ms, TimeUnit.MILLISECONDS);
  }

  private void tick() {
    try {
      advanceAll();
    } catch (RuntimeException e) {
      // The next tick tries again; one bad round must not stop the engine.
      LOG.error("deployment scheduler round failed: {}", e.toString(), e);
    }
  }

  /**
   * Stops the rounds and waits for one in progress: it must not outlive the database, which
   * Spring closes after this. No interrupt: inside H2's file I/O it closes the file channel.
   */
  @Override
  public void close() throws InterruptedException {
    timer.shutdown();
    timer.awaitTermination(30, TimeUnit.SECONDS);
  }

  /**
   * One round over every unfinished deployment, each in its own transaction. A deployment whose
   * advance fails is rolled back, logged and tried again next round; the others still advance
   * in this one.
   *
   * @return how many deployments this call advanced (the others were held elsewhere, ended or
   *     failed)
   */
  int advanceAll() {
    int claimed = 0;
    for (String id : store.unfinished()) {
      try {
        Boolean done = tx.execute(s -> {
          DeploymentRow d = store.claim(id).orElse(null);
          if (d == null || d.isFinal()) {
            return false;
          }
          advance(d, clock.now());
          return true;
        });
        claimed += Boolean.TRUE.equals(done) ? 1 : 0;
      } catch (RuntimeException e) {
        // Deployments are advanced oldest first: one that fails every round must not stop
        // every later one on every replica.
        LOG.error("deployment {} could not advance this round: {}", id, e.toString(), e);
      }
    }
    return claimed;
  }

  /** Advances one deployment; the caller holds its row lock. */
  private void advance(DeploymentRow d, Instant now) {
    if (Expiry.due(d, now)) {
      Expiry.expire(store, audit, d, now);
      return;
    }
    failOverdueOrders(d, now);
    failOverdueAttestations(d, now);
    failOrdersOfDisabledDevices(d, now);
    if (!DeploymentRow.RUNNING.equals(d.state())) {
      return;
    }
    int wave = d.currentWave();
    if (wave == d.waveCount() && !"running".equals(waveState(d.id(), wave))) {
      // The last wave met its threshold: targets still attesting are judged now (refused when
      // they pass: no wave is left whose thresholds would count their orders), not left
      // waiting for the day their orders' validity ends.
      attest(d, wave, false, now);
    }
    while (true) {
      if (wave > 0 && "running".equals(waveState(d.id(), wave))) {
        attest(d, wave, true, now);
        if (!judge(d, wave, now)) {
          return;
        }
      }
      if (wave == d.waveCount()) {
        // Past the last wave's threshold, devices still carrying out their orders finish first
        // (or their orders run out): a completed deployment serves no more bundles, and a device
        // mid-download must not be failed by the deployment's end.
        if (openOrders(d.id()) == 0) {
          complete(d, now);
        }
        return;
      }
      if (!startWave(d, wave + 1, now)) {
        return;
      }
      wave++;
    }
  }

  private int openOrders(String id) {
    // Attesting targets too: each either gets its order or is refused by its not_after.
    return jdbc.sql("SELECT COUNT(*) FROM deployment_targets WHERE deployment_id = ? AND state IN"
            + " " + Targets.STARTED_SQL)
        .params(id).query(Integer.class).single();
  }

  private String waveState(String id, int wave) {
    return jdbc.sql("SELECT state FROM deployment_waves WHERE deployment_id = ? AND wave = ?")
        .params(id, wave).query(String.class).single();
  }

  /**
   * Judges the running wave: pauses the deployment at the error threshold, marks the wave
   * succeeded at the success threshold.
   *
   * @return true when the wave succeeded (the next may start)
   */
  private boolean judge(DeploymentRow d, int wave, Instant now) {
    DeploymentViews.Counts c = views.counts(d.id(), wave);
    int accepted = jdbc.sql("SELECT accepted_failures FROM deployment_waves WHERE"
            + " deployment_id = ? AND wave = ?")
        .params(d.id(), wave).query(Integer.class).single();
    if (c.failures() > accepted && breaker(d, wave, c, now)) {
      return false;
    }
    if (c.failures() > accepted && c.failures() * 100L >= (long) d.errorThreshold() * c.size()) {
      String reason = "wave " + wave + " of " + d.waveCount() + ": " + c.failures() + " of "
          + c.size() + " devices failed or were refused (" + c.failed() + " failed, "
          + c.refused() + " refused), at or above the error threshold of " + d.errorThreshold()
          + "%";
      store.setState(d.id(), DeploymentRow.PAUSED, DeploymentRow.ENGINE_PAUSE + reason, now);
      audit.append(AuditEvent.failure(Expiry.SYSTEM, "DEPLOYMENT_PAUSE",
          "deployment " + d.id(), "error threshold reached: " + reason));
      return false;
    }
    // A recovery campaign's wave is its concurrency limit: the next starts once every device of
    // this one has finished, recovered or not (a device that stays quarantined must not hold
    // back the others' recovery; the error threshold and the breaker still pause it).
    boolean done = d.recovery() ? c.waiting() == 0 && c.inProgress() == 0
        : c.succeeded() * 100L >= (long) d.successThreshold() * c.size();
    if (done) {
      jdbc.sql("UPDATE deployment_waves SET state = 'succeeded', finished_at = ? WHERE"
              + " deployment_id = ? AND wave = ?")
          .params(DeploymentStore.at(now), d.id(), wave).update();
      audit.append(AuditEvent.success(Expiry.SYSTEM, "DEPLOYMENT_WAVE_DONE",
          "deployment " + d.id(), d.recovery()
              ? "wave " + wave + " of " + d.waveCount() + " finished: " + c.succeeded()
                  + " of " + c.size() + " devices recovered"
              : "wave " + wave + " of " + d.waveCount() + " succeeded: " + c.succeeded()
                  + " of " + c.size() + " devices (success threshold " + d.successThreshold()
                  + "%)"));
      return true;
    }
    return false;
  }

  /**
   * The circuit breaker (ATT-4): more than {@code attestation_failure_share} percent of the
   * wave's finished targets (succeeded or failed) failed their completion attestation. Pauses
   * the deployment as the error threshold does, saying whether the failures share one
   * component and file (a bad reference or package: every device measured the same wrong thing)
   * or differ (devices changed in different ways: possibly an attack).
   *
   * @return whether it paused the deployment
   */
  private boolean breaker(DeploymentRow d, int wave, DeploymentViews.Counts c, Instant now) {
    List<String> failedDevices = jdbc.sql("SELECT device_id FROM deployment_targets WHERE"
            + " deployment_id = ? AND wave = ? AND state = 'failed' AND reason_codes LIKE ?"
            + " ORDER BY device_id")
        .params(d.id(), wave, "%" + ReasonCode.ATTESTATION_FAILED.name() + "%")
        .query(String.class).list();
    int finished = c.succeeded() + c.failed();
    int n = failedDevices.size();
    if (n == 0 || n * 100L <= (long) d.attestationFailureShare() * finished) {
      return false;
    }
    String reason = "wave " + wave + " of " + d.waveCount() + ": " + n + " of " + finished
        + " finished devices failed their attestation after the update, more than the"
        + " circuit breaker's " + d.attestationFailureShare() + "%: "
        + failureShape(d.id(), failedDevices);
    store.setState(d.id(), DeploymentRow.PAUSED, DeploymentRow.ENGINE_PAUSE + reason, now);
    audit.append(AuditEvent.failure(Expiry.SYSTEM, "DEPLOYMENT_PAUSE", "deployment " + d.id(),
        "ATTESTATION_FAILED: circuit breaker: " + reason));
    return true;
  }

  /**
   * Whether the devices' failed attestations name the same components and files: "a bad
   * reference: all N failed on ..." or "differing failures: possible attack", read from the
   * validation entity's failures of this deployment (their reasons' messages, which name the
   * component and the files).
   */
  private String failureShape(String deploymentId, List<String> devices) {
    java.util.Map<String, java.util.SortedSet<String>> byDevice = new java.util.TreeMap<>();
    for (AttestationResult r : validation.pv().failures(deploymentId)) {
      if (!devices.contains(r.deviceId()) || r.reasons() == null) {
        continue;
      }
      java.util.SortedSet<String> what = byDevice.computeIfAbsent(r.deviceId(),
          k -> new java.util.TreeSet<>());
      for (ProblemReason p : r.reasons()) {
        // The message names component and files; the expected TIM in it differs between
        // devices with different baselines and says nothing about what failed.
        String m = p.message().replaceAll(" ?\\(expected TIM [0-9a-f]+\\)", "").strip();
        what.add(m.isEmpty() && p.subject() != null ? p.subject() : m);
      }
    }
    if (byDevice.size() < devices.size()) {
      // The validation entity keeps no failure for some: judge by the targets' own reasons.
      for (String device : devices) {
        if (!byDevice.containsKey(device)) {
          String message = jdbc.sql("SELECT reason_message FROM deployment_targets WHERE"
                  + " deployment_id = ? AND device_id = ?")
              .params(deploymentId, device).query(String.class).single();
          byDevice.put(device, new java.util.TreeSet<>(List.of(message)));
        }
      }
    }
    java.util.Set<java.util.SortedSet<String>> distinct = new java.util.HashSet<>(
        byDevice.values());
    if (distinct.size() == 1 && !distinct.iterator().next().isEmpty()) {
      return "a bad reference: all " + devices.size() + " failed on "
          + DeploymentStore.clip(String.join("; ", distinct.iterator().next()), 800)
          + " (check the package's RIM and the platform baselines before resuming)";
    }
    return "differing failures: possible attack (" + distinct.size() + " different failures"
        + " among " + devices.size() + " devices; examine each device's attestations before"
        + " resuming)";
  }

  private void complete(DeploymentRow d, Instant now) {
    store.setState(d.id(), DeploymentRow.COMPLETED, "all " + d.waveCount() + " waves succeeded",
        now);
    audit.append(AuditEvent.success(Expiry.SYSTEM, "DEPLOYMENT_COMPLETE",
        "deployment " + d.id(), "all " + d.waveCount() + " waves succeeded"));
  }

  /** One device of a starting wave, as it is now. */
  private record Candidate(String deviceId, String neType, boolean disabled,
      Long installedSecurityVersion, String trustState) {}

  /**
   * Starts wave {@code wave}: refuses the devices that may not have the package now; orders the
   * others (recovery), or sets them attesting (update: ATT-1, each ordered once it passed).
   * Outside the maintenance window nothing happens.
   *
   * @return whether the wave started
   */
  private boolean startWave(DeploymentRow d, int wave, Instant now) {
    MaintenanceWindow window = d.window();
    if (window != null && !window.contains(now)) {
      return false;
    }
    List<Candidate> candidates = jdbc.sql("SELECT t.device_id, v.ne_type, v.disabled_at,"
            + " p.security_version, v.trust_state FROM deployment_targets t JOIN devices v ON"
            + " v.id = t.device_id LEFT JOIN device_packages p ON p.device_id = t.device_id AND"
            + " p.name = ? WHERE t.deployment_id = ? AND t.wave = ? AND t.state = 'waiting'")
        .params(d.packageName(), d.id(), wave)
        .query((rs, i) -> new Candidate(rs.getString(1), rs.getString(2),
            rs.getObject(3) != null, (Long) rs.getObject(4, Long.class), rs.getString(5)))
        // Worked through in the one order devices' rows are locked in (DeviceRows), not the
        // database's collation order.
        .list().stream().sorted(Comparator.comparing(Candidate::deviceId)).toList();
    List<Approval> approvals = approvals(d);
    Instant notAfter = min(d.expiresAt(), now.plus(ORDER_VALIDITY));
    if (window != null) {
      notAfter = min(notAfter, window.endOf(now));
    }
    List<String> refused = new ArrayList<>();
    int issued = 0;
    int attesting = 0;
    for (Candidate c : candidates) {
      String refusal = refusal(d, c);
      if (refusal == null && !d.recovery()) {
        // ATT-1: no order before the device passed an attestation asked for after this wave
        // started; attest() asks and re-asks each round. not_after bounds the wait as it
        // would bound the order.
        jdbc.sql("UPDATE deployment_targets SET state = 'attesting', not_after = ?,"
                + " updated_at = ? WHERE deployment_id = ? AND device_id = ? AND state ="
                + " 'waiting'")
            .params(DeploymentStore.at(notAfter), DeploymentStore.at(now), d.id(),
                c.deviceId())
            .update();
        attesting++;
        continue;
      }
      if (refusal == null) {
        refusal = issue(d, c.deviceId(), approvals, now, notAfter, null);
      }
      if (refusal != null) {
        refuse(d.id(), c.deviceId(), refusal, now);
        refused.add(c.deviceId() + " " + refusal.substring(0, refusal.indexOf(':')));
        continue;
      }
      issued++;
    }
    jdbc.sql("UPDATE deployment_waves SET state = 'running', started_at = ? WHERE"
            + " deployment_id = ? AND wave = ?")
        .params(DeploymentStore.at(now), d.id(), wave).update();
    jdbc.sql("UPDATE deployments SET current_wave = ?, updated_at = ? WHERE id = ?")
        .params(wave, DeploymentStore.at(now), d.id()).update();
    String detail = "wave " + wave + " of " + d.waveCount() + " started: " + issued
        + " orders issued, " + (d.recovery() ? "" : attesting + " devices attesting first"
            + " (ATT-1), ") + "valid until " + notAfter + "; " + refused.size() + " refused"
        + (refused.isEmpty() ? "" : ": " + String.join(", ", refused));
    audit.append(refused.isEmpty()
        ? AuditEvent.success(Expiry.SYSTEM, "DEPLOYMENT_WAVE_START", "deployment " + d.id(),
            detail)
        : AuditEvent.denied(Expiry.SYSTEM, "DEPLOYMENT_WAVE_START", "deployment " + d.id(),
            detail));
    return true;
  }

  private List<Approval> approvals(DeploymentRow d) {
    return store.approvalRows(d.id()).stream()
        .map(a -> new Approval(a.approver(), a.approvedAt())).toList();
  }

  /** Records a refusal {@code CODE: message} on a target. */
  private void refuse(String id, String device, String refusal, Instant now) {
    String code = refusal.substring(0, refusal.indexOf(':'));
    target(id, device, Targets.REFUSED, code, refusal.substring(code.length() + 2), now);
  }

  /**
   * ATT-1, every round of a running deployment: asks the validation entity about each attesting
   * target of waves 1 to {@code wave} (the first time it asks the device for evidence): PASSED
   * gets the order, FAILED is refused with the entity's code, PENDING waits (until not_after).
   * Not only the running wave's: a wave that met its success threshold while some of its targets
   * were still attesting is followed by the next, and those targets are ordered as they pass,
   * moved into the running wave, whose thresholds and breaker then count them. With no wave
   * running ({@code running} false: the last one met its threshold) a target that passes is
   * refused with DEPLOYMENT_STATE instead: an order no threshold would count is not issued.
   */
  private void attest(DeploymentRow d, int wave, boolean running, Instant now) {
    record Waiting(String deviceId, int wave, Instant notAfter, Instant since) {}
    List<Waiting> waiting = jdbc.sql("SELECT t.device_id, t.wave, t.not_after, w.started_at FROM"
            + " deployment_targets t JOIN deployment_waves w ON w.deployment_id ="
            + " t.deployment_id AND w.wave = t.wave WHERE t.deployment_id = ? AND t.wave <= ?"
            + " AND t.state = 'attesting'")
        .params(d.id(), wave)
        .query((rs, i) -> new Waiting(rs.getString(1), rs.getInt(2),
            DeploymentRow.instant(rs, "not_after"), DeploymentRow.instant(rs, "started_at")))
        // As in startWave: the order of DeviceRows.
        .list().stream().sorted(Comparator.comparing(Waiting::deviceId)).toList();
    if (waiting.isEmpty()) {
      return;
    }
    List<Approval> approvals = approvals(d);
    List<String> ordered = new ArrayList<>();
    List<String> refused = new ArrayList<>();
    for (Waiting w : waiting) {
      PlatformValidation.BeforeUpdate b = validation.ask(
          () -> validation.pv().beforeUpdate(w.deviceId(), w.since(), d.id()));
      String refusal = switch (b.readiness()) {
        case PENDING -> null;
        case FAILED -> code(b.reasonCode(), ReasonCode.ATTESTATION_FAILED) + ": "
            + (b.message() == null ? "device " + w.deviceId() + " failed its attestation"
                + " before the update" : b.message());
        case PASSED -> !running ? ReasonCode.DEPLOYMENT_STATE + ": device " + w.deviceId()
            + " passed its attestation after the deployment's last wave met its threshold: not"
            + " ordered; include it in a new deployment"
            : issueIn(d, w.deviceId(), w.wave(), wave, approvals, now, w.notAfter(),
                b.attestationId());
      };
      if (refusal != null) {
        refuse(d.id(), w.deviceId(), refusal, now);
        refused.add(w.deviceId() + " " + refusal.substring(0, refusal.indexOf(':')));
      } else if (b.readiness() == PlatformValidation.Readiness.PASSED) {
        ordered.add(w.deviceId());
      }
    }
    if (!ordered.isEmpty() || !refused.isEmpty()) {
      String detail = "wave " + wave + " of " + d.waveCount() + ": after attestation (ATT-1) "
          + ordered.size() + " orders issued" + (ordered.isEmpty() ? "" : " (" + String.join(
              ", ", ordered) + ")") + "; " + refused.size() + " refused"
          + (refused.isEmpty() ? "" : ": " + String.join(", ", refused));
      audit.append(refused.isEmpty()
          ? AuditEvent.success(Expiry.SYSTEM, "DEPLOYMENT_ATTEST", "deployment " + d.id(),
              detail)
          : AuditEvent.denied(Expiry.SYSTEM, "DEPLOYMENT_ATTEST", "deployment " + d.id(),
              detail));
    }
  }

  /**
   * {@link #issue}, for a target of wave {@code from} ordered while wave {@code running} runs:
   * a late one is moved into the running wave first, so that its outcome counts there.
   */
  private String issueIn(DeploymentRow d, String device, int from, int running,
      List<Approval> approvals, Instant now, Instant notAfter, String gateAttestation) {
    if (from != running) {
      jdbc.sql("UPDATE deployment_targets SET wave = ? WHERE deployment_id = ? AND device_id = ?"
              + " AND state = 'attesting'")
          .params(running, d.id(), device).update();
    }
    return issue(d, device, approvals, now, notAfter, gateAttestation);
  }

  /** A reason code as the validation entity gave it, when it is one; else {@code otherwise}. */
  private static String code(String given, ReasonCode otherwise) {
    return given != null && given.matches("[A-Z][A-Z0-9_]{0,63}") ? given : otherwise.name();
  }

  /**
   * ATT-2: signs and records the order of one device, carrying the validation entity's nonce for
   * its completion evidence and the package's RIM, with the expectation after the update
   * computed from signed RIMs and approved baselines only.
   *
   * @param gateAttestation the attestation that passed the ATT-1 gate, recorded with the order
   *     for the evidence; null for a recovery's (no gate)
   * @return null when ordered; else the refusal ({@code CODE: message}): NO_REFERENCE when the
   *     package or a component of the device has no reference
   */
  private String issue(DeploymentRow d, String device, List<Approval> approvals, Instant now,
      Instant notAfter, String gateAttestation) {
    String rim = bundles.find(d.packageName(), d.packageVersion())
        .map(StoredBundles.Bundle::rim).orElse(null);
    if (rim == null) {
      return ReasonCode.NO_REFERENCE + ": package " + d.packageName() + " "
          + d.packageVersion() + " has no RIM in the package store: no expectation, no order";
    }
    PlatformValidation pv = validation.pv();
    Expectation expected;
    try {
      expected = validation.ask(() -> pv.expectedAfter(device, d.packageName(),
          d.packageVersion(), d.recovery()));
    } catch (ApiException e) {
      String code = e.reasons().isEmpty() ? ReasonCode.NO_REFERENCE.name()
          : e.reasons().get(0).code().name();
      return code + ": " + String.join("; ", e.reasons().stream()
          .map(r -> r.message()).toList());
    }
    String orderId = UUID.randomUUID().toString();
    String nonce = validation.ask(() -> pv.orderNonce(device, d.id(), orderId, notAfter));
    DeploymentOrder order = new DeploymentOrder(DeploymentOrder.FORMAT_VERSION, device,
        d.packageName(), d.packageVersion(), d.bundleSha256(), d.bundleLength(), d.id(),
        approvals, now, now, notAfter, d.rollback(), new OrderAttestation(nonce, rim));
    String jws = keys.orderSigner().sign(order);
    jdbc.sql("UPDATE deployment_targets SET state = 'issued', order_id = ?, order_jws = ?,"
            + " issued_at = ?, not_after = ?, updated_at = ?, attestation_nonce = ?,"
            + " expected_tim = ?, expected_components = ?, gate_attestation_id = ?,"
            + " reason_codes = '', reason_message = '' WHERE deployment_id = ? AND device_id = ?"
            + " AND state IN ('waiting', 'attesting')")
        .params(orderId, jws, DeploymentStore.at(now), DeploymentStore.at(notAfter),
            DeploymentStore.at(now), nonce, expected.tim(),
            DeployValidation.encode(expected.components()), gateAttestation, d.id(), device)
        .update();
    return null;
  }

  /** Why {@code c} may not have the package now ({@code CODE: message}), or null. */
  private static String refusal(DeploymentRow d, Candidate c) {
    if (c.disabled()) {
      return ReasonCode.DEVICE_DISABLED + ": device " + c.deviceId() + " is disabled";
    }
    if (!d.neType().equals(c.neType())) {
      return ReasonCode.NE_TYPE_MISMATCH + ": package " + d.packageName() + " is for NE type "
          + d.neType() + ", device " + c.deviceId() + " is " + c.neType();
    }
    if (!d.rollback() && c.installedSecurityVersion() != null
        && d.securityVersion() < c.installedSecurityVersion()) {
      return ReasonCode.ROLLBACK_REFUSED + ": device " + c.deviceId() + " runs "
          + d.packageName() + " at security version " + c.installedSecurityVersion()
          + ", the deployment's is " + d.securityVersion() + " and it is not a rollback";
    }
    if (!d.recovery() && !"trusted".equals(c.trustState())
        && !"unknown".equals(c.trustState())) {
      // An update reaches trusted devices only: a quarantined or untrusted one is brought back
      // by a recovery campaign (REC-2). An unknown one (enrolled, first contact not judged yet)
      // attests like the others (ATT-1): the attestation asked now is its first contact too,
      // and the validation entity orders it only once that passed.
      return ReasonCode.DEVICE_NOT_TRUSTED + ": device " + c.deviceId() + " is "
          + c.trustState() + ", not trusted: recover it with a recovery campaign (neguard"
          + " recover) or readmit it (neguard attest readmit)";
    }
    return null;
  }

  private void target(String id, String device, String state, String code, String message,
      Instant now) {
    jdbc.sql("UPDATE deployment_targets SET state = ?, reason_codes = ?, reason_message = ?,"
            + " updated_at = ? WHERE deployment_id = ? AND device_id = ?")
        .params(state, code, DeploymentStore.clip(message, 2000), DeploymentStore.at(now), id,
            device)
        .update();
  }

  /** Orders past their validity without a final status fail with ORDER_VALIDITY. */
  private void failOverdueOrders(DeploymentRow d, Instant now) {
    List<String> overdue = jdbc.sql("SELECT device_id FROM deployment_targets WHERE"
            + " deployment_id = ? AND state IN " + Targets.LIVE_SQL + " AND not_after <= ?"
            + " ORDER BY device_id")
        .params(d.id(), DeploymentStore.at(now)).query(String.class).list();
    for (String device : overdue) {
      target(d.id(), device, Targets.FAILED, ReasonCode.ORDER_VALIDITY.name(),
          "the order's validity ended before the device reported a final status", now);
    }
    if (!overdue.isEmpty()) {
      audit.append(AuditEvent.failure(Expiry.SYSTEM, "ORDER_EXPIRE", "deployment " + d.id(),
          "ORDER_VALIDITY: orders past their validity failed: " + String.join(", ", overdue)));
    }
  }

  /**
   * Targets still attesting when their wave's order validity ended are refused: no attestation
   * passed in time, and the wave should not wait for them any longer than for an order.
   */
  private void failOverdueAttestations(DeploymentRow d, Instant now) {
    List<String> overdue = jdbc.sql("SELECT device_id FROM deployment_targets WHERE"
            + " deployment_id = ? AND state = 'attesting' AND not_after <= ? ORDER BY device_id")
        .params(d.id(), DeploymentStore.at(now)).query(String.class).list();
    for (String device : overdue) {
      target(d.id(), device, Targets.REFUSED, ReasonCode.ATTESTATION_FAILED.name(),
          "device " + device + " passed no attestation before the update (ATT-1) while its"
              + " order would have been valid: check that its agent answers challenges", now);
    }
    if (!overdue.isEmpty()) {
      audit.append(AuditEvent.denied(Expiry.SYSTEM, "DEPLOYMENT_ATTEST", "deployment " + d.id(),
          "ATTESTATION_FAILED: no attestation passed in time, refused: "
              + String.join(", ", overdue)));
    }
  }

  /**
   * Live orders of devices disabled since they were issued fail with DEVICE_DISABLED: the device
   * can no longer report (it is refused at once), and its wave should not wait a day for the
   * order's validity to end.
   */
  private void failOrdersOfDisabledDevices(DeploymentRow d, Instant now) {
    List<String> disabled = jdbc.sql("SELECT t.device_id FROM deployment_targets t JOIN devices v"
            + " ON v.id = t.device_id WHERE t.deployment_id = ? AND t.state IN "
            + Targets.LIVE_SQL + " AND v.disabled_at IS NOT NULL ORDER BY t.device_id")
        .param(d.id()).query(String.class).list();
    for (String device : disabled) {
      target(d.id(), device, Targets.FAILED, ReasonCode.DEVICE_DISABLED.name(),
          "device " + device + " was disabled while its order was open", now);
    }
    if (!disabled.isEmpty()) {
      audit.append(AuditEvent.failure(Expiry.SYSTEM, "ORDER_DEVICE_DISABLED",
          "deployment " + d.id(), "DEVICE_DISABLED: open orders of disabled devices failed: "
              + String.join(", ", disabled)));
    }
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
