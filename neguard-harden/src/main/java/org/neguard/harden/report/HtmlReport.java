package org.neguard.harden.report;

import static org.neguard.evidence.HtmlEvidence.row;
import static org.neguard.html.Html.escape;

import java.util.List;
import java.util.Locale;
import org.neguard.evidence.HtmlEvidence;
import org.neguard.html.Html;
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
  private HtmlReport() {}

  /** The page. */
  public static String render(Evaluation e, String generator) {
    Observation o = e.observation();
    Policy p = e.policy();
    StringBuilder h = HtmlEvidence.begin("Hardening evidence: ports and services of " + o.host());
    h.append("<p>Overall result: ").append(badge(e.verdict()))
        .append(" &middot; NE type <code>").append(escape(p.neType())).append("</code>")
        .append(" &middot; evaluated ").append(escape(e.evaluated()))
        .append(" by ").append(escape(generator)).append("</p>\n");
    if (!e.reasons().isEmpty()) {
      h.append("<h2>Discrepancies</h2>\n<table><tr><th>code</th><th>port</th><th>what was"
          + " wrong and what to do</th></tr>\n");
      for (Reason r : e.reasons()) {
        h.append("<tr class=\"").append(r.code().name().equals("SCAN_INCOMPLETE") ? "doubt"
            : "bad").append("\"><td><code>").append(escape(r.code())).append("</code></td><td>")
            .append(escape(r.subject())).append("</td><td>").append(escape(r.message()))
            .append("</td></tr>\n");
      }
      h.append("</table>\n");
    }

    h.append("<h2>Verdict per requirement</h2>\n<table><tr><th>requirement</th><th>verdict"
        + "</th><th>expected</th><th>actual</th></tr>\n");
    for (RequirementResult r : e.requirements()) {
      h.append("<tr><td><b>").append(escape(r.id())).append("</b><br><span class=\"muted\">")
          .append(escape(r.title())).append("</span></td><td>").append(badge(r.verdict()))
          .append("</td><td>").append(escape(r.expected())).append("</td><td>")
          .append(escape(r.actual())).append("</td></tr>\n");
    }
    h.append("</table>\n");

    for (TestCaseResult t : TestCaseResult.of(e)) {
      HtmlEvidence.caseDetail(h, t.toTestCase());
    }

    h.append("<h2>Procedure</h2>\n<table>\n");
    row(h, "Source", escape(o.source()));
    row(h, "Tool and version", escape(nz(o.tool())));
    row(h, "Host examined", escape(o.host()));
    row(h, "Scanner host", escape(o.scanner() == null ? "not recorded" : o.scanner()));
    row(h, "Started", escape(o.started()));
    row(h, "Finished", escape(o.finished()));
    row(h, "Complete", o.complete() ? "yes" : "<b>NO</b>: an incomplete examination never passes");
    StringBuilder params = new StringBuilder();
    o.parameters().forEach((k, v) -> params.append("<code>").append(escape(k)).append("</code>: ")
        .append(escape(v)).append("<br>"));
    row(h, "Parameters", params.length() == 0 ? "none recorded" : params.toString());
    if (!o.notes().isEmpty()) {
      row(h, "Notes", "<ul><li>" + String.join("</li><li>", o.notes().stream()
          .map(Html::escape).toList()) + "</li></ul>");
    }
    if (!o.protocolProbes().isEmpty()) {
      // What the protocol-version rules were judged on (docs/HARDENING.md, "Protocol versions").
      row(h, "Protocol-version probes", "<ul><li>" + String.join("</li><li>", o.protocolProbes()
          .stream().map(r -> escape(r.line())).toList()) + "</li></ul>");
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
      h.append("<tr").append(cls).append("><td><code>").append(escape(f.key())).append("</code>")
          .append("</td><td>").append(escape(pt.address())).append("</td><td>")
          .append(escape(pt.state())).append("</td><td>").append(escape(nz(pt.service())))
          .append("</td><td>").append(pt.process() == null ? "" : escape(pt.process().name()
              + " (pid " + pt.process().pid() + ", " + nz(pt.process().executable()) + ", user "
              + nz(pt.process().user()) + ")"))
          .append("</td><td>").append(escape(nz(pt.evidence())))
          .append(pt.cpe() == null ? "" : "<br>CPE <code>" + escape(pt.cpe()) + "</code>");
      if (!pt.snmp().isEmpty()) {
        h.append("<br>SNMP: ").append(escape(String.join(", ", pt.snmp().stream()
            .map(s -> s.version() + " " + EvidenceJson.community(s.community()) + " "
                + s.access()).toList())));
      }
      h.append("</td><td><b>").append(escape(f.status())).append("</b></td><td>")
          .append(f.rule() == null ? "" : "rule <code>" + escape(f.rule()) + "</code> ")
          .append(f.declaredService() == null ? "" : "declared " + escape(f.declaredService()))
          .append(f.note() == null ? "" : "<br><span class=\"muted\">" + escape(f.note())
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
        h.append("<tr><td><code>").append(escape(s.entry().key())).append("</code></td><td>")
            .append(escape(s.entry().service())).append("</td><td>").append(escape(s.note()))
            .append("</td></tr>\n");
      }
      h.append("</table>\n");
    }

    VulnerabilityEvidence.html(h, e.vulnerabilities(), p.vulnerabilityWaivers());

    h.append("<h2>Policy: NE type ").append(escape(p.neType())).append("</h2>\n<p>")
        .append(escape(nz(p.description()))).append("<br><span class=\"muted\">")
        .append(escape(nz(p.source()))).append(", SHA-256 <code>").append(escape(nz(p.sha256())))
        .append("</code></span></p>\n<h3>Declared ports (HRD-2)</h3>\n<table><tr><th>port</th>"
            + "<th>service</th><th>justification</th><th>reachable on</th></tr>\n");
    for (AllowedPort a : p.allowed()) {
      h.append("<tr><td><code>").append(escape(a.key())).append("</code></td><td>")
          .append(escape(a.service())).append("</td><td>").append(escape(a.justification()))
          .append("</td><td>").append(a.restricted() ? escape(a.whereAllowed()) : "any").append("</td></tr>\n");
    }
    h.append("</table>\n<h3>Forbidden services (HRD-5)</h3>\n<table><tr><th>rule</th>"
        + "<th>what</th><th>ports</th><th>origin</th><th>why these transports / reason</th>"
        + "</tr>\n");
    for (ForbiddenRule r : p.forbidden()) {
      h.append("<tr><td><code>").append(escape(r.id())).append("</code>")
          .append(p.waivedEntirely(r) ? " <b>WAIVED</b>" : "").append("</td><td>")
          .append(escape(r.title())).append("</td><td>")
          .append(escape(String.join(", ", r.ports().stream().map(Object::toString).toList())))
          .append("</td><td>").append(escape(r.origin().name().toLowerCase(Locale.ROOT)))
          .append("<br><span class=\"muted\">").append(escape(nz(r.source()))).append("</span>")
          .append("</td><td>").append(escape(nz(r.why()))).append("</td></tr>\n");
    }
    h.append("</table>\n");
    List<Waiver> waivers = p.waivers();
    h.append("<h3>Waivers</h3>\n");
    if (waivers.isEmpty()) {
      h.append("<p>None: the whole baseline is in force.</p>\n");
    } else {
      h.append("<table><tr><th>waived</th><th>reason</th><th>reference</th></tr>\n");
      for (Waiver w : waivers) {
        h.append("<tr class=\"doubt\"><td><code>").append(escape(w.scope())).append("</code></td>"
            + "<td>").append(escape(w.reason())).append("</td><td>")
            .append(escape(nz(w.reference()))).append("</td></tr>\n");
      }
      h.append("</table>\n");
    }
    h.append("<p class=\"muted\">Requirements: seed 003 (3GPP SA3 contribution on MME hardening),"
        + " catalogued as HRD-1..HRD-6. Test-case shape: 3GPP TS 33.117.</p>\n");
    return HtmlEvidence.end(h);
  }

  private static String badge(Verdict v) {
    return HtmlEvidence.badge(v.outcome());
  }

  private static String nz(String s) {
    return s == null ? "-" : s;
  }
}
