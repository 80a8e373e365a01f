package org.neguard.cli.admin;

import java.util.LinkedHashMap;
import java.util.Map;
import org.neguard.api.audit.AuditVerification;
import org.neguard.cli.support.ClientCommand;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine.Command;

/** {@code neguard audit verify} (SRC-3). */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = "Recompute the hash chain on the server: exit 0 intact, 3 with the first"
        + " altered or deleted row named.")
final class AuditVerifyCommand extends ClientCommand {
  @Override
  public Integer call() throws Exception {
    AuditVerification v = server().verifyAudit();
    if (!v.intact()) {
      long seq = v.firstBadSeq() == null ? 0 : v.firstBadSeq();
      throw new RefusalException(Reason.about(ReasonCode.AUDIT_CHAIN_BROKEN, "row " + seq,
          "the audit log was tampered with: " + (v.problem() == null ? "" : v.problem())
              + "; keep a copy of the database and investigate from row " + seq));
    }
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("rows", v.rows());
    d.put("headHash", v.headHash() == null ? "" : v.headHash());
    return output().pass("PASS  audit chain intact: " + v.rows() + " rows, head "
        + d.get("headHash"), d);
  }
}
