package org.neguard.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
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
    JsonNode v = server().get("/api/audit/verify");
    if (!v.path("intact").asBoolean()) {
      long seq = v.path("firstBadSeq").asLong();
      throw new RefusalException(Reason.about(ReasonCode.AUDIT_CHAIN_BROKEN, "row " + seq,
          "the audit log was tampered with: " + v.path("problem").asText()
              + "; keep a copy of the database and investigate from row " + seq));
    }
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("rows", v.path("rows").asLong());
    d.put("headHash", v.path("headHash").asText());
    return output().pass("PASS  audit chain intact: " + v.path("rows").asLong()
        + " rows, head " + v.path("headHash").asText(), d);
  }
}
