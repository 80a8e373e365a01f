package org.neguard.api.device;

import java.util.List;
import org.neguard.api.problem.ProblemReason;

/**
 * {@code POST /api/device/v1/feedback}: progress or the final status of one order.
 *
 * @param orderId the order
 * @param status {@code downloading}, {@code installing}, {@code succeeded} or {@code failed}
 * @param progress percent done, 0 to 100, or null
 * @param reasons why it failed, with the reason codes of {@code pkg verify}; empty otherwise
 * @param installed on success, what the device runs now; may be null
 * @param evidence on success of an order that carries an attestation nonce (ATT-4): the
 *     device's evidence (compact JWS, docs/MEASUREMENT.md) over that nonce, measured after the
 *     install; null otherwise
 */
public record Feedback(String orderId, String status, Integer progress,
    List<ProblemReason> reasons, InstalledPackage installed, String evidence) {

  /** Feedback without evidence. */
  public Feedback(String orderId, String status, Integer progress, List<ProblemReason> reasons,
      InstalledPackage installed) {
    this(orderId, status, progress, reasons, installed, null);
  }
}
