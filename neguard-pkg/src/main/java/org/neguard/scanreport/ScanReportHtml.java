package org.neguard.scanreport;

import static org.neguard.html.Html.escape;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.neguard.html.Html;
import org.neguard.pkg.Manifest;
import org.neguard.verdict.Reason;

/**
 * The scan reports of one package as a self-contained HTML page for an auditor (AV-3): the
 * package, the publication-gate verdict with every reason, then per engine its product, versions,
 * signature database, host, times and the result for every file. No script, no outside resource;
 * every value is escaped.
 */
public final class ScanReportHtml {
  private static final String CSS = String.join("",
      "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:70em}\n",
      "table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;",
      "padding:.25em .6em;text-align:left;vertical-align:top}th{background:#f3f3f3}\n",
      "code{font-size:.9em}.PASS,.CLEAN{color:#0a6b0a;font-weight:bold}",
      ".FAIL,.INFECTED{color:#b00020;font-weight:bold}",
      ".INCOMPLETE,.NOT_SCANNED{color:#a05a00;font-weight:bold}\n",
      "tr.INFECTED td,tr.NOT_SCANNED td{background:#fff3f3}\n");

  private ScanReportHtml() {}

  /**
   * @param manifest the package's manifest
   * @param reports its reports, in manifest order
   * @param gateReasons why the gate refused the package; empty when it passed
   * @param signature how the package's signature stands ("verified: signed by ...", or "not
   *     verified")
   * @param generated when this page was made
   */
  public static String render(
      Manifest manifest, List<ScanReport> reports, List<Reason> gateReasons, String signature,
      Instant generated) {
    Objects.requireNonNull(manifest, "manifest");
    boolean pass = gateReasons.isEmpty();
    StringBuilder h = Html.pageStart("Scan report: " + manifest.name() + " " + manifest.version(), CSS);
    h.append("<h1>Anti-virus scan report</h1>\n<table>\n");
    row(h, "Package", manifest.name() + " " + manifest.version() + " for " + manifest.neType()
        + ", by " + manifest.vendor());
    row(h, "Payload", manifest.files().size() + " files, " + manifest.payloadBytes() + " bytes");
    row(h, "Payload digest (RIM)", manifest.rim().algorithm() + " " + manifest.rim().digest());
    row(h, "Signature", signature);
    row(h, "Requirements", "AV-1 scanned by engines; AV-2 published only when clean; AV-3 the"
        + " package carries its reports");
    h.append("<tr><th>Publication gate</th><td class=\"").append(pass ? "PASS" : "FAIL")
        .append("\">").append(pass ? "PASS" : "FAIL").append("</td></tr>\n");
    row(h, "Generated", generated.toString());
    h.append("</table>\n");
    if (!pass) {
      h.append("<h2>Why the gate refuses this package</h2>\n<table><tr><th>Code</th><th>Subject</th>"
          + "<th>Message</th></tr>\n");
      for (Reason r : gateReasons) {
        h.append("<tr><td><code>").append(escape(r.code().name())).append("</code></td><td>")
            .append(escape(r.subject() == null ? "" : r.subject())).append("</td><td>")
            .append(escape(r.message())).append("</td></tr>\n");
      }
      h.append("</table>\n");
    }
    if (reports.isEmpty()) {
      h.append("<p class=\"FAIL\">The package carries no scan report.</p>\n");
    }
    int n = 0;
    for (ScanReport r : reports) {
      EngineInfo e = r.engine();
      n++;
      h.append("<h2>Engine ").append(n).append(": ").append(escape(e.product())).append(' ')
          .append(escape(e.engineVersion())).append(" — <span class=\"").append(r.verdict().name())
          .append("\">").append(r.verdict().name()).append("</span></h2>\n<table>\n");
      row(h, "Engine kind", e.kind());
      row(h, "Product", e.product());
      row(h, "Engine version", e.engineVersion());
      row(h, "Signature database version", e.databaseVersion() == null ? "not reported" : e.databaseVersion());
      row(h, "Signature database date", e.databaseDate() == null ? "not reported" : e.databaseDate().toString());
      row(h, "Reached at", e.endpoint());
      row(h, "Scanning host", r.scanHost());
      row(h, "Scanner", r.scanner());
      row(h, "Started", r.started().toString());
      row(h, "Finished", r.finished().toString());
      row(h, "Payload digest scanned", r.payloadDigest()
          + (r.payloadDigest().equals(manifest.rim().digest()) ? " (this package)" : " (NOT this package)"));
      for (String note : r.notes()) {
        row(h, "Note", note);
      }
      h.append("</table>\n<table><tr><th>File</th><th>Result</th><th>Signature</th><th>Detail</th></tr>\n");
      for (FileResult f : r.files()) {
        h.append("<tr class=\"").append(f.status().name()).append("\"><td><code>")
            .append(escape(f.path())).append("</code></td><td class=\"").append(f.status().name())
            .append("\">").append(f.status().name()).append("</td><td>")
            .append(escape(f.signature() == null ? "" : f.signature())).append("</td><td>")
            .append(escape(f.detail() == null ? "" : f.detail())).append("</td></tr>\n");
      }
      h.append("</table>\n");
    }
    h.append("</body></html>\n");
    return h.toString();
  }

  private static void row(StringBuilder h, String name, String value) {
    h.append("<tr><th>").append(escape(name)).append("</th><td>").append(escape(value))
        .append("</td></tr>\n");
  }
}
