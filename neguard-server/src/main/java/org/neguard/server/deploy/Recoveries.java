package org.neguard.server.deploy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.neguard.api.deploy.Deployment;
import org.neguard.api.deploy.RecoveryRequest;
import org.neguard.server.ServerConfig;
import org.neguard.server.attest.PolicyTriggered;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.device.DeviceRows;
import org.neguard.server.pkg.StoredBundles;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.ReasonCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.event.TransactionalEventListener;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Recovery campaigns (REC-2): deployments of kind {@code recovery} of a known-good package to
 * the quarantined (or otherwise chosen) devices of one NE type, in waves of at most
 * {@code waveSize} devices. Approved like any deployment; the engine orders their devices
 * without the attestation before the update (ATT-1) and their completion evidence readmits them
 * (ATT-4, {@code afterUpdate(recovery = true)}). Everything lives in the deployment tables, so a
 * campaign survives restarts like any deployment. Thread-safe.
 */
@Component
public final class Recoveries {
  private static final Logger LOG = LoggerFactory.getLogger(Recoveries.class);
  static final int DEFAULT_WAVE_SIZE = 10;
  static final int MAX_WAVE_SIZE = 10_000;
  /** The trust states a campaign may reach (never disabled: a disabled device is gone). */
  static final Set<String> STATES = Set.of("quarantined", "untrusted", "unknown", "trusted");
  /** Who creates the campaigns a failure policy asks for. */
  static final String POLICY_ACTOR = "system:policy";

  private final JdbcClient jdbc;
  private final Deployments deployments;
  private final DeploymentStore store;
  private final DeploymentViews views;
  private final Changes changes;
  private final AuditLog audit;
  private final ServerConfig config;
  private final DeployClock clock;
  private final TransactionTemplate separate;

  Recoveries(JdbcClient jdbc, Deployments deployments, DeploymentStore store,
      DeploymentViews views, Changes changes, AuditLog audit, ServerConfig config,
      DeployClock clock, PlatformTransactionManager transactions) {
    this.jdbc = jdbc;
    this.deployments = deployments;
    this.store = store;
    this.views = views;
    this.changes = changes;
    this.audit = audit;
    this.config = config;
    this.clock = clock;
    this.separate = new TransactionTemplate(transactions);
    separate.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
  }

  /**
   * Creates a recovery campaign awaiting approval.
   *
   * @param why null for a user's request; else what set it off (in the audit row)
   * @throws ApiException 404 for a package not in the store; 400 for a missing field, a package
   *     of another NE type, an unknown trust state, devices that do not match, no target, a bad
   *     wave size or expiry; 409 CONFLICT for a target already in an open recovery campaign
   */
  public Deployment create(String actor, RecoveryRequest r, String why) {
    String id = UUID.randomUUID().toString();
    String what = r == null ? "recovery (no body)"
        : "deployment " + id + " (recovery) of " + r.packageName() + " " + r.packageVersion();
    return changes.run(actor, "RECOVERY_CREATE", what, tx -> {
      if (r == null || r.neType() == null || r.neType().isBlank()) {
        throw ApiException.badInput("give a recovery: neType, packageName, packageVersion");
      }
      Instant now = clock.now();
      StoredBundles.Bundle p = deployments.bundle(r.packageName(), r.packageVersion());
      if (!r.neType().equals(p.neType())) {
        throw ApiException.badInput("package " + p.name() + " " + p.version() + " is for NE"
            + " type " + p.neType() + ", not " + r.neType());
      }
      List<String> states = r.trustStates() == null || r.trustStates().isEmpty()
          ? List.of("quarantined") : r.trustStates();
      for (String s : states) {
        if (s == null || !STATES.contains(s)) {
          throw ApiException.badInput("trustStates may hold " + new TreeSet<>(STATES)
              + ", not '" + s + "'");
        }
      }
      int size = r.waveSize() == null ? DEFAULT_WAVE_SIZE : r.waveSize();
      if (size < 1 || size > MAX_WAVE_SIZE) {
        throw ApiException.badInput("waveSize must be 1 to " + MAX_WAVE_SIZE + ": " + size);
      }
      Instant expires = Deployments.expiry(r.expiresAt(), now);
      List<String> targets = lockTargets(r.neType(), states, r.deviceIds());
      Map<String, String> open = open(targets);
      if (!open.isEmpty()) {
        StringBuilder which = new StringBuilder();
        open.forEach((device, campaign) -> which.append(which.isEmpty() ? "" : ", ")
            .append(device).append(" (deployment ").append(campaign).append(')'));
        throw ApiException.of(ReasonCode.CONFLICT, "already in an open recovery campaign: "
            + which + "; let it finish or cancel it, or leave these devices out");
      }
      List<Integer> waves = WavePlan.sizes(
          Collections.nCopies((targets.size() + size - 1) / size, Integer.toString(size)),
          targets.size());
      // Recovery to a lower security version than a device runs is a rollback: approved as one
      // (every approver acknowledges it), as any deployment.
      boolean rollback = jdbc.sql("SELECT COUNT(*) FROM device_packages WHERE name = :n AND"
              + " security_version > :v AND device_id IN (:ids)")
          .param("n", p.name()).param("v", p.securityVersion()).param("ids", targets)
          .query(Long.class).single() > 0;
      int required = config.fleet().requiredApprovals();
      // Error threshold 100%: a campaign pauses only when a whole wave failed (something
      // systematic); single devices that stay quarantined do not hold back the others.
      deployments.insert(id, p, actor, now, expires, required, rollback, 100, 100, null, waves,
          DeploymentRow.RECOVERY, Deployments.DEFAULT_ATTESTATION_FAILURE_SHARE);
      deployments.insertTargets(id, targets, waves, now);
      audit.append(AuditEvent.success(actor, "RECOVERY_CREATE", "deployment " + id,
          "recovery campaign: " + p.name() + " " + p.version() + " (" + p.sha256() + ") to "
              + targets.size() + " devices of NE type " + r.neType() + " in trust states "
              + states + ", " + waves.size() + " waves of at most " + size + ", " + required
              + " approvals required" + (rollback ? ", ROLLBACK" : "") + ", expires " + expires
              + (why == null ? "" : "; " + why)));
      return views.view(store.find(id).orElseThrow());
    });
  }

  /**
   * Chooses the campaign's devices and locks their rows to the end of the transaction (REC-2):
   * the enabled devices of {@code neType} in {@code states}, or those of {@code ids} (each must
   * match, else 400), sorted by id. The criteria are read again after the locks are held: a
   * device's readmission ({@code Pve}) or disable ({@code Devices.disable}) holds its row while
   * it changes it, so a first read may be stale by the time the lock is granted. A named device
   * that no longer matches refuses the request; one found by the filter alone is left out. Both
   * paths, the operator's create and the failure policy's trigger, choose here.
   */
  private List<String> lockTargets(String neType, List<String> states, List<String> ids) {
    boolean named = ids != null && !ids.isEmpty();
    if (named && ids.stream().anyMatch(d -> d == null || d.isBlank())) {
      throw ApiException.badInput("deviceIds must not hold empty entries");
    }
    List<String> candidates = named ? List.copyOf(new TreeSet<>(ids))
        : matching(neType, states, null);
    if (!candidates.isEmpty()) {
      lock(candidates);
    }
    // Read under the locks: PostgreSQL (READ COMMITTED) and H2 take a new snapshot per
    // statement, so this sees whatever the holder committed before the lock was granted.
    List<String> matching = candidates.isEmpty() ? List.of()
        : matching(neType, states, candidates);
    if (named && matching.size() < candidates.size()) {
      List<String> unmatched = new ArrayList<>(candidates);
      unmatched.removeAll(matching);
      throw ApiException.badInput("not enabled devices of NE type " + neType + " in trust"
          + " states " + states + ": " + String.join(", ", unmatched));
    }
    if (matching.isEmpty()) {
      throw ApiException.badInput("the recovery has no target: no enabled device of NE type "
          + neType + " is in trust states " + states);
    }
    return matching;
  }

  /** The enabled devices of {@code neType} in {@code states} (among {@code ids} if not null). */
  private List<String> matching(String neType, List<String> states, List<String> ids) {
    return jdbc.sql("SELECT id FROM devices WHERE ne_type = :t AND trust_state IN (:s) AND"
            + " disabled_at IS NULL" + (ids == null ? "" : " AND id IN (:ids)") + " ORDER BY id")
        .params(ids == null ? Map.of("t", neType, "s", states)
            : Map.of("t", neType, "s", states, "ids", ids))
        .query(String.class).list();
  }

  /**
   * Locks the rows of {@code devices} to the end of the transaction, so that on any replica a
   * second caller for a device waits until the first committed its campaign, then finds it
   * ({@link #open}); without the lock both would find none and create two. The locks are taken
   * in the one order every transaction takes devices' rows in ({@link DeviceRows}), so two
   * callers whose devices overlap never wait for each other in a cycle.
   */
  private void lock(List<String> devices) {
    DeviceRows.lockInOrder(jdbc, devices);
  }

  /**
   * The open recovery campaigns (REC-2) of {@code devices}, whose rows this transaction locked
   * ({@link #lock}): device to campaign id, sorted by device.
   */
  private Map<String, String> open(List<String> devices) {
    Map<String, String> open = new TreeMap<>();
    jdbc.sql("SELECT t.device_id, d.id FROM deployment_targets t JOIN deployments d ON d.id ="
            + " t.deployment_id WHERE t.device_id IN (:ids) AND d.kind = 'recovery' AND"
            + " d.state IN ('pending_approval', 'running', 'paused') AND t.state IN "
            + Targets.OPEN_SQL + " ORDER BY d.id")
        .param("ids", devices).query(rs -> {
          open.putIfAbsent(rs.getString(1), rs.getString(2));
        });
    return open;
  }

  /**
   * A failure policy asked for {@code rollback} or {@code reinstall} (REC-1): a recovery
   * deployment of that one device, awaiting approval like any other. It runs after the
   * validation entity's transaction committed (the device's quarantine is then visible), in a
   * transaction of its own that holds the device's row lock from the check for an open recovery
   * to the new campaign's commit (two triggers at once, on one replica or two, create one), and
   * never fails the publisher: a campaign that cannot be created is audited and logged.
   */
  @TransactionalEventListener(fallbackExecution = true)
  void onPolicy(PolicyTriggered e) {
    String why = "triggered by the attestation policy of NE type " + e.neType() + " ("
        + e.action() + "): " + e.reason();
    try {
      separate.executeWithoutResult(s -> {
        if (e.packageName() == null || e.packageVersion() == null) {
          throw ApiException.of(ReasonCode.NO_REFERENCE, "the policy asked for " + e.action()
              + " of device " + e.deviceId() + " but names no known-good package");
        }
        // Asked here, not left to create's refusal: for the policy an open recovery is its
        // wish already met (a success row on the device), not a failure to log. create asks
        // again under the lock this transaction now holds and finds the same.
        lock(List.of(e.deviceId()));
        if (!open(List.of(e.deviceId())).isEmpty()) {
          audit.append(AuditEvent.success(POLICY_ACTOR, "RECOVERY_CREATE",
              "device " + e.deviceId(), "not created: a recovery of the device is already"
                  + " open; " + why));
          return;
        }
        create(POLICY_ACTOR, new RecoveryRequest(e.neType(), e.packageName(),
            e.packageVersion(), List.of("quarantined", "untrusted"), List.of(e.deviceId()), 1,
            null), why);
      });
    } catch (RuntimeException x) {
      LOG.error("recovery of device {} asked by its policy could not be created: {}",
          e.deviceId(), x.toString());
      try {
        separate.executeWithoutResult(s -> audit.append(AuditEvent.failure(POLICY_ACTOR,
            "RECOVERY_CREATE", "device " + e.deviceId(), "not created: " + x.getMessage()
                + "; " + why)));
      } catch (RuntimeException ignored) {
        // The log line above is all that is left.
      }
    }
  }
}
