package org.neguard.evidence;

import static org.neguard.html.Html.escape;

import java.util.List;
import org.neguard.html.Html;

/**
 * Evidence for a certifier: one self-contained HTML page, inline CSS, no script and no external
 * resource (a Content-Security-Policy forbids them), every text escaped. A document starts with
 * {@link #begin}, adds the sections it needs (its test cases with {@link #caseTable} or {@link
 * #caseDetail}, its own tables with {@link #row} and {@link #badge}) and ends with {@link #end}.
 *
 * <p>Thread-safe (stateless).
 */
public final class HtmlEvidence {
  private static final String CSS = """
      body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
      h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
      table{border-collapse:collapse;width:100%;margin:.5em 0}
      th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}
      th{background:#f3f3f3}code,pre{font-family:ui-monospace,monospace;font-size:.92em}
      pre{white-space:pre-wrap;background:#f7f7f7;padding:.5em}
      .v{font-weight:bold;padding:1px 6px;border-radius:3px}
      .PASS{background:#d9f2d9;color:#185c18}.FAIL,.ERROR{background:#f8d0d0;color:#8a1010}
      .INCONCLUSIVE{background:#fde9b8;color:#6b4a00}.NOT_TESTED{background:#e6e6e6;color:#444}
      tr.bad td{background:#fdeaea}tr.doubt td{background:#fff6dc}
      .muted{color:#666}
      """;

  private HtmlEvidence() {}

  /** The page's head and its {@code <h1>}, both {@code title}; the body is left open. */
  public static StringBuilder begin(String title) {
    StringBuilder h = Html.pageStart(title, CSS);
    h.append("<h1>").append(escape(title)).append("</h1>\n");
    return h;
  }

  /** Closes the page. */
  public static String end(StringBuilder h) {
    return h.append("</body></html>\n").toString();
  }

  /** One table of test cases, a row each: the overview of a document with many small ones. */
  public static void caseTable(StringBuilder h, List<TestCase> cases) {
    h.append("<table><tr><th>ID</th><th>Req.</th><th>Name</th><th>Purpose</th><th>Procedure"
        + "</th><th>Expected</th><th>Actual</th><th>Verdict</th></tr>\n");
    for (TestCase c : cases) {
      h.append("<tr><td>").append(escape(c.id())).append("</td><td>")
          .append(escape(String.join(", ", c.requirements()))).append("</td><td>")
          .append(escape(c.title())).append("</td><td>").append(escape(c.purpose()))
          .append("</td><td>").append(procedure(c.procedure())).append("</td><td>")
          .append(escape(c.expected())).append("</td><td>").append(escape(c.actual()))
          .append("</td><td>").append(badge(c.outcome())).append("</td></tr>\n");
    }
    h.append("</table>\n");
  }

  /** One test case in the SCAS shape: a heading and a table of its parts, one a row. */
  public static void caseDetail(StringBuilder h, TestCase t) {
    h.append("<h2>Test case ").append(escape(t.id()));
    if (t.reference() != null) {
      h.append(" (").append(escape(t.reference())).append(")");
    }
    h.append("</h2>\n<table>\n");
    row(h, "Test name", escape(t.id()) + ": " + escape(t.title()));
    row(h, "Requirements", escape(String.join(", ", t.requirements())));
    row(h, "Purpose", escape(t.purpose()));
    row(h, "Procedure executed", procedure(t.procedure()));
    row(h, "Expected result", escape(t.expected()));
    row(h, "Actual result", escape(t.actual()));
    row(h, "Details", t.details().isEmpty() ? "none" : "<ul><li>" + String.join("</li><li>",
        t.details().stream().map(d -> escape(d)).toList()) + "</li></ul>");
    row(h, "Verdict", badge(t.outcome()));
    h.append("</table>\n");
  }

  /** A row of a two-column table: {@code name} is escaped, {@code valueHtml} is not. */
  public static void row(StringBuilder h, String name, String valueHtml) {
    h.append("<tr><th style=\"width:14em\">").append(escape(name)).append("</th><td>")
        .append(valueHtml).append("</td></tr>\n");
  }

  /** An outcome, coloured. */
  public static String badge(Outcome o) {
    return "<span class=\"v " + o.name() + "\">" + o.name().replace('_', ' ') + "</span>";
  }

  /** Steps as a numbered list; a step that starts with two spaces is code under the one before. */
  private static String procedure(List<String> steps) {
    StringBuilder proc = new StringBuilder("<ol>");
    for (String step : steps) {
      if (step.startsWith("  ")) {
        proc.append("<br><code>").append(escape(step.strip())).append("</code>");
      } else {
        proc.append(proc.length() > 4 ? "</li>" : "").append("<li>").append(escape(step));
      }
    }
    return proc.append(proc.length() > 4 ? "</li>" : "").append("</ol>").toString();
  }
}
