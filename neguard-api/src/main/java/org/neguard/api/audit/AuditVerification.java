package org.neguard.api.audit;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * {@code GET /api/audit/verify}: the whole chain recomputed. Intact, it names the head's hash;
 * broken, the first bad row and what is wrong ({@code AUDIT_CHAIN_BROKEN} in the CLI).
 *
 * @param rows rows read
 * @param headHash the last row's hash when intact, else null (left out)
 * @param firstBadSeq the first altered or deleted row when broken, else null (left out)
 * @param problem what is wrong when broken, else null (left out)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"intact", "rows", "headHash", "firstBadSeq", "problem"})
public record AuditVerification(boolean intact, long rows, String headHash, Long firstBadSeq,
    String problem) {
  public static AuditVerification intact(long rows, String headHash) {
    return new AuditVerification(true, rows, headHash, null, null);
  }

  public static AuditVerification broken(long rows, long firstBadSeq, String problem) {
    return new AuditVerification(false, rows, null, firstBadSeq, problem);
  }
}
