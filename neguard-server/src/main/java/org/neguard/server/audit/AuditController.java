package org.neguard.server.audit;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import org.neguard.api.audit.AuditRecord;
import org.neguard.api.audit.AuditVerification;
import org.neguard.api.auth.Role;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentUser;
import org.neguard.server.web.ApiException;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Reading the audit log (SRC-3): list, verify the chain, export. There is no endpoint that
 * changes or deletes a row.
 */
@RestController
@RequestMapping("/api/audit")
class AuditController {
  private final AuditLog audit;

  AuditController(AuditLog audit) {
    this.audit = audit;
  }

  @GetMapping
  @Allowed({Role.ADMIN, Role.AUDITOR})
  List<AuditRecord> list(@RequestParam(defaultValue = "0") long after,
      @RequestParam(defaultValue = "100") int limit,
      @RequestParam(defaultValue = "false") boolean tail) {
    if (limit < 1 || limit > 10_000) {
      throw ApiException.badInput("limit not in 1..10000: " + limit);
    }
    return tail ? audit.tail(limit) : audit.list(after, limit);
  }

  @GetMapping("/verify")
  @Allowed({Role.ADMIN, Role.AUDITOR})
  AuditVerification verify() {
    AuditVerification v = audit.verify();
    audit.append(AuditEvent.success(CurrentUser.actorName(), "AUDIT_VERIFY", "audit log",
        v.intact() ? "intact, " + v.rows() + " rows" : "AUDIT_CHAIN_BROKEN: " + v.problem()));
    return v;
  }

  @GetMapping("/export")
  @Allowed({Role.ADMIN, Role.AUDITOR})
  void export(@RequestParam(defaultValue = "jsonl") String format, HttpServletResponse response)
      throws IOException {
    AuditExport.write(audit, format, response);
  }
}
