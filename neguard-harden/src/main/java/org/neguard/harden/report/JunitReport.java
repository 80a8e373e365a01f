package org.neguard.harden.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.evidence.JunitXml;
import org.neguard.evidence.Suite;
import org.neguard.evidence.TestCase;
import org.neguard.harden.Observation;
import org.neguard.harden.eval.Evaluation;
import org.neguard.harden.eval.RequirementResult;
import org.neguard.harden.eval.Verdict;

/**
 * The evidence for pipelines in JUnit XML: one suite per TS 33.117 test case, one test per
 * requirement, written by {@link JunitXml} (FAIL and INCONCLUSIVE fail a pipeline, NOT_TESTED is
 * skipped).
 *
 * <p>Thread-safe (stateless).
 */
public final class JunitReport {
  private JunitReport() {}

  /** The XML document. */
  public static String render(Evaluation e, String generator) {
    List<Suite> suites = new ArrayList<>();
    for (TestCaseResult t : TestCaseResult.of(e)) {
      suites.add(suite(e, t, generator));
    }
    return JunitXml.render("NEGuard hardening audit of " + e.observation().host(), suites);
  }

  private static Suite suite(Evaluation e, TestCaseResult t, String generator) {
    Observation o = e.observation();
    Map<String, String> props = new LinkedHashMap<>();
    props.put("reference", t.reference());
    props.put("purpose", t.purpose());
    props.put("expected", t.expected());
    props.put("actual", t.actual());
    props.put("verdict", t.verdict().name());
    props.put("host", o.host());
    props.put("source", o.source());
    props.put("tool", o.tool());
    props.put("started", o.started().toString());
    props.put("finished", o.finished().toString());
    props.put("complete", Boolean.toString(o.complete()));
    props.put("policy", e.policy().neType() + " " + e.policy().source() + " sha256:"
        + e.policy().sha256());
    props.put("generator", generator);
    o.parameters().forEach((k, v) -> props.put("parameter." + k, v));
    if (t.id().equals(TestCaseResult.VULNERABILITY_SCANNING)) {
      // The database, its feeds' dates and the method: what the vulnerability verdict rests on.
      e.vulnerabilities().input().ifPresent(in -> {
        props.put("vulndb", in.database());
        props.put("vulndb.current", Boolean.toString(in.stale().isEmpty()));
        in.assessment().feeds().forEach(f -> props.put("feed." + f.name(), f.kind() + " newest "
            + f.newest() + " imported " + f.imported() + " sha256:" + f.sha256()));
        props.put("method", in.assessment().method());
        props.put("packages", in.packages());
        props.put("failOn", in.failOn().name());
      });
    }
    List<String> discrepancies = t.discrepancies().stream()
        .map(r -> r.code() + "  " + r.message()).toList();
    List<TestCase> cases = new ArrayList<>();
    for (String id : t.requirements()) {
      RequirementResult r = e.requirement(id).orElse(null);
      Verdict v = t.verdict() == Verdict.NOT_TESTED ? Verdict.NOT_TESTED
          : r == null ? Verdict.INCONCLUSIVE : r.verdict();
      cases.add(new TestCase(id, List.of(id), r == null ? null : r.title(), v.outcome(), null,
          null, List.of(), r == null ? null : r.expected(), r == null ? null : r.actual(),
          discrepancies));
    }
    return new Suite(t.id(), cases, props, o.started(), o.finished(),
        o.scanner() == null ? "unknown" : o.scanner());
  }
}
