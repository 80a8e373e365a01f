package org.neguard.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/** The shared evidence model: one test case, three formats, nothing hostile gets through raw. */
class EvidenceWritersTest {
  static final String HOSTILE = "<script>alert('x')</script>\u0001\u001b[31m&\"";

  static TestCase tc(String id, Outcome o) {
    return new TestCase(id, List.of("REQ-1", "REQ-2"), "title of " + id, o, "TS 33.117 §4.4.2",
        "purpose", List.of("step one", "  cmd --flag", "step two"), "expected " + id,
        "actual " + HOSTILE, List.of("detail " + HOSTILE));
  }

  static Suite suite() {
    return new Suite("suite " + HOSTILE,
        List.of(tc("P", Outcome.PASS), tc("F", Outcome.FAIL), tc("I", Outcome.INCONCLUSIVE),
            tc("N", Outcome.NOT_TESTED), tc("E", Outcome.ERROR)),
        Map.of("tool", HOSTILE), Instant.parse("2026-11-23T10:00:00Z"),
        Instant.parse("2026-11-23T10:02:00Z"), "scanner");
  }

  @Test
  void junitIsWellFormedAndMapsEveryOutcome() throws Exception {
    String xml = JunitXml.render("title " + HOSTILE, List.of(suite()));

    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    Document d = f.newDocumentBuilder()
        .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    Element root = d.getDocumentElement();
    assertThat(root.getTagName()).isEqualTo("testsuites");
    assertThat(root.getAttribute("tests")).isEqualTo("5");
    assertThat(root.getAttribute("failures")).isEqualTo("2");
    assertThat(root.getAttribute("errors")).isEqualTo("1");
    assertThat(root.getAttribute("skipped")).isEqualTo("1");
    Element suite = (Element) d.getElementsByTagName("testsuite").item(0);
    assertThat(suite.getAttribute("time")).isEqualTo("120.0");
    assertThat(suite.getAttribute("timestamp")).isEqualTo("2026-11-23T10:00:00Z");
    assertThat(d.getElementsByTagName("testcase").getLength()).isEqualTo(5);
    assertThat(d.getElementsByTagName("failure").getLength()).isEqualTo(2);
    assertThat(((Element) d.getElementsByTagName("failure").item(1)).getAttribute("type"))
        .isEqualTo("INCONCLUSIVE");
    assertThat(d.getElementsByTagName("error").getLength()).isEqualTo(1);
    assertThat(d.getElementsByTagName("skipped").getLength()).isEqualTo(1);
    assertThat(d.getElementsByTagName("system-out").item(0).getTextContent())
        .startsWith("expected: expected P\nactual: actual <script>");
    assertThat(d.getElementsByTagName("error").item(0).getTextContent())
        .contains("detail <script>");
    assertThat(xml).doesNotContain("\u0001", "\u001b").contains("name=\"P: title of P\"");
  }

  @Test
  void jsonKeepsEveryFieldAndLeavesNullsOut() throws Exception {
    TestCase bare = new TestCase("X", List.of("R"), "t", Outcome.PASS, null, null, List.of(),
        "e", "a", List.of());
    JsonNode j = new ObjectMapper().readTree(JsonEvidence.bytes(
        Map.of("testCases", JsonEvidence.testCases(List.of(tc("F", Outcome.FAIL), bare)))));

    JsonNode f = j.get("testCases").get(0);
    assertThat(f.get("verdict").asText()).isEqualTo("FAIL");
    assertThat(f.get("reference").asText()).isEqualTo("TS 33.117 §4.4.2");
    assertThat(f.get("requirements").toString()).isEqualTo("[\"REQ-1\",\"REQ-2\"]");
    assertThat(f.get("procedure")).hasSize(3);
    assertThat(f.get("details").get(0).asText()).isEqualTo("detail " + HOSTILE);
    JsonNode b = j.get("testCases").get(1);
    assertThat(b.has("reference")).isFalse();
    assertThat(b.has("purpose")).isFalse();
    assertThat(b.has("details")).isFalse();
  }

  @Test
  void htmlEscapesEverythingAndForbidsScripts() {
    StringBuilder h = HtmlEvidence.begin("Evidence of " + HOSTILE);
    HtmlEvidence.caseTable(h, suite().cases());
    HtmlEvidence.caseDetail(h, tc("F", Outcome.FAIL));
    String html = HtmlEvidence.end(h);

    assertThat(html).startsWith("<!DOCTYPE html>").endsWith("</body></html>\n")
        .contains("Content-Security-Policy", "default-src 'none'")
        .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", "&amp;&quot;")
        .contains("<span class=\"v NOT_TESTED\">NOT TESTED</span>", "<code>cmd --flag</code>")
        .contains("Test case F (TS 33.117 §4.4.2)", "Procedure executed", "Actual result")
        .doesNotContain("<script", "\u0001", "\u001b");
  }
}
