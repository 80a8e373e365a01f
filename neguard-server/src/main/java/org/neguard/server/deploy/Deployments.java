package org.neguard.server.deploy;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.neguard.api.WireTime;
import org.neguard.api.auth.Role;
import org.neguard.api.deploy.ApproveRequest;
import org.neguard.api.deploy.CreateDeploymentRequest;
import org.neguard.api.deploy.Deployment;
import org.neguard.api.deploy.ReasonRequest;
import org.neguard.server.ServerConfig;
import org.neguard.server.access.CurrentUser;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.pkg.StoredBundles;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.ReasonCode;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The users' side of deployments: create (targets resolved once), four-eyes approval, reject,
 * pause, resume, cancel (SRC-1, REC-2). Each change holds the deployment's row lock for its whole
 * transaction, so that an approval and a cancel of one deployment serialize; each action and
 * each refusal leaves an audit row; a refusal changes nothing. Thread-safe.
 */
@Component
public final class Deployments {
  /** Expiry when the request names none. */
  static final Duration DEFAULT_EXPIRY = Duration.ofDays(7);
  static final int DEFAULT_SUCCESS_THRESHOLD = 100;
  static final int DEFAULT_ERROR_THRESHOLD = 10;
  /** The circuit breaker's default share of attestation failures (percent). */
  static final int DEFAULT_ATTESTATION_FAILURE_SHARE = 50;
  private static final int MAX_REASON = 1000;

  private final JdbcClient jdbc;
  private final DeploymentStore store;
  private final DeploymentViews views;
  private final Changes changes;
  private final AuditLog audit;
  private final StoredBundles bundles;
  private final ServerConfig config;
  private final DeployClock clock;

  Deployments(JdbcClient jdbc, DeploymentStore store, DeploymentViews views, Changes changes,
      AuditLog audit, StoredBundles bundles, ServerConfig config, DeployClock clock) {
    this.jdbc = jdbc;
    this.store = store;
    this.views = views;
    this.changes = changes;
    this.audit = audit;
    this.bundles = bundles;
    this.config = config;
    this.clock = clock;
  }

  /**
   * Creates a deployment awaiting approval.
   *
   * @throws ApiException 404 for a package not in the store; 400 for unknown device ids, no
   *     target, a bad wave, threshold, window or expiry
   */
  public Deployment create(String actor, CreateDeploymentRequest r) {
    String id = UUID.randomUUID().toString();
    String what = r == null ? "deployment (no body)"
        : "deployment " + id + " of " + r.packageName() + " " + r.packageVersion();
    return changes.run(actor, "DEPLOYMENT_CREATE", what, tx -> {
      if (r == null) {
        throw ApiException.badInput("give a deployment: packageName, packageVersion, targets");
      }
      Instant now = clock.now();
      StoredBundles.Bundle p = bundle(r.packageName(), r.packageVersion());
      int success = threshold("successThreshold", r.successThreshold(),
          DEFAULT_SUCCESS_THRESHOLD);
      int error = threshold("errorThreshold", r.errorThreshold(), DEFAULT_ERROR_THRESHOLD);
      int share = threshold("attestationFailureShare", r.attestationFailureShare(),
          DEFAULT_ATTESTATION_FAILURE_SHARE);
      String window = window(r.maintenanceWindow());
      Instant expires = expiry(r.expiresAt(), now);
      List<String> targets = targets(r);
      List<Integer> waves;
      try {
        waves = WavePlan.sizes(r.waves(), targets.size());
      } catch (IllegalArgumentException e) {
        throw ApiException.badInput(e.getMessage());
      }
      int required = Math.max(config.fleet().requiredApprovals(),
          r.requiredApprovals() == null ? 1 : r.requiredApprovals());
      boolean rollback = Boolean.TRUE.equals(r.rollback());
      insert(id, p, actor, now, expires, required, rollback, success, error, window, waves,
          DeploymentRow.UPDATE, share);
      insertTargets(id, targets, waves, now);
      audit.append(AuditEvent.success(actor, "DEPLOYMENT_CREATE", "deployment " + id,
          p.name() + " " + p.version() + " (" + p.sha256() + ") to " + targets.size()
              + " devices in " + waves.size() + " waves " + waves + ", " + required
              + " approvals required" + (rollback ? ", ROLLBACK" : "")
              + (window == null ? "" : ", window " + window) + ", expires " + expires
              + ", circuit breaker " + share + "%"));
      return views.view(store.find(id).orElseThrow());
    });
  }

  StoredBundles.Bundle bundle(String name, String version) {
    if (name == null || version == null || name.isBlank() || version.isBlank()) {
      throw ApiException.badInput("give packageName and packageVersion of a stored package");
    }
    return bundles.find(name, version).orElseThrow(() -> ApiException.notFound(
        "package " + name + " " + version + " is not in the package store; upload it first"));
  }

  static int threshold(String name, Integer value, int otherwise) {
    int v = value == null ? otherwise : value;
    if (v < 1 || v > 100) {
      throw ApiException.badInput(name + " must be 1 to 100 (percent): " + v);
    }
    return v;
  }

  private static String window(String text) {
    if (text == null || text.isEmpty()) {
      return null;
    }
    try {
      return MaintenanceWindow.parse(text).toString();
    } catch (IllegalArgumentException e) {
      throw ApiException.badInput(e.getMessage());
    }
  }

  static Instant expiry(String text, Instant now) {
    if (text == null) {
      return now.plus(DEFAULT_EXPIRY);
    }
    Instant at;
    try {
      at = WireTime.parse(text);
    } catch (DateTimeParseException | IllegalArgumentException e) {
      throw ApiException.badInput("expiresAt is not an ISO-8601 UTC instant: '" + text + "'");
    }
    if (!at.isAfter(now)) {
      throw ApiException.badInput("expiresAt " + text + " is not in the future");
    }
    return at;
  }

  /** The targets, resolved now and sorted by device id (the order waves are cut in). */
  private List<String> targets(CreateDeploymentRequest r) {
    Set<String> ids = new TreeSet<>();
    List<String> devices = r.devices() == null ? List.of() : r.devices();
    if (devices.stream().anyMatch(d -> d == null || d.isBlank())
        || r.labels() != null && r.labels().stream().anyMatch(l -> l == null || l.isBlank())) {
      throw ApiException.badInput("devices and labels must not hold empty entries");
    }
    if (!devices.isEmpty()) {
      List<String> known = jdbc.sql("SELECT id FROM devices WHERE id IN (:ids)")
          .param("ids", devices).query(String.class).list();
      List<String> unknown = new ArrayList<>(new TreeSet<>(devices));
      unknown.removeAll(known);
      if (!unknown.isEmpty()) {
        throw ApiException.badInput("no such devices: " + String.join(", ", unknown));
      }
      ids.addAll(known);
    }
    if (r.labels() != null && !r.labels().isEmpty()) {
      ids.addAll(jdbc.sql("SELECT DISTINCT device_id FROM device_labels WHERE label IN (:l)")
          .param("l", r.labels()).query(String.class).list());
    }
    if (r.neType() != null && !r.neType().isEmpty()) {
      ids.addAll(jdbc.sql("SELECT id FROM devices WHERE ne_type = ?").param(r.neType())
          .query(String.class).list());
    }
    if (ids.isEmpty()) {
      throw ApiException.badInput("the deployment has no target: name devices, labels or an"
          + " neType that match enrolled devices");
    }
    return List.copyOf(ids);
  }

  void insert(String id, StoredBundles.Bundle p, String actor, Instant now,
      Instant expires, int required, boolean rollback, int success, int error, String window,
      List<Integer> waves, String kind, int share) {
    jdbc.sql("INSERT INTO deployments (id, package_name, package_version, bundle_sha256,"
            + " bundle_length, package_ne_type, security_version, state, state_reason,"
            + " created_by, created_at, updated_at, expires_at, required_approvals, rollback,"
            + " success_threshold, error_threshold, maintenance_window, current_wave,"
            + " wave_count, kind, attestation_failure_share) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
            + " ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)")
        .params(id, p.name(), p.version(), p.sha256(), p.sizeBytes(), p.neType(),
            p.securityVersion(), DeploymentRow.PENDING, "awaiting " + required + " approvals",
            actor, DeploymentStore.at(now), DeploymentStore.at(now),
            DeploymentStore.at(expires), required, rollback, success, error, window,
            waves.size(), kind, share)
        .update();
    for (int w = 0; w < waves.size(); w++) {
      jdbc.sql("INSERT INTO deployment_waves (deployment_id, wave, size, state)"
              + " VALUES (?, ?, ?, 'waiting')")
          .params(id, w + 1, waves.get(w)).update();
    }
  }

  void insertTargets(String id, List<String> targets, List<Integer> waves,
      Instant now) {
    int wave = 1;
    int inWave = 0;
    for (String device : targets) {
      if (inWave == waves.get(wave - 1)) {
        wave++;
        inWave = 0;
      }
      jdbc.sql("INSERT INTO deployment_targets (deployment_id, device_id, wave, state,"
              + " updated_at, reason_codes, reason_message) VALUES (?, ?, ?, 'waiting', ?, '',"
              + " '')")
          .params(id, device, wave, DeploymentStore.at(now)).update();
      inWave++;
    }
  }

  /**
   * Records an approval; the last one needed starts the deployment.
   *
   * @throws ApiException 403 FOUR_EYES for the creator; 409 CONFLICT for an approver's second
   *     approval; 409 DEPLOYMENT_STATE unless awaiting approval; 422 ROLLBACK_REFUSED for a
   *     rollback without {@code acknowledgeRollback}
   */
  public Deployment approve(String actor, String id, ApproveRequest r) {
    boolean acknowledged = r != null && Boolean.TRUE.equals(r.acknowledgeRollback());
    String comment = r == null || r.comment() == null ? "" : "; " + clip(r.comment());
    return locked(actor, "DEPLOYMENT_APPROVE", id, d -> {
      fourEyes(actor, d, "approve");
      if (store.approved(id, actor)) {
        throw ApiException.of(ReasonCode.CONFLICT,
            actor + " has already approved deployment " + id + "; it counts once");
      }
      expect(d, "approved", DeploymentRow.PENDING);
      if (d.rollback() && !acknowledged) {
        throw ApiException.of(ReasonCode.ROLLBACK_REFUSED, "deployment " + id + " is a rollback"
            + " (security version " + d.securityVersion() + " may be below what devices run);"
            + " approve with acknowledgeRollback=true to accept that");
      }
      Instant now = clock.now();
      try {
        store.approve(id, actor, acknowledged, now);
      } catch (DuplicateKeyException e) {
        throw ApiException.of(ReasonCode.CONFLICT,
            actor + " has already approved deployment " + id + "; it counts once");
      }
      int have = store.approvals(id);
      boolean starts = have >= d.requiredApprovals();
      store.setState(id, starts ? DeploymentRow.RUNNING : DeploymentRow.PENDING,
          starts ? "approved by " + approvers(id) : "awaiting " + (d.requiredApprovals() - have)
              + " more approvals", now);
      return "approval " + have + " of " + d.requiredApprovals()
          + (acknowledged ? ", rollback acknowledged" : "")
          + (starts ? "; deployment running" : "") + comment;
    });
  }

  private String approvers(String id) {
    return String.join(", ", store.approvalRows(id).stream()
        .map(DeploymentStore.ApprovalRow::approver).toList());
  }

  /** Rejects a deployment awaiting approval (reason required, not by its creator). */
  public Deployment reject(String actor, String id, ReasonRequest r) {
    String reason = reason(r);
    return locked(actor, "DEPLOYMENT_REJECT", id, d -> {
      if (reason.isEmpty()) {
        throw ApiException.badInput("give the reason for rejecting deployment " + id);
      }
      fourEyes(actor, d, "reject");
      expect(d, "rejected", DeploymentRow.PENDING);
      store.end(id, DeploymentRow.REJECTED, by("rejected", actor, reason), clock.now());
      return reason;
    });
  }

  /** Pauses a running deployment: no new wave starts, issued orders stay valid. */
  public Deployment pause(String actor, String id, ReasonRequest r) {
    String reason = reason(r);
    return locked(actor, "DEPLOYMENT_PAUSE", id, d -> {
      expect(d, "paused", DeploymentRow.RUNNING);
      store.setState(id, DeploymentRow.PAUSED, by("paused", actor, reason), clock.now());
      return reason;
    });
  }

  /**
   * Resumes a paused deployment. Resuming a deployment the engine paused (its error threshold
   * reached) accepts the failures of the running wave so far, so that it pauses again only when
   * more of its devices fail: a decision like an approval, made only by an approver who did not
   * create it. One a user paused is resumed by an operator and accepts nothing: failures that
   * came in meanwhile are judged at the next round as any others (a creator who paused cannot
   * make the engine overlook them).
   *
   * @throws ApiException 403 FOUR_EYES for an engine pause resumed by the creator or by a user
   *     without {@code approver}; 403 NOT_AUTHORIZED for a user pause resumed without
   *     {@code operator}; 409 DEPLOYMENT_STATE unless paused
   */
  public Deployment resume(CurrentUser user, String id, ReasonRequest r) {
    String reason = reason(r);
    String actor = user.username();
    return locked(actor, "DEPLOYMENT_RESUME", id, d -> {
      expect(d, "resumed", DeploymentRow.PAUSED);
      if (d.stateReason().startsWith(DeploymentRow.ENGINE_PAUSE)) {
        if (!user.has(Role.APPROVER)) {
          throw ApiException.of(ReasonCode.FOUR_EYES, "deployment " + id + " was paused by"
              + " its error threshold; resuming accepts its failures, which an approver who did"
              + " not create it must do (four-eyes)");
        }
        fourEyes(actor, d, "resume");
        jdbc.sql("UPDATE deployment_waves SET accepted_failures = (SELECT COUNT(*) FROM"
                + " deployment_targets t WHERE t.deployment_id = ? AND t.wave = ? AND t.state IN"
                + " ('failed', 'refused')) WHERE deployment_id = ? AND wave = ?")
            .params(id, d.currentWave(), id, d.currentWave()).update();
      } else if (!user.has(Role.OPERATOR)) {
        throw ApiException.of(ReasonCode.NOT_AUTHORIZED, "deployment " + id + " was paused by"
            + " a user; an operator resumes it");
      }
      store.setState(id, DeploymentRow.RUNNING, by("resumed", actor, reason), clock.now());
      return reason;
    });
  }

  /** Cancels a deployment that has not ended: open targets and waves become cancelled. */
  public Deployment cancel(String actor, String id, ReasonRequest r) {
    String reason = reason(r);
    return locked(actor, "DEPLOYMENT_CANCEL", id, d -> {
      expect(d, "cancelled", DeploymentRow.PENDING, DeploymentRow.RUNNING, DeploymentRow.PAUSED);
      store.end(id, DeploymentRow.CANCELLED, by("cancelled", actor, reason), clock.now());
      return reason;
    });
  }

  /** A change of one deployment, returning the audit detail of its success. */
  private interface Change {
    String apply(DeploymentRow d);
  }

  /**
   * Runs {@code change} holding the deployment's row lock; a deployment past its expiry is
   * expired first (kept even when the change is then refused).
   */
  private Deployment locked(String actor, String action, String id, Change change) {
    return changes.run(actor, action, "deployment " + id, tx -> {
      DeploymentRow d = store.lock(id).orElseThrow(
          () -> ApiException.notFound("no deployment " + id));
      if (Expiry.due(d, clock.now())) {
        Expiry.expire(store, audit, d, clock.now());
        d = store.find(id).orElseThrow();
      }
      tx.mark();
      String detail = change.apply(d);
      audit.append(AuditEvent.success(actor, action, "deployment " + id, detail));
      return views.view(store.find(id).orElseThrow());
    });
  }

  private static void fourEyes(String actor, DeploymentRow d, String verb) {
    if (actor.equals(d.createdBy())) {
      throw ApiException.of(ReasonCode.FOUR_EYES, actor + " created deployment " + d.id()
          + " and may not " + verb + " it: another approver must (four-eyes)");
    }
  }

  private static void expect(DeploymentRow d, String verb, String... states) {
    for (String s : states) {
      if (s.equals(d.state())) {
        return;
      }
    }
    throw ApiException.of(ReasonCode.DEPLOYMENT_STATE, "deployment " + d.id() + " is "
        + d.state() + " and cannot be " + verb + " (only when " + String.join(" or ", states)
        + ")");
  }

  /** The state reason of a user's change: who, and why when they said. */
  private static String by(String verb, String actor, String reason) {
    return verb + " by " + actor + (reason.isEmpty() ? "" : ": " + reason);
  }

  private static String reason(ReasonRequest r) {
    return r == null || r.reason() == null ? "" : clip(r.reason().strip());
  }

  private static String clip(String s) {
    return DeploymentStore.clip(s, MAX_REASON);
  }
}
