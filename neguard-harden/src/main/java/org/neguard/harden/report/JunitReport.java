package org.neguard.harden.report;

import java.io.StringWriter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;
import org.neguard.harden.eval.Evaluation;
import org.neguard.harden.eval.RequirementResult;
import org.neguard.harden.eval.Verdict;
import org.neguard.verdict.Reason;

/**
 * The evidence for pipelines in JUnit XML (the de-facto schema CI servers read): one suite per
 * TS 33.117 test case, one test per requirement. FAIL is a {@code <failure>}, INCONCLUSIVE is
 * a {@code <failure type="INCONCLUSIVE">} too (a pipeline must not pass on it), NOT_TESTED is
 * {@code <skipped>}.
 *
 * <p>Thread-safe (stateless).
 */
public final class JunitReport {
  private JunitReport() {}

  /** The XML document. */
  public static String render(Evaluation e, String generator) {
    StringWriter out = new StringWriter();
    try {
      XMLStreamWriter w = XMLOutputFactory.newFactory().createXMLStreamWriter(out);
      w.writeStartDocument("UTF-8", "1.0");
      w.writeCharacters("\n");
      List<TestCaseResult> cases = TestCaseResult.of(e);
      int tests = 0;
      int failures = 0;
      int skipped = 0;
      for (TestCaseResult t : cases) {
        for (String id : t.requirements()) {
          tests++;
          Verdict v = verdict(e, t, id);
          failures += v == Verdict.FAIL || v == Verdict.INCONCLUSIVE ? 1 : 0;
          skipped += v == Verdict.NOT_TESTED ? 1 : 0;
        }
      }
      w.writeStartElement("testsuites");
      w.writeAttribute("name", "NEGuard hardening audit of " + Text.clean(e.observation().host()));
      w.writeAttribute("tests", Integer.toString(tests));
      w.writeAttribute("failures", Integer.toString(failures));
      w.writeAttribute("errors", "0");
      w.writeAttribute("skipped", Integer.toString(skipped));
      w.writeCharacters("\n");
      for (TestCaseResult t : cases) {
        suite(w, e, t, generator);
      }
      w.writeEndElement();
      w.writeCharacters("\n");
      w.writeEndDocument();
      w.close();
    } catch (XMLStreamException ex) {
      throw new IllegalStateException("writing XML to a string cannot fail", ex);
    }
    return out.toString();
  }

  private static void suite(XMLStreamWriter w, Evaluation e, TestCaseResult t, String generator)
      throws XMLStreamException {
    int tests = t.requirements().size();
    long failures = t.requirements().stream().map(id -> verdict(e, t, id))
        .filter(v -> v == Verdict.FAIL || v == Verdict.INCONCLUSIVE).count();
    long skipped = t.requirements().stream().map(id -> verdict(e, t, id))
        .filter(v -> v == Verdict.NOT_TESTED).count();
    double seconds = e.observation().started().until(e.observation().finished(),
        ChronoUnit.MILLIS) / 1000.0;
    w.writeStartElement("testsuite");
    w.writeAttribute("name", t.id());
    w.writeAttribute("tests", Integer.toString(tests));
    w.writeAttribute("failures", Long.toString(failures));
    w.writeAttribute("errors", "0");
    w.writeAttribute("skipped", Long.toString(skipped));
    w.writeAttribute("time", Double.toString(Math.max(0, seconds)));
    w.writeAttribute("timestamp", e.observation().started().toString());
    w.writeAttribute("hostname", Text.clean(e.observation().scanner() == null ? "unknown"
        : e.observation().scanner()));
    w.writeCharacters("\n");
    w.writeStartElement("properties");
    property(w, "reference", t.reference());
    property(w, "purpose", t.purpose());
    property(w, "expected", t.expected());
    property(w, "actual", t.actual());
    property(w, "verdict", t.verdict().name());
    property(w, "host", e.observation().host());
    property(w, "source", e.observation().source());
    property(w, "tool", e.observation().tool());
    property(w, "started", e.observation().started().toString());
    property(w, "finished", e.observation().finished().toString());
    property(w, "complete", Boolean.toString(e.observation().complete()));
    property(w, "policy", e.policy().neType() + " " + e.policy().source() + " sha256:"
        + e.policy().sha256());
    property(w, "generator", generator);
    for (var p : e.observation().parameters().entrySet()) {
      property(w, "parameter." + p.getKey(), p.getValue());
    }
    w.writeEndElement();
    w.writeCharacters("\n");
    for (String id : t.requirements()) {
      RequirementResult r = e.requirement(id).orElse(null);
      Verdict v = verdict(e, t, id);
      w.writeStartElement("testcase");
      w.writeAttribute("classname", t.id());
      w.writeAttribute("name", id + (r == null ? "" : ": " + Text.clean(r.title())));
      if (v == Verdict.NOT_TESTED) {
        w.writeStartElement("skipped");
        w.writeAttribute("message", Text.clean(r == null ? "not tested" : r.actual()));
        w.writeEndElement();
      } else if (v != Verdict.PASS) {
        w.writeStartElement("failure");
        w.writeAttribute("type", v.name());
        w.writeAttribute("message", Text.clean(r == null ? v.name() : r.actual()));
        StringBuilder body = new StringBuilder();
        body.append("expected: ").append(r == null ? "" : r.expected()).append('\n');
        body.append("actual: ").append(r == null ? "" : r.actual()).append('\n');
        for (Reason reason : t.discrepancies()) {
          body.append(reason.code()).append("  ").append(reason.message()).append('\n');
        }
        w.writeCharacters(Text.clean(body.toString()));
        w.writeEndElement();
      } else {
        w.writeStartElement("system-out");
        w.writeCharacters(Text.clean("expected: " + r.expected() + "\nactual: " + r.actual()));
        w.writeEndElement();
      }
      w.writeEndElement();
      w.writeCharacters("\n");
    }
    w.writeEndElement();
    w.writeCharacters("\n");
  }

  private static Verdict verdict(Evaluation e, TestCaseResult t, String id) {
    if (t.verdict() == Verdict.NOT_TESTED) {
      return Verdict.NOT_TESTED;
    }
    return e.requirement(id).map(RequirementResult::verdict).orElse(Verdict.INCONCLUSIVE);
  }

  private static void property(XMLStreamWriter w, String name, String value)
      throws XMLStreamException {
    w.writeEmptyElement("property");
    w.writeAttribute("name", Text.clean(name));
    w.writeAttribute("value", Text.clean(value == null ? "" : value));
  }
}
