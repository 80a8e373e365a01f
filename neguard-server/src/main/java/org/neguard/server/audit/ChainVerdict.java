package org.neguard.server.audit;

/**
 * The result of recomputing the audit chain.
 *
 * @param intact whether every row and the head agree
 * @param rows rows read
 * @param firstBadSeq the first altered or deleted row, or 0 when intact
 * @param problem what is wrong, or null when intact
 * @param headHash the last row's hash when intact, or null
 */
public record ChainVerdict(boolean intact, long rows, long firstBadSeq, String problem,
    String headHash) {
  static ChainVerdict intact(long rows, long lastSeq, String headHash) {
    return new ChainVerdict(true, rows, 0, null, headHash);
  }

  static ChainVerdict broken(long rows, long firstBadSeq, String problem) {
    return new ChainVerdict(false, rows, firstBadSeq, problem, null);
  }
}
