package org.neguard.server.attest;

import java.time.Instant;
import java.util.List;
import org.neguard.api.attest.BaselineInfo;
import org.neguard.server.ServerConfig;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.ReasonCode;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Operators' decisions on platform baselines (docs/ATTESTATION.md, "Platform baselines"): a
 * baseline becomes a device's reference only with {@code attest.baselineApprovals} distinct
 * approvers (four-eyes), each audited; then the device is asked for evidence again, so that it
 * can become trusted without waiting for its schedule. Thread-safe.
 */
@Component
final class Baselines {
  private final References references;
  private final Pve pve;
  private final AuditLog audit;
  private final TransactionTemplate tx;
  private final int required;

  Baselines(References references, Pve pve, AuditLog audit,
      PlatformTransactionManager transactions, ServerConfig config) {
    this.references = references;
    this.pve = pve;
    this.audit = audit;
    this.tx = new TransactionTemplate(transactions);
    this.required = config.attest().baselineApprovals();
  }

  List<BaselineInfo> list(String state, String deviceId, int limit) {
    return references.list(state, deviceId, limit).stream().map(references::view).toList();
  }

  /**
   * The files baseline {@code id} was measured with, by path.
   *
   * @throws ApiException 404 for no such baseline
   */
  List<org.neguard.api.attest.BaselineFile> files(String id) {
    references.baseline(id).orElseThrow(() -> ApiException.notFound("no baseline " + id));
    return references.files(id).stream().map(l -> new org.neguard.api.attest.BaselineFile(
        l.path(), l.sha256(), String.format("%04o", l.mode()))).toList();
  }

  /**
   * Records {@code approver}'s approval.
   *
   * @throws ApiException 404 for no such baseline; 409 CONFLICT when it is not pending, or
   *     FOUR_EYES when this approver approved it already
   */
  BaselineInfo approve(String id, String approver) {
    boolean approvedNow = Boolean.TRUE.equals(tx.execute(s -> {
      References.Baseline b = pending(id);
      Instant now = Instant.now();
      if (!references.approve(id, approver, now)) {
        throw ApiException.of(ReasonCode.FOUR_EYES, "baseline " + id + " is approved by "
            + approver + " already: it needs " + required + " distinct approvers");
      }
      int count = references.approvers(id).size();
      boolean done = count >= required;
      if (done) {
        references.decide(b, "approved", now);
      }
      audit.append(AuditEvent.success(approver, "BASELINE_APPROVE", "device " + b.deviceId(),
          "baseline " + id + " of " + b.component() + " (" + b.digest() + "): approval " + count
              + " of " + required + (done ? "; approved, the device's reference now" : "")));
      return done;
    }));
    BaselineInfo view = references.view(references.baseline(id).orElseThrow());
    if (approvedNow) {
      pve.request(view.deviceId(), approver, "REQUESTED");
    }
    return view;
  }

  /**
   * Records {@code approver}'s approval of every pending baseline of {@code component} with
   * {@code digest}, on whichever devices proposed it: a fleet measuring one /etc is approved
   * once per approver, not once per NE. Each baseline is counted, audited and decided as by
   * {@link #approve}; those this approver approved already are left as they are.
   *
   * @return the baselines after the approval, each in its state now
   * @throws ApiException 404 when no pending baseline matches
   */
  List<BaselineInfo> approveMatching(String component, String digest, String approver) {
    List<References.Baseline> pending = references.pending(component, digest);
    if (pending.isEmpty()) {
      throw ApiException.notFound("no pending baseline of " + component + " with digest "
          + digest);
    }
    List<BaselineInfo> out = new java.util.ArrayList<>();
    for (References.Baseline b : pending) {
      if (references.approvers(b.id()).contains(approver)) {
        out.add(references.view(b));
        continue;
      }
      out.add(approve(b.id(), approver));
    }
    return List.copyOf(out);
  }

  BaselineInfo reject(String id, String approver) {
    tx.executeWithoutResult(s -> {
      References.Baseline b = pending(id);
      references.decide(b, "rejected", Instant.now());
      audit.append(AuditEvent.success(approver, "BASELINE_REJECT", "device " + b.deviceId(),
          "baseline " + id + " of " + b.component() + " (" + b.digest() + ") rejected"));
    });
    return references.view(references.baseline(id).orElseThrow());
  }

  private References.Baseline pending(String id) {
    References.Baseline b = references.lockBaseline(id).orElseThrow(() ->
        ApiException.notFound("no baseline " + id));
    if (!b.state().equals("pending")) {
      throw ApiException.of(ReasonCode.CONFLICT, "baseline " + id + " is " + b.state()
          + ", not pending: decisions are final");
    }
    return b;
  }
}
