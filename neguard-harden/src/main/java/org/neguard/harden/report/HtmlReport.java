package org.neguard.harden.report;

import static org.neguard.harden.report.Text.html;

import java.util.List;
import java.util.Locale;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.eval.Evaluation;
import org.neguard.harden.eval.PortFinding;
import org.neguard.harden.eval.PortStatus;
import org.neguard.harden.eval.RequirementResult;
import org.neguard.harden.eval.StaleEntry;
import org.neguard.harden.eval.Verdict;
import org.neguard.harden.policy.AllowedPort;
import org.neguard.harden.policy.ForbiddenRule;
import org.neguard.harden.policy.Policy;
import org.neguard.harden.policy.Waiver;
import org.neguard.verdict.Reason;

/**
 * The evidence for a certifier (HRD-6): one self-contained HTML page, inline CSS, no script, no
 * external resource (a Content-Security-Policy forbids them), every text escaped.
 *
 * <p>Thread-safe (stateless).
 */
public final class HtmlReport {
  private static final String CSS = """
      body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
      h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
      table{border-collapse:collapse;width:100%;margin:.5em 0}
      th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}
      th{background:#f3f3f3}code,pre{font-family:ui-monospace,monospace;font-size:.92em}
      pre{white-space:pre-wrap;background:#f7f7f7;padding:.5em}
      .v{font-weight:bold;padding:1px 6px;border-radius:3px}
      .PASS{background:#d9f2d9;color:#185c18}.FAIL{background:#f8d0d0;color:#8a1010}
      .INCONCLUSIVE{background:#fde9b8;color:#6b4a00}.NOT_TESTED{background:#e6e6e6;color:#444}
      tr.bad td{background:#fdeaea}tr.doubt td{background:#fff6dc}
      .muted{color:#666}
      """;

  private HtmlReport() {}

  /** The page. */
  public static String render(Evaluation e, String generator) {
    Observation o = e.observation();
    Policy p = e.policy();
    StringBuilder h = new StringBuilder(16384);
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
        .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"
            + " style-src 'unsafe-inline'\">\n")
        .append("<title>Hardening evidence: ").append(html(o.host())).append("</title>\n")
        .append("<style>").append(CSS).append("</style></head><body>\n");
    h.append("<h1>Hardening evidence: ports and services of ").append(html(o.host()))
        .append("</h1>\n<p>Overall result: ").append(badge(e.verdict()))
        .append(" &middot; NE type <code>").append(html(p.neType())).append("</code>")
        .append(" &middot; evaluated ").append(html(e.evaluated()))
        .append(" by ").append(html(generator)).append("</p>\n");
    if (!e.reasons().isEmpty()) {
      h.append("<h2>Discrepancies</h2>\n<table><tr><th>code</th><th>port</th><th>what was"
          + " wrong and what to do</th></tr>\n");
      for (Reason r : e.reasons()) {
        h.append("<tr class=\"").append(r.code().name().equals("SCAN_INCOMPLETE") ? "doubt"
            : "bad").append("\"><td><code>").append(html(r.code())).append("</code></td><td>")
            .append(html(r.subject())).append("</td><td>").append(html(r.message()))
            .append("</td></tr>\n");
      }
      h.append("</table>\n");
    }

    h.append("<h2>Verdict per requirement</h2>\n<table><tr><th>requirement</th><th>verdict"
        + "</th><th>expected</th><th>actual</th></tr>\n");
    for (RequirementResult r : e.requirements()) {
      h.append("<tr><td><b>").append(html(r.id())).append("</b><br><span class=\"muted\">")
          .append(html(r.title())).append("</span></td><td>").append(badge(r.verdict()))
          .append("</td><td>").append(html(r.expected())).append("</td><td>")
          .append(html(r.actual())).append("</td></tr>\n");
    }
    h.append("</table>\n");

    for (TestCaseResult t : TestCaseResult.of(e)) {
      h.append("<h2>Test case ").append(html(t.id())).append(" (").append(html(t.reference()))
          .append(")</h2>\n<table>\n");
      row(h, "Test name", html(t.id()) + ": " + html(t.title()));
      row(h, "Requirements", html(String.join(", ", t.requirements())));
      row(h, "Purpose", html(t.purpose()));
      StringBuilder proc = new StringBuilder("<ol>");
      for (String step : t.procedure()) {
        if (step.startsWith("  ")) {
          proc.append("<br><code>").append(html(step.strip())).append("</code>");
        } else {
          proc.append(proc.length() > 4 ? "</li>" : "").append("<li>").append(html(step));
        }
      }
      proc.append("</li></ol>");
      row(h, "Procedure executed", proc.toString());
      row(h, "Expected result", html(t.expected()));
      row(h, "Actual result", html(t.actual()));
      row(h, "Discrepancies", t.discrepancies().isEmpty() ? "none"
          : t.discrepancies().size() + " (listed above and highlighted below)");
      row(h, "Verdict", badge(t.verdict()));
      h.append("</table>\n");
    }

    h.append("<h2>Procedure</h2>\n<table>\n");
    row(h, "Source", html(o.source()));
    row(h, "Tool and version", html(nz(o.tool())));
    row(h, "Host examined", html(o.host()));
    row(h, "Scanner host", html(o.scanner() == null ? "not recorded" : o.scanner()));
    row(h, "Started", html(o.started()));
    row(h, "Finished", html(o.finished()));
    row(h, "Complete", o.complete() ? "yes" : "<b>NO</b>: an incomplete examination never passes");
    StringBuilder params = new StringBuilder();
    o.parameters().forEach((k, v) -> params.append("<code>").append(html(k)).append("</code>: ")
        .append(html(v)).append("<br>"));
    row(h, "Parameters", params.length() == 0 ? "none recorded" : params.toString());
    if (!o.notes().isEmpty()) {
      row(h, "Notes", "<ul><li>" + String.join("</li><li>", o.notes().stream()
          .map(Text::html).toList()) + "</li></ul>");
    }
    h.append("</table>\n");

    h.append("<h2>Port list (raw, as observed) with the evaluation</h2>\n")
        .append("<table><tr><th>port</th><th>address</th><th>state</th><th>service</th>"
            + "<th>program</th><th>evidence</th><th>status</th><th>rule / declared</th></tr>\n");
    for (PortFinding f : e.findings()) {
      ObservedPort pt = f.port();
      String cls = switch (f.status()) {
        case FORBIDDEN, UNDECLARED, WRONG_INTERFACE -> " class=\"bad\"";
        case INCONCLUSIVE -> f.discrepancy() ? " class=\"doubt\"" : "";
        default -> "";
      };
      h.append("<tr").append(cls).append("><td><code>").append(html(f.key())).append("</code>")
          .append("</td><td>").append(html(pt.address())).append("</td><td>")
          .append(html(pt.state())).append("</td><td>").append(html(nz(pt.service())))
          .append("</td><td>").append(pt.process() == null ? "" : html(pt.process().name()
              + " (pid " + pt.process().pid() + ", " + nz(pt.process().executable()) + ", user "
              + nz(pt.process().user()) + ")"))
          .append("</td><td>").append(html(nz(pt.evidence())));
      if (!pt.snmp().isEmpty()) {
        h.append("<br>SNMP: ").append(html(String.join(", ", pt.snmp().stream()
            .map(s -> s.version() + " " + EvidenceJson.community(s.community()) + " "
                + s.access()).toList())));
      }
      h.append("</td><td><b>").append(html(f.status())).append("</b></td><td>")
          .append(f.rule() == null ? "" : "rule <code>" + html(f.rule()) + "</code> ")
          .append(f.declaredService() == null ? "" : "declared " + html(f.declaredService()))
          .append(f.note() == null ? "" : "<br><span class=\"muted\">" + html(f.note())
              + "</span>")
          .append("</td></tr>\n");
    }
    if (e.findings().isEmpty()) {
      h.append("<tr><td colspan=\"8\">no port found</td></tr>\n");
    }
    h.append("</table>\n");
    if (!e.stale().isEmpty()) {
      h.append("<h2>Declared but not seen open (stale, not a failure)</h2>\n<table><tr>"
          + "<th>port</th><th>service</th><th>note</th></tr>\n");
      for (StaleEntry s : e.stale()) {
        h.append("<tr><td><code>").append(html(s.entry().key())).append("</code></td><td>")
            .append(html(s.entry().service())).append("</td><td>").append(html(s.note()))
            .append("</td></tr>\n");
      }
      h.append("</table>\n");
    }

    h.append("<h2>Policy: NE type ").append(html(p.neType())).append("</h2>\n<p>")
        .append(html(nz(p.description()))).append("<br><span class=\"muted\">")
        .append(html(nz(p.source()))).append(", SHA-256 <code>").append(html(nz(p.sha256())))
        .append("</code></span></p>\n<h3>Declared ports (HRD-2)</h3>\n<table><tr><th>port</th>"
            + "<th>service</th><th>justification</th><th>reachable on</th></tr>\n");
    for (AllowedPort a : p.allowed()) {
      h.append("<tr><td><code>").append(html(a.key())).append("</code></td><td>")
          .append(html(a.service())).append("</td><td>").append(html(a.justification()))
          .append("</td><td>").append(a.restricted() ? html(a.whereAllowed()) : "any").append("</td></tr>\n");
    }
    h.append("</table>\n<h3>Forbidden services (HRD-5)</h3>\n<table><tr><th>rule</th>"
        + "<th>what</th><th>ports</th><th>origin</th><th>why these transports / reason</th>"
        + "</tr>\n");
    for (ForbiddenRule r : p.forbidden()) {
      h.append("<tr><td><code>").append(html(r.id())).append("</code>")
          .append(p.waivedEntirely(r) ? " <b>WAIVED</b>" : "").append("</td><td>")
          .append(html(r.title())).append("</td><td>")
          .append(html(String.join(", ", r.ports().stream().map(Object::toString).toList())))
          .append("</td><td>").append(html(r.origin().name().toLowerCase(Locale.ROOT)))
          .append("<br><span class=\"muted\">").append(html(nz(r.source()))).append("</span>")
          .append("</td><td>").append(html(nz(r.why()))).append("</td></tr>\n");
    }
    h.append("</table>\n");
    List<Waiver> waivers = p.waivers();
    h.append("<h3>Waivers</h3>\n");
    if (waivers.isEmpty()) {
      h.append("<p>None: the whole baseline is in force.</p>\n");
    } else {
      h.append("<table><tr><th>waived</th><th>reason</th><th>reference</th></tr>\n");
      for (Waiver w : waivers) {
        h.append("<tr class=\"doubt\"><td><code>").append(html(w.scope())).append("</code></td>"
            + "<td>").append(html(w.reason())).append("</td><td>")
            .append(html(nz(w.reference()))).append("</td></tr>\n");
      }
      h.append("</table>\n");
    }
    h.append("<p class=\"muted\">Requirements: seed 003 (3GPP SA3 contribution on MME hardening),"
        + " catalogued as HRD-1..HRD-6. Test-case shape: 3GPP TS 33.117.</p>\n</body></html>\n");
    return h.toString();
  }

  private static void row(StringBuilder h, String name, String valueHtml) {
    h.append("<tr><th style=\"width:14em\">").append(html(name)).append("</th><td>")
        .append(valueHtml).append("</td></tr>\n");
  }

  private static String badge(Verdict v) {
    return "<span class=\"v " + v.name() + "\">" + v.name().replace('_', ' ') + "</span>";
  }

  private static String nz(String s) {
    return s == null ? "-" : s;
  }
}
