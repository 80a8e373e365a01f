package org.neguard.harden.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.evidence.JsonEvidence;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.ProcessInfo;
import org.neguard.harden.ProtocolProbe;
import org.neguard.harden.SnmpAccess;
import org.neguard.harden.eval.Evaluation;
import org.neguard.harden.eval.ObservationDiff;
import org.neguard.harden.eval.PortFinding;
import org.neguard.harden.eval.RequirementResult;
import org.neguard.harden.eval.StaleEntry;
import org.neguard.harden.policy.AllowedPort;
import org.neguard.harden.policy.ForbiddenRule;
import org.neguard.harden.policy.Policy;
import org.neguard.harden.policy.Waiver;
import org.neguard.verdict.Reason;

/**
 * The JSON form of the evidence ({@value #FORMAT}), as ordered maps and lists ready for any JSON
 * writer: what {@code hardening-evidence.json} holds and what {@code harden check --json} prints.
 * SNMP community strings are never included, only their length, unless they are the
 * well-known defaults.
 *
 * <p>Thread-safe (stateless).
 */
public final class EvidenceJson {
  /** The evidence format's name and version. */
  public static final String FORMAT = "neguard-hardening-evidence/1";

  private EvidenceJson() {}

  /** The whole evidence for an evaluation. */
  public static Map<String, Object> of(Evaluation e, String generator) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", FORMAT);
    m.put("generator", generator);
    m.put("evaluated", e.evaluated().toString());
    m.put("result", e.verdict().name());
    m.put("host", e.observation().host());
    m.put("neType", e.policy().neType());
    m.put("testCases", testCases(TestCaseResult.of(e)));
    List<Map<String, Object>> reqs = new ArrayList<>();
    for (RequirementResult r : e.requirements()) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("id", r.id());
      x.put("title", r.title());
      x.put("verdict", r.verdict().name());
      x.put("expected", r.expected());
      x.put("actual", r.actual());
      reqs.add(x);
    }
    m.put("requirements", reqs);
    m.put("procedure", procedure(e.observation()));
    m.put("policy", policy(e.policy()));
    List<Map<String, Object>> ports = new ArrayList<>();
    for (PortFinding f : e.findings()) {
      Map<String, Object> x = port(f.port());
      x.put("status", f.status().name());
      put(x, "declaredService", f.declaredService());
      put(x, "rule", f.rule());
      if (!f.requirements().isEmpty()) {
        x.put("requirements", f.requirements().stream().sorted().toList());
      }
      if (f.reason() != null) {
        x.put("discrepancy", reason(f.reason()));
      }
      put(x, "note", f.note());
      ports.add(x);
    }
    m.put("ports", ports);
    List<Map<String, Object>> stale = new ArrayList<>();
    for (StaleEntry s : e.stale()) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("port", s.entry().key().toString());
      x.put("service", s.entry().service());
      x.put("note", s.note());
      stale.add(x);
    }
    m.put("stale", stale);
    m.put("vulnerabilities", VulnerabilityEvidence.json(e.vulnerabilities(),
        e.policy().vulnerabilityWaivers()));
    m.put("reasons", reasons(e.reasons()));
    return m;
  }

  static List<Map<String, Object>> testCases(List<TestCaseResult> cases) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (TestCaseResult t : cases) {
      Map<String, Object> x = JsonEvidence.testCase(t.toTestCase());
      // Structured here, as in "reasons": a pipeline reads the codes, not the detail lines.
      x.remove("details");
      x.put("discrepancies", reasons(t.discrepancies()));
      out.add(x);
    }
    return out;
  }

  static Map<String, Object> procedure(Observation o) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("source", o.source());
    m.put("host", o.host());
    m.put("scanner", o.scanner());
    m.put("tool", o.tool());
    m.put("started", o.started().toString());
    m.put("finished", o.finished().toString());
    m.put("complete", o.complete());
    m.put("parameters", o.parameters());
    m.put("notes", o.notes());
    if (!o.protocolProbes().isEmpty()) {
      // What the protocol-version rules were judged on (docs/HARDENING.md, "Protocol versions").
      List<Map<String, Object>> probes = new ArrayList<>();
      for (ProtocolProbe r : o.protocolProbes()) {
        Map<String, Object> x = new LinkedHashMap<>();
        x.put("protocol", r.protocol());
        x.put("version", r.version());
        x.put("port", r.transport().name().toLowerCase(java.util.Locale.ROOT) + "/" + r.port());
        x.put("request", r.request());
        x.put("result", r.result().name());
        put(x, "detail", r.detail());
        probes.add(x);
      }
      m.put("protocolProbes", probes);
    }
    return m;
  }

  static Map<String, Object> policy(Policy p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("neType", p.neType());
    put(m, "description", p.description());
    m.put("source", p.source());
    m.put("sha256", p.sha256());
    List<Map<String, Object>> allowed = new ArrayList<>();
    for (AllowedPort a : p.allowed()) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("port", a.key().toString());
      x.put("service", a.service());
      x.put("justification", a.justification());
      if (a.restricted()) {
        x.put("reachableOn", a.reachableOn().stream().map(Object::toString).toList());
        x.put("reachableOnInterfaces", a.interfaces());
      }
      if (a.protocol() != null) {
        x.put("versions", a.protocol().versions());
      }
      allowed.add(x);
    }
    m.put("allowed", allowed);
    List<Map<String, Object>> forbidden = new ArrayList<>();
    for (ForbiddenRule r : p.forbidden()) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("id", r.id());
      x.put("title", r.title());
      x.put("origin", r.origin().name());
      x.put("kind", r.kind().name());
      x.put("ports", r.ports().stream().map(Object::toString).toList());
      x.put("source", r.source());
      x.put("why", r.why());
      x.put("waived", p.waivedEntirely(r));
      forbidden.add(x);
    }
    m.put("forbidden", forbidden);
    List<Map<String, Object>> waivers = new ArrayList<>();
    for (Waiver w : p.waivers()) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("rule", w.rule());
      put(x, "port", w.port() == null ? null : w.port().toString());
      x.put("reason", w.reason());
      put(x, "reference", w.reference());
      waivers.add(x);
    }
    m.put("waivers", waivers);
    return m;
  }

  /** One observed port (the raw list). */
  static Map<String, Object> port(ObservedPort p) {
    Map<String, Object> x = new LinkedHashMap<>();
    x.put("port", p.transport().name().toLowerCase(java.util.Locale.ROOT) + "/" + p.port());
    x.put("address", p.address());
    x.put("state", p.state().name());
    put(x, "service", p.service());
    put(x, "cpe", p.cpe());
    put(x, "evidence", p.evidence());
    ProcessInfo proc = p.process();
    if (proc != null) {
      Map<String, Object> pm = new LinkedHashMap<>();
      pm.put("pid", proc.pid());
      put(pm, "name", proc.name());
      put(pm, "executable", proc.executable());
      put(pm, "user", proc.user());
      x.put("process", pm);
    }
    if (!p.snmp().isEmpty()) {
      List<Map<String, Object>> snmp = new ArrayList<>();
      for (SnmpAccess s : p.snmp()) {
        Map<String, Object> sm = new LinkedHashMap<>();
        sm.put("version", s.version());
        sm.put("community", community(s.community()));
        sm.put("access", s.access().name());
        put(sm, "detail", s.detail());
        snmp.add(sm);
      }
      x.put("snmp", snmp);
    }
    return x;
  }

  /** A diff of two observations. */
  public static Map<String, Object> diff(ObservationDiff d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("same", d.same());
    m.put("before", procedure(d.before()));
    m.put("after", procedure(d.after()));
    List<Map<String, Object>> changes = new ArrayList<>();
    for (ObservationDiff.Change c : d.changes()) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("kind", c.kind().name());
      x.put("port", c.key());
      if (c.before() != null) {
        x.put("before", port(c.before()));
      }
      if (c.after() != null) {
        x.put("after", port(c.after()));
      }
      if (!c.what().isEmpty()) {
        x.put("what", c.what());
      }
      changes.add(x);
    }
    m.put("changes", changes);
    return m;
  }

  static String community(String c) {
    return SnmpAccess.shown(c);
  }

  static List<Map<String, Object>> reasons(List<Reason> reasons) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Reason r : reasons) {
      out.add(reason(r));
    }
    return out;
  }

  static Map<String, Object> reason(Reason r) {
    Map<String, Object> x = new LinkedHashMap<>();
    x.put("code", r.code().name());
    x.put("message", r.message());
    put(x, "subject", r.subject());
    return x;
  }

  private static void put(Map<String, Object> m, String k, Object v) {
    if (v != null) {
      m.put(k, v);
    }
  }
}
