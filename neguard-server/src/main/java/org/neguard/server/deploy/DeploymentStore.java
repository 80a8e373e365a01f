package org.neguard.server.deploy;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** SQL of the deployment tables: rows, locks, state changes. Thread-safe. */
@Component
final class DeploymentStore {
  private final JdbcClient jdbc;

  DeploymentStore(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  static OffsetDateTime at(Instant i) {
    return i == null ? null : OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
  }

  Optional<DeploymentRow> find(String id) {
    return jdbc.sql("SELECT * FROM deployments WHERE id = ?").param(id)
        .query(DeploymentRow::of).optional();
  }

  /** The row, locked until the transaction ends (waits for another holder). */
  Optional<DeploymentRow> lock(String id) {
    return jdbc.sql("SELECT * FROM deployments WHERE id = ? FOR UPDATE").param(id)
        .query(DeploymentRow::of).optional();
  }

  /**
   * The row, locked, unless another transaction (another replica's scheduler, a user's change)
   * holds it: then empty, and the caller moves on (SKIP LOCKED, PostgreSQL and H2 2.3 alike).
   */
  Optional<DeploymentRow> claim(String id) {
    return jdbc.sql("SELECT * FROM deployments WHERE id = ? FOR UPDATE SKIP LOCKED").param(id)
        .query(DeploymentRow::of).optional();
  }

  /** Ids of deployments that are not final, oldest first: the scheduler's candidates. */
  List<String> unfinished() {
    return jdbc.sql("SELECT id FROM deployments WHERE state IN ('pending_approval', 'running',"
            + " 'paused') ORDER BY created_at, id")
        .query(String.class).list();
  }

  List<DeploymentRow> list() {
    return jdbc.sql("SELECT * FROM deployments ORDER BY created_at DESC, id")
        .query(DeploymentRow::of).list();
  }

  void setState(String id, String state, String reason, Instant now) {
    jdbc.sql("UPDATE deployments SET state = ?, state_reason = ?, updated_at = ? WHERE id = ?")
        .params(state, clip(reason, 2000), at(now), id).update();
  }

  /**
   * Ends a deployment as cancelled or expired: every open target and every unfinished wave
   * becomes cancelled.
   */
  void end(String id, String state, String reason, Instant now) {
    setState(id, state, reason, now);
    jdbc.sql("UPDATE deployment_targets SET state = 'cancelled', updated_at = ?"
            + " WHERE deployment_id = ? AND state IN " + Targets.OPEN_SQL)
        .params(at(now), id).update();
    jdbc.sql("UPDATE deployment_waves SET state = 'cancelled', finished_at = ?"
            + " WHERE deployment_id = ? AND state IN ('waiting', 'running')")
        .params(at(now), id).update();
  }

  boolean approved(String id, String approver) {
    return jdbc.sql("SELECT COUNT(*) FROM deployment_approvals WHERE deployment_id = ?"
            + " AND approver = ?")
        .params(id, approver).query(Long.class).single() > 0;
  }

  int approvals(String id) {
    return jdbc.sql("SELECT COUNT(*) FROM deployment_approvals WHERE deployment_id = ?")
        .param(id).query(Integer.class).single();
  }

  void approve(String id, String approver, boolean rollbackAcknowledged, Instant now) {
    jdbc.sql("INSERT INTO deployment_approvals (deployment_id, approver, approved_at,"
            + " rollback_acknowledged) VALUES (?, ?, ?, ?)")
        .params(id, approver, at(now), rollbackAcknowledged).update();
  }

  /** The approvals, in the order they were given. */
  List<ApprovalRow> approvalRows(String id) {
    return jdbc.sql("SELECT approver, approved_at, rollback_acknowledged FROM"
            + " deployment_approvals WHERE deployment_id = ? ORDER BY approved_at, approver")
        .param(id)
        .query((rs, i) -> new ApprovalRow(rs.getString(1),
            DeploymentRow.instant(rs, "approved_at"), rs.getBoolean(3)))
        .list();
  }

  /** One approval. */
  record ApprovalRow(String approver, Instant approvedAt, boolean rollbackAcknowledged) {}

  static String clip(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }
}
