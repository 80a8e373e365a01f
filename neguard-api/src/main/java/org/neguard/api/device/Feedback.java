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
 */
public record Feedback(String orderId, String status, Integer progress,
    List<ProblemReason> reasons, InstalledPackage installed) {}
