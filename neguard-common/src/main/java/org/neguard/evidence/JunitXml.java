package org.neguard.evidence;

import static org.neguard.html.Html.xmlSafe;

import java.io.StringWriter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * Evidence for pipelines in JUnit XML, the de-facto schema CI servers read: a {@code
 * <testsuite>} per {@link Suite}, a {@code <testcase>} per {@link TestCase}. FAIL and
 * INCONCLUSIVE are a {@code <failure type="...">} (a pipeline must not pass on either), ERROR is
 * an {@code <error>}, NOT_TESTED is {@code <skipped>}, PASS carries expected and actual in its
 * {@code <system-out>}.
 *
 * <p>Thread-safe (stateless).
 */
public final class JunitXml {
  private JunitXml() {}

  /** The XML document, {@code <testsuites name="title">} around the suites. */
  public static String render(String title, List<Suite> suites) {
    StringWriter out = new StringWriter();
    try {
      XMLStreamWriter w = XMLOutputFactory.newFactory().createXMLStreamWriter(out);
      w.writeStartDocument("UTF-8", "1.0");
      w.writeCharacters("\n");
      w.writeStartElement("testsuites");
      w.writeAttribute("name", xmlSafe(title));
      counts(w, suites.stream().flatMap(s -> s.cases().stream()).toList());
      w.writeCharacters("\n");
      for (Suite s : suites) {
        suite(w, s);
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

  private static void counts(XMLStreamWriter w, List<TestCase> cases) throws XMLStreamException {
    long failures = cases.stream()
        .filter(c -> c.outcome() == Outcome.FAIL || c.outcome() == Outcome.INCONCLUSIVE).count();
    long errors = cases.stream().filter(c -> c.outcome() == Outcome.ERROR).count();
    long skipped = cases.stream().filter(c -> c.outcome() == Outcome.NOT_TESTED).count();
    w.writeAttribute("tests", Integer.toString(cases.size()));
    w.writeAttribute("failures", Long.toString(failures));
    w.writeAttribute("errors", Long.toString(errors));
    w.writeAttribute("skipped", Long.toString(skipped));
  }

  private static void suite(XMLStreamWriter w, Suite s) throws XMLStreamException {
    w.writeStartElement("testsuite");
    w.writeAttribute("name", xmlSafe(s.name()));
    counts(w, s.cases());
    if (s.started() != null && s.finished() != null) {
      double seconds = s.started().until(s.finished(), ChronoUnit.MILLIS) / 1000.0;
      w.writeAttribute("time", Double.toString(Math.max(0, seconds)));
    }
    if (s.started() != null) {
      w.writeAttribute("timestamp", s.started().toString());
    }
    if (s.hostname() != null) {
      w.writeAttribute("hostname", xmlSafe(s.hostname()));
    }
    w.writeCharacters("\n");
    if (!s.properties().isEmpty()) {
      w.writeStartElement("properties");
      for (Map.Entry<String, String> p : s.properties().entrySet()) {
        w.writeEmptyElement("property");
        w.writeAttribute("name", xmlSafe(p.getKey()));
        w.writeAttribute("value", xmlSafe(p.getValue()));
      }
      w.writeEndElement();
      w.writeCharacters("\n");
    }
    for (TestCase c : s.cases()) {
      testCase(w, s.name(), c);
    }
    w.writeEndElement();
    w.writeCharacters("\n");
  }

  private static void testCase(XMLStreamWriter w, String suite, TestCase c)
      throws XMLStreamException {
    w.writeStartElement("testcase");
    w.writeAttribute("classname", xmlSafe(suite));
    w.writeAttribute("name", xmlSafe(c.title() == null ? c.id() : c.id() + ": " + c.title()));
    String expectedActual = "expected: " + nz(c.expected()) + "\nactual: " + nz(c.actual());
    switch (c.outcome()) {
      case PASS -> {
        w.writeStartElement("system-out");
        w.writeCharacters(xmlSafe(expectedActual));
        w.writeEndElement();
      }
      case NOT_TESTED -> {
        w.writeStartElement("skipped");
        w.writeAttribute("message", xmlSafe(c.actual() == null ? "not tested" : c.actual()));
        w.writeEndElement();
      }
      case FAIL, INCONCLUSIVE, ERROR -> {
        w.writeStartElement(c.outcome() == Outcome.ERROR ? "error" : "failure");
        w.writeAttribute("type", c.outcome().name());
        w.writeAttribute("message", xmlSafe(c.actual() == null ? c.outcome().name() : c.actual()));
        StringBuilder body = new StringBuilder(expectedActual).append('\n');
        c.details().forEach(d -> body.append(d).append('\n'));
        w.writeCharacters(xmlSafe(body.toString()));
        w.writeEndElement();
      }
      default -> throw new AssertionError(c.outcome());
    }
    w.writeEndElement();
    w.writeCharacters("\n");
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
