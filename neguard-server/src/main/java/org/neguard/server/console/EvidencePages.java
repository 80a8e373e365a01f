package org.neguard.server.console;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.neguard.api.audit.AuditRecord;
import org.neguard.api.auth.Role;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentUser;
import org.neguard.server.audit.AuditChain;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.console.EvidenceGenerator.Kind;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.ReasonCode;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * The Evidence page (issue 18, docs/CONSOLE.md "Evidence"): the stored evidence documents with
 * their kind, date, verdict, author and digests; generating one of each kind from the server's
 * records; downloading one as HTML or JSON. Admins and auditors, as the audit log: the
 * documents quote its rows.
 */
@Controller
class EvidencePages {
  private static final int ROWS = 200;
  private final EvidenceGenerator generator;
  private final EvidenceStore store;
  private final AuditLog audit;

  EvidencePages(EvidenceGenerator generator, EvidenceStore store, AuditLog audit) {
    this.generator = generator;
    this.store = store;
    this.audit = audit;
  }

  @GetMapping("/console/evidence")
  @Allowed({Role.ADMIN, Role.AUDITOR})
  String list(Model model) {
    model.addAttribute("documents", store.list(ROWS));
    model.addAttribute("kinds", Arrays.stream(Kind.values()).map(Kind::id).toList());
    return "console/evidence";
  }

  /** Generates one document of {@code kind}; the page then lists it first. */
  @PostMapping("/console/evidence")
  @Allowed({Role.ADMIN, Role.AUDITOR})
  String generate(@RequestParam(required = false) String kind) {
    Kind k = Kind.find(kind).orElseThrow(() -> ApiException.badInput("kind must be one of "
        + String.join(", ", Arrays.stream(Kind.values()).map(Kind::id).toList())
        + "; got '" + kind + "'"));
    EvidenceStore.Stored s = generator.generate(k, CurrentUser.actorName());
    return "redirect:/console/evidence#doc-" + s.id();
  }

  /**
   * A stored document as a download, exactly the bytes generated: refused (recorded), never
   * served altered, when they no longer match the SHA-256 stored with them or the one recorded
   * in the generation's {@code EVIDENCE_GENERATE} audit row. The row is the reference because
   * whoever can write {@code evidence_documents} can replace bytes and digest together, while
   * the audit row is in the hash chain: changing it shows when the chain is verified.
   */
  @GetMapping("/console/evidence/{id}/{format}")
  @Allowed({Role.ADMIN, Role.AUDITOR})
  ResponseEntity<byte[]> download(@PathVariable String id, @PathVariable String format) {
    if (!List.of("html", "json").contains(format)) {
      throw ApiException.badInput("format is html or json, not '" + format + "'");
    }
    long n;
    try {
      n = Long.parseLong(id);
    } catch (NumberFormatException e) {
      throw ApiException.notFound("no evidence document " + id);
    }
    EvidenceStore.Content c = store.content(n, format)
        .orElseThrow(() -> ApiException.notFound("no evidence document " + id));
    String target = "evidence document " + n + " (" + c.doc().kind() + ", " + format + ")";
    String me = CurrentUser.actorName();
    Optional<String> altered = altered(c, target);
    if (altered.isPresent()) {
      audit.append(AuditEvent.failure(me, "EVIDENCE_DOWNLOAD", target, altered.get()));
      throw ApiException.of(ReasonCode.DIGEST_MISMATCH, altered.get() + ": it was altered"
          + " after it was generated, or this server did not generate it; it is not served."
          + " Generate the document again, and verify the audit chain (the Audit page)");
    }
    audit.append(AuditEvent.success(me, "EVIDENCE_DOWNLOAD", target, "sha256 "
        + c.storedSha256()));
    String name = "neguard-evidence-" + c.doc().kind() + "-" + n + "." + format;
    return ResponseEntity.ok()
        .contentType(format.equals("html") ? new MediaType("text", "html",
            java.nio.charset.StandardCharsets.UTF_8) : MediaType.APPLICATION_JSON)
        .header(HttpHeaders.CONTENT_DISPOSITION,
            ContentDisposition.attachment().filename(name).build().toString())
        .header("X-Content-SHA256", c.storedSha256())
        .body(c.bytes());
  }

  /** Why {@code c}'s bytes are not the ones generated, or empty when they are. */
  private Optional<String> altered(EvidenceStore.Content c, String target) {
    if (!c.intact()) {
      return Optional.of("the stored " + target + " does not match the SHA-256 "
          + c.storedSha256() + " stored with it");
    }
    Optional<AuditRecord> generated = audit.lastSuccess(EvidenceGenerator.GENERATE,
        EvidenceGenerator.auditTarget(c.doc().id(), c.doc().kind()));
    if (generated.isEmpty()) {
      return Optional.of("no " + EvidenceGenerator.GENERATE + " audit row records the"
          + " generation of the stored " + target);
    }
    AuditRecord row = generated.get();
    // The row's own hash, so that a row edited in place is not taken as the reference; a row
    // rewritten with its hash recomputed breaks the chain after it, which the Audit page shows.
    if (!AuditChain.recompute(row).equals(row.hash())) {
      return Optional.of("the " + EvidenceGenerator.GENERATE + " audit row " + row.seq()
          + " of the stored " + target + " was altered (its hash does not match its fields)");
    }
    String recorded = EvidenceGenerator.recordedSha256(row.detail(), c.format())
        .orElse("(none)");
    if (!recorded.equals(c.sha256())) {
      return Optional.of("the stored " + target + " has the SHA-256 " + c.sha256()
          + ", not the " + recorded + " that its " + EvidenceGenerator.GENERATE
          + " audit row " + row.seq() + " recorded");
    }
    return Optional.empty();
  }
}
