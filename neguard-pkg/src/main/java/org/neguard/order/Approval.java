package org.neguard.order;

import java.time.Instant;
import java.util.Objects;

/**
 * One approval of the deployment an order belongs to (four-eyes, SRC-1).
 *
 * @param approver the approving user's name on the server
 * @param approvedAt when the approval was recorded
 */
public record Approval(String approver, Instant approvedAt) {
  public Approval {
    if (approver == null || approver.isBlank()) {
      throw new IllegalArgumentException("approver is missing or blank");
    }
    Objects.requireNonNull(approvedAt, "approvedAt");
  }
}
