package org.neguard.cli.deploy;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.neguard.api.deploy.ApprovalInfo;
import org.neguard.api.deploy.Deployment;
import org.neguard.api.deploy.Target;
import org.neguard.api.deploy.Wave;
import org.neguard.cli.support.Output;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;

/** A deployment for people to read, and what its end means for the exit code. */
final class DeploymentText {
  /** The states a deployment never leaves (api.deploy.Deployment). */
  static final Set<String> FINAL = Set.of("completed", "rejected", "cancelled", "expired");
  private static final String TARGET = "%-24s %-4s %-11s %-24s %s";

  private DeploymentText() {}

  static boolean isFinal(Deployment d) {
    return FINAL.contains(d.state());
  }

  /** The deployment in a few lines, one per wave. */
  static String status(Deployment d) {
    StringBuilder b = new StringBuilder();
    b.append(kind(d).equals("recovery") ? "Recovery campaign " : "Deployment ").append(d.id()).append("  ").append(d.packageName()).append(' ')
        .append(d.packageVersion()).append("  (").append(d.targetCount()).append(" devices")
        .append(d.rollback() ? ", ROLLBACK" : "").append(")\n");
    b.append("  kind       ").append(kind(d)).append('\n');
    b.append("  state      ").append(stateLine(d)).append('\n');
    b.append("  created    by ").append(d.createdBy()).append(" at ").append(d.createdAt())
        .append("; expires ").append(d.expiresAt()).append('\n');
    List<ApprovalInfo> approvals = d.approvals() == null ? List.of() : d.approvals();
    b.append("  approvals  ").append(approvals.size()).append(" of ")
        .append(d.requiredApprovals());
    for (ApprovalInfo a : approvals) {
      b.append("; ").append(a.approver()).append(" at ").append(a.approvedAt())
          .append(a.rollbackAcknowledged() ? " (rollback acknowledged)" : "");
    }
    b.append('\n');
    b.append("  thresholds success ").append(d.successThreshold()).append("%, error ")
        .append(d.errorThreshold()).append("%, attestation failures ")
        .append(d.attestationFailureShare()).append('%')
        .append(d.maintenanceWindow() == null ? "" : "; window " + d.maintenanceWindow() + " UTC")
        .append('\n');
    for (Wave w : waves(d)) {
      b.append("  ").append(waveLine(w)).append('\n');
    }
    return Output.printableLines(b.toString().stripTrailing());
  }

  /** {@code update} or {@code recovery} (a server from before issue 15 names none: update). */
  static String kind(Deployment d) {
    return d.kind() == null ? "update" : d.kind();
  }

  /** {@code running (wave 1 of 2): why}. */
  static String stateLine(Deployment d) {
    String reason = d.stateReason() == null || d.stateReason().isBlank() ? ""
        : ": " + d.stateReason();
    String wave = d.currentWave() == 0 ? "" : " (wave " + d.currentWave() + " of "
        + waves(d).size() + ")";
    return Output.printable(d.state() + wave + reason);
  }

  /** {@code wave 1  running    3 succeeded, 0 failed, 0 refused, 7 in progress of 10}. */
  static String waveLine(Wave w) {
    return String.format("wave %d  %-9s %d succeeded, %d failed, %d refused, %d in progress"
        + " of %d", w.number(), w.state(), w.succeeded(), w.failed(), w.refused(),
        w.inProgress(), w.size());
  }

  static List<Wave> waves(Deployment d) {
    return d.waves() == null ? List.of() : d.waves();
  }

  /**
   * Why a deployment that ended did not end well: rejected, cancelled, expired, or completed
   * with devices that failed or were refused; empty while it runs and when all succeeded.
   */
  static Optional<Reason> badEnd(Deployment d) {
    if (!isFinal(d)) {
      return Optional.empty();
    }
    int failed = waves(d).stream().mapToInt(w -> w.failed() + w.refused()).sum();
    if (d.state().equals("completed") && failed == 0) {
      return Optional.empty();
    }
    String why = d.state().equals("completed")
        ? "completed, but " + failed + " of " + d.targetCount()
            + " devices failed or were refused; see 'neguard deploy status' and the targets"
        : "ended " + stateLine(d);
    return Optional.of(Reason.about(ReasonCode.DEPLOYMENT_STATE, d.id(),
        "deployment " + d.id() + " " + why));
  }

  /** The devices of a deployment, one line each, with the reasons of a failure or refusal. */
  static String targets(List<Target> targets) {
    StringBuilder b = new StringBuilder(String.format(TARGET, "DEVICE", "WAVE", "STATE",
        "UPDATED", "REASONS"));
    for (Target t : targets) {
      String reasons = t.reasons() == null ? "" : t.reasons().stream()
          .map(r -> r.code() + " " + r.message()).collect(Collectors.joining("; "));
      b.append('\n').append(String.format(TARGET, t.deviceId(), t.wave(), t.state(),
          t.updatedAt() == null ? "" : t.updatedAt(), reasons));
    }
    return Output.printableLines(b.toString());
  }

  /** A one-line summary of the end: {@code completed: 20 succeeded, 0 failed, 0 refused}. */
  static String summary(Deployment d) {
    int ok = waves(d).stream().mapToInt(Wave::succeeded).sum();
    int failed = waves(d).stream().mapToInt(Wave::failed).sum();
    int refused = waves(d).stream().mapToInt(Wave::refused).sum();
    return "Deployment " + d.id() + " " + stateLine(d) + ": " + ok + " succeeded, " + failed
        + " failed, " + refused + " refused of " + d.targetCount();
  }
}
