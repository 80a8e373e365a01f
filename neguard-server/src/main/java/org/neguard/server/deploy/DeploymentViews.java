package org.neguard.server.deploy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.neguard.api.WireTime;
import org.neguard.api.deploy.ApprovalInfo;
import org.neguard.api.deploy.Deployment;
import org.neguard.api.deploy.Target;
import org.neguard.api.deploy.Wave;
import org.neguard.api.problem.ProblemReason;
import org.neguard.server.web.ApiException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** Deployments, waves and targets as users see them. Thread-safe. */
@Component
public final class DeploymentViews {
  private final JdbcClient jdbc;
  private final DeploymentStore store;

  DeploymentViews(JdbcClient jdbc, DeploymentStore store) {
    this.jdbc = jdbc;
    this.store = store;
  }

  public Deployment get(String id) {
    return view(store.find(id).orElseThrow(() -> ApiException.notFound("no deployment " + id)));
  }

  public List<Deployment> list() {
    return store.list().stream().map(this::view).toList();
  }

  Deployment view(DeploymentRow d) {
    List<ApprovalInfo> approvals = store.approvalRows(d.id()).stream()
        .map(a -> new ApprovalInfo(a.approver(), WireTime.of(a.approvedAt()),
            a.rollbackAcknowledged()))
        .toList();
    List<Wave> waves = waves(d.id());
    int targets = waves.stream().mapToInt(Wave::size).sum();
    return new Deployment(d.id(), d.packageName(), d.packageVersion(), d.bundleSha256(),
        d.bundleLength(), d.securityVersion(), d.neType(), d.state(), d.stateReason(),
        d.createdBy(), WireTime.of(d.createdAt()), WireTime.of(d.updatedAt()),
        WireTime.of(d.expiresAt()), d.requiredApprovals(), approvals, d.rollback(),
        d.successThreshold(), d.errorThreshold(), d.maintenanceWindow(), d.currentWave(),
        targets, waves, d.kind(), d.attestationFailureShare());
  }

  /** The counts of one wave's targets by state. */
  record Counts(int size, int waiting, int inProgress, int succeeded, int failed, int refused) {
    /** Failed and refused: what the error threshold counts. */
    int failures() {
      return failed + refused;
    }
  }

  Counts counts(String id, int wave) {
    int[] c = new int[6];
    jdbc.sql("SELECT state, COUNT(*) FROM deployment_targets WHERE deployment_id = ?"
            + " AND wave = ? GROUP BY state")
        .params(id, wave)
        .query(rs -> {
          add(c, rs.getString(1), rs.getInt(2));
        });
    return new Counts(c[0], c[1], c[2], c[3], c[4], c[5]);
  }

  private static void add(int[] c, String state, int n) {
    c[0] += n;
    switch (state) {
      case Targets.WAITING -> c[1] += n;
      case Targets.ATTESTING, Targets.ISSUED, Targets.DOWNLOADING, Targets.INSTALLING ->
          c[2] += n;
      case Targets.SUCCEEDED -> c[3] += n;
      case Targets.FAILED -> c[4] += n;
      case Targets.REFUSED -> c[5] += n;
      default -> { } // cancelled: in the size only
    }
  }

  private List<Wave> waves(String id) {
    record W(int number, int size, String state, Instant started, Instant finished) {}
    List<W> rows = jdbc.sql("SELECT wave, size, state, started_at, finished_at FROM"
            + " deployment_waves WHERE deployment_id = ? ORDER BY wave")
        .param(id)
        .query((rs, i) -> new W(rs.getInt(1), rs.getInt(2), rs.getString(3),
            DeploymentRow.instant(rs, "started_at"), DeploymentRow.instant(rs, "finished_at")))
        .list();
    List<Wave> waves = new ArrayList<>();
    for (W w : rows) {
      Counts c = counts(id, w.number());
      waves.add(new Wave(w.number(), w.size(), w.state(), c.waiting(), c.inProgress(),
          c.succeeded(), c.failed(), c.refused(), time(w.started()), time(w.finished())));
    }
    return waves;
  }

  public List<Target> targets(String id) {
    store.find(id).orElseThrow(() -> ApiException.notFound("no deployment " + id));
    return jdbc.sql("SELECT device_id, wave, state, order_id, issued_at, updated_at, progress,"
            + " reason_codes, reason_message, gate_attestation_id FROM deployment_targets"
            + " WHERE deployment_id = ? ORDER BY wave, device_id")
        .param(id)
        .query((rs, i) -> new Target(rs.getString(1), rs.getInt(2), rs.getString(3),
            rs.getString(4), time(DeploymentRow.instant(rs, "issued_at")),
            WireTime.of(DeploymentRow.instant(rs, "updated_at")),
            (Integer) rs.getObject(7, Integer.class),
            reasons(rs.getString(8), rs.getString(9)), rs.getString(10)))
        .list();
  }

  /** The stored reason codes (comma-separated) with the one stored message. */
  static List<ProblemReason> reasons(String codes, String message) {
    if (codes == null || codes.isEmpty()) {
      return List.of();
    }
    List<ProblemReason> list = new ArrayList<>();
    for (String code : codes.split(",")) {
      list.add(new ProblemReason(code, message, null));
    }
    return list;
  }

  private static String time(Instant i) {
    return i == null ? null : WireTime.of(i);
  }
}
