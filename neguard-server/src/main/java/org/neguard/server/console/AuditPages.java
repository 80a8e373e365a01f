package org.neguard.server.console;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import org.neguard.api.audit.AuditRecord;
import org.neguard.api.audit.AuditVerification;
import org.neguard.api.auth.Role;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentUser;
import org.neguard.server.audit.AuditExport;
import org.neguard.server.audit.AuditLog;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * The audit log (admins and auditors, as its API): the latest rows filtered, and the chain's
 * verification with the first broken row marked.
 */
@Controller
class AuditPages {
  private static final int ROWS = 200;
  private final AuditLog audit;
  private final AuditCheck check;

  AuditPages(AuditLog audit, AuditCheck check) {
    this.audit = audit;
    this.check = check;
  }

  @GetMapping("/console/audit")
  @Allowed({Role.ADMIN, Role.AUDITOR})
  String rows(@RequestParam(required = false) String q, Model model) {
    model.addAttribute("q", q == null ? "" : q);
    model.addAttribute("rows", filtered(q));
    model.addAttribute("verification", null);
    return "console/audit";
  }

  /** Verifies the whole chain (a POST: it is an action, recorded, and walks the whole log). */
  @PostMapping("/console/audit/verify")
  @Allowed({Role.ADMIN, Role.AUDITOR})
  String verify(Model model) {
    AuditVerification v = audit.verify();
    String me = CurrentUser.actorName();
    check.record(me, v);
    audit.append(org.neguard.server.audit.AuditEvent.success(me, "AUDIT_VERIFY", "audit log",
        v.intact() ? "intact, " + v.rows() + " rows" : "broken at row " + v.firstBadSeq()));
    List<AuditRecord> rows = v.intact() || v.firstBadSeq() == null ? filtered(null)
        : audit.list(Math.max(0, v.firstBadSeq() - 20), 40);
    model.addAttribute("q", "");
    model.addAttribute("rows", rows);
    model.addAttribute("verification", v);
    return "console/audit";
  }

  /** Downloads the whole log (as GET /api/audit/export), recorded as an export. */
  @GetMapping("/console/audit/export")
  @Allowed({Role.ADMIN, Role.AUDITOR})
  void export(@RequestParam(defaultValue = "jsonl") String format,
      HttpServletResponse response) throws IOException {
    response.setHeader("Content-Disposition", "attachment; filename=\"neguard-audit."
        + (format.equals("jsonl") ? "jsonl" : "log") + "\"");
    AuditExport.write(audit, format, response);
  }

  private List<AuditRecord> filtered(String q) {
    String needle = q == null || q.isBlank() ? null : q.strip().toLowerCase(Locale.ROOT);
    List<AuditRecord> tail = audit.tail(needle == null ? ROWS : 5000);
    return tail.stream()
        .filter(r -> needle == null || (r.actor() + " " + r.action() + " " + r.target() + " "
            + r.outcome() + " " + r.detail()).toLowerCase(Locale.ROOT).contains(needle))
        .limit(ROWS)
        .toList();
  }
}
