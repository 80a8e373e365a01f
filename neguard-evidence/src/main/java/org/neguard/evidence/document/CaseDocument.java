package org.neguard.evidence.document;

import static org.neguard.html.Html.escape;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.neguard.evidence.HtmlEvidence;
import org.neguard.evidence.JsonEvidence;
import org.neguard.evidence.Outcome;
import org.neguard.evidence.TestCase;

/**
 * An evidence document of test cases judged from a server's records (the hardening and the
 * authorization documents of the console's Evidence page): its JSON and HTML, written from the
 * same values, and one overall verdict.
 *
 * @param title the document's title
 * @param generatedAt when it was judged
 * @param verdict {@link #verdict}: {@code FAIL}, {@code PASS} or {@code NOT_DEMONSTRATED}
 * @param summary one line: how many cases came out how
 * @param json the document as JSON (UTF-8)
 * @param html the document as one self-contained HTML page
 */
public record CaseDocument(String title, Instant generatedAt, String verdict, String summary,
    byte[] json, String html) {
  public CaseDocument {
    Objects.requireNonNull(title, "title");
    Objects.requireNonNull(generatedAt, "generatedAt");
    Objects.requireNonNull(verdict, "verdict");
    json = json.clone();
  }

  @Override
  public byte[] json() {
    return json.clone();
  }

  /**
   * The overall verdict of {@code cases}: {@code FAIL} when one blocks (failed, inconclusive or
   * broke: never read as a pass), else {@code PASS} when one passed, else {@code
   * NOT_DEMONSTRATED} (nothing was judged: an empty fleet is no evidence).
   */
  public static String verdict(List<TestCase> cases) {
    if (cases.stream().anyMatch(c -> c.outcome().blocks())) {
      return "FAIL";
    }
    return cases.stream().anyMatch(c -> c.outcome() == Outcome.PASS) ? "PASS"
        : "NOT_DEMONSTRATED";
  }

  /**
   * Writes a document: {@code introHtml} (already escaped) under the title, the cases as an
   * overview table and each in the SCAS shape, {@code sourceJson} as the JSON's
   * {@code observed} (what the judgement read).
   */
  public static CaseDocument of(String title, Instant generatedAt, String source,
      String introHtml, List<TestCase> cases, Map<String, Object> sourceJson) {
    String verdict = verdict(cases);
    String summary = cases.size() + " test case(s): " + count(cases, Outcome.PASS) + " passed, "
        + (count(cases, Outcome.FAIL) + count(cases, Outcome.ERROR)
            + count(cases, Outcome.INCONCLUSIVE)) + " failed or undecided, "
        + count(cases, Outcome.NOT_TESTED) + " not demonstrated";
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("title", title);
    doc.put("generatedAt", generatedAt.toString());
    doc.put("source", source);
    doc.put("verdict", verdict);
    doc.put("summary", summary);
    doc.put("testCases", JsonEvidence.testCases(cases));
    doc.put("observed", sourceJson);
    StringBuilder h = HtmlEvidence.begin(title);
    h.append("<p>Generated at ").append(escape(generatedAt.toString())).append(" from ")
        .append(escape(source)).append(". Overall verdict: <span class=\"v ")
        .append("NOT_DEMONSTRATED".equals(verdict) ? "NOT_TESTED" : verdict).append("\">")
        .append(escape(verdict.replace('_', ' '))).append("</span> (").append(escape(summary))
        .append(").</p>\n").append(introHtml);
    HtmlEvidence.caseTable(h, cases);
    cases.forEach(c -> HtmlEvidence.caseDetail(h, c));
    return new CaseDocument(title, generatedAt, verdict, summary, JsonEvidence.bytes(doc),
        HtmlEvidence.end(h));
  }

  private static long count(List<TestCase> cases, Outcome o) {
    return cases.stream().filter(c -> c.outcome() == o).count();
  }
}
