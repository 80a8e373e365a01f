package org.neguard.server.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.neguard.api.audit.AuditRecord;
import org.neguard.api.audit.AuditVerification;
import org.neguard.measure.Sha256;

/**
 * The hash chain of the audit log (SRC-3). A row's hash is the SHA-256, in lower-case hex, of the
 * UTF-8 bytes of the compact JSON array {@code [seq, occurredAt, actor, action, target, outcome,
 * detail, remote, prevHash]}: anyone can recompute it with {@code jq -cj} and {@code sha256sum}.
 * Stateless and thread-safe.
 */
public final class AuditChain {
  /** The previous hash of row 1. */
  public static final String GENESIS = "0".repeat(64);

  private static final ObjectMapper JSON = new ObjectMapper();

  private AuditChain() {}

  /** The hash of a row with these fields. */
  public static String hash(long seq, String occurredAt, String actor, String action,
      String target, String outcome, String detail, String remote, String prevHash) {
    try {
      byte[] canonical =
          JSON.writeValueAsString(
                  List.of(seq, occurredAt, actor, action, target, outcome, detail, remote,
                      prevHash))
              .getBytes(StandardCharsets.UTF_8);
      return Sha256.hex(canonical);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a list of strings and numbers always serializes", e);
    }
  }

  /** The hash the row should carry, recomputed from its fields. */
  public static String recompute(AuditRecord r) {
    return hash(r.seq(), r.occurredAt(), r.actor(), r.action(), r.target(), r.outcome(),
        r.detail(), r.remote(), r.prevHash());
  }

  /**
   * Checks rows in order, as they are streamed from the database.
   *
   * <p>Not thread-safe: one verifier per walk.
   */
  public static final class Verifier {
    private long expectedSeq = 1;
    private String prevHash = GENESIS;
    private long rows;
    private AuditVerification broken;

    /** Feeds the next row; after the first break, rows are only counted. */
    public void accept(AuditRecord r) {
      rows++;
      if (broken != null) {
        return;
      }
      if (r.seq() != expectedSeq) {
        broken = AuditVerification.broken(rows, expectedSeq,
            "row " + expectedSeq + (r.seq() > expectedSeq
                ? (r.seq() - expectedSeq == 1 ? " was deleted" : " to " + (r.seq() - 1)
                    + " were deleted")
                : " is out of order") + " (the next row present is " + r.seq() + ")");
        return;
      }
      if (!r.prevHash().equals(prevHash)) {
        long altered = r.seq() - 1;
        broken = AuditVerification.broken(rows, altered,
            "row " + altered + " was altered: row " + r.seq()
                + " carries a different hash for it");
        return;
      }
      if (!recompute(r).equals(r.hash())) {
        broken = AuditVerification.broken(rows, r.seq(),
            "row " + r.seq() + " was altered: its content does not match its hash");
        return;
      }
      prevHash = r.hash();
      expectedSeq++;
    }

    /**
     * The verdict, given the head the database recorded (the last row's number and hash), which
     * reveals rows deleted at the end. It is what {@code GET /api/audit/verify} answers, as is.
     */
    public AuditVerification finish(long headSeq, String headHash) {
      if (broken != null) {
        return broken;
      }
      long last = expectedSeq - 1;
      if (headSeq > last) {
        return AuditVerification.broken(rows, last + 1,
            "row " + (last + 1) + (headSeq - last == 1 ? " was" : " to " + headSeq + " were")
                + " deleted at the end of the log (the head records row " + headSeq + ")");
      }
      if (headSeq < last || !headHash.equals(prevHash)) {
        return AuditVerification.broken(rows, last,
            "row " + last + " does not match the recorded head of the log (row " + headSeq
                + "): the log or its head was altered");
      }
      return AuditVerification.intact(rows, prevHash);
    }
  }
}
