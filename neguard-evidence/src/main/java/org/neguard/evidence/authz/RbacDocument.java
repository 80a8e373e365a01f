package org.neguard.evidence.authz;

import static org.neguard.html.Html.escape;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.neguard.api.audit.AuditRecord;
import org.neguard.api.auth.Endpoint;
import org.neguard.api.auth.RoleName;
import org.neguard.evidence.Outcome;
import org.neguard.evidence.TestCase;
import org.neguard.evidence.document.CaseDocument;

/**
 * The authorization evidence a server can give of itself (SRC-1, SRC-3): the access every route
 * it serves declares, as its enforcement reads it (the RBAC matrix), judged against the rules
 * of SRC-1 (who initiates, approves, publishes, administers), and the refusals its audit log
 * recorded. It does not claim that the declarations are enforced: that is shown from outside,
 * by the probes of {@code neguard evidence authz}, and the document says so (a test case not
 * demonstrated here). Thread-safe (stateless).
 */
public final class RbacDocument {
  public static final String TITLE = "NEGuard authorization evidence: the declared access of"
      + " every route and the refusals recorded (SRC-1, SRC-3)";
  private static final int MAX_DETAILS = 50;

  private RbacDocument() {}

  /** A rule of SRC-1: the routes it covers (by method and path) and the roles they may admit. */
  record Rule(String id, String title, String purpose, Predicate<Endpoint> routes,
      Set<String> roles) {}

  static final List<Rule> RULES = List.of(
      new Rule("TC-SRC1-D1", "only operators initiate deployments and recovery campaigns",
          "Verify that the routes that create a deployment or a recovery campaign admit the"
              + " operator role only.",
          e -> e.method().equals("POST") && (e.path().equals("/api/deployments")
              || e.path().equals("/api/recoveries") || e.path().equals("/console/deployments")
              || e.path().equals("/console/recoveries")), Set.of("operator")),
      new Rule("TC-SRC1-D2", "only approvers approve or reject a deployment",
          "Verify that the routes that approve or reject a deployment admit the approver role"
              + " only (four-eyes is the service's own check, tested by the probes).",
          e -> e.method().equals("POST") && e.path().contains("/deployments/{")
              && (e.path().endsWith("/approve") || e.path().endsWith("/reject")),
          Set.of("approver")),
      new Rule("TC-SRC1-D3", "only publishers upload packages",
          "Verify that the routes that store a package admit the publisher role only.",
          e -> e.method().equals("POST") && (e.path().equals("/api/packages")
              || e.path().equals("/console/packages")), Set.of("publisher")),
      new Rule("TC-SRC1-D4", "only administrators change accounts and others' tokens",
          "Verify that every route that changes a user account or revokes a token from the"
              + " console admits the admin role only.",
          e -> !e.method().equals("GET") && (e.path().startsWith("/api/users")
              || e.path().startsWith("/console/users")), Set.of("admin")));

  /**
   * The document over the {@code endpoints} the server serves and the {@code refusals} (its
   * audit rows of outcome {@code denied}) it recorded, read from {@code source}.
   */
  public static CaseDocument build(String source, Instant generatedAt, List<Endpoint> endpoints,
      List<AuditRecord> refusals) {
    List<TestCase> cases = new ArrayList<>();
    RULES.forEach(r -> cases.add(rule(r, endpoints)));
    cases.add(refusals(refusals));
    cases.add(new TestCase("TC-SRC1-P1", List.of("SRC-1", "SRC-3"),
        "every declared access is enforced, and each refusal recorded", Outcome.NOT_TESTED,
        null, "Verify by probing from outside that each route refuses the roles it does not"
            + " declare and that each refusal is an audit row.",
        List.of("Not demonstrated by the server about itself; to demonstrate it, run:",
            "  neguard evidence authz --server URL --out DIR"),
        "Each route admits exactly the roles declared above.",
        "not probed: a server's word about its own enforcement is no evidence", List.of()));
    Map<String, Object> observed = new LinkedHashMap<>();
    observed.put("endpoints", endpoints);
    observed.put("refusals", refusals.size());
    StringBuilder intro = new StringBuilder("<p>The matrix below is the access each route"
        + " declares, read from the running server's request mappings as its enforcement reads"
        + " them (every route must declare one, or the server does not start).</p>\n<table>"
        + "<tr><th>Method</th><th>Path</th><th>Access</th><th>Roles</th></tr>\n");
    for (Endpoint e : endpoints) {
      intro.append("<tr><td>").append(escape(e.method())).append("</td><td><code>")
          .append(escape(e.path())).append("</code></td><td>").append(escape(e.access()))
          .append("</td><td>").append(escape(String.join(", ", roles(e)))).append("</td></tr>\n");
    }
    intro.append("</table>\n");
    return CaseDocument.of(TITLE, generatedAt, source, intro.toString(), cases, observed);
  }

  private static Set<String> roles(Endpoint e) {
    Set<String> out = new TreeSet<>();
    if (e.roles() != null) {
      e.roles().stream().map(RoleName::id).forEach(out::add);
    }
    return out;
  }

  /** A rule judged: FAIL when a covered route admits more, or other, than its roles. */
  static TestCase rule(Rule r, List<Endpoint> endpoints) {
    List<String> details = new ArrayList<>();
    int bad = 0;
    int seen = 0;
    for (Endpoint e : endpoints) {
      if (!r.routes().test(e)) {
        continue;
      }
      seen++;
      boolean ok = "roles".equals(e.access()) && !roles(e).isEmpty()
          && r.roles().containsAll(roles(e));
      if (!ok) {
        bad++;
      }
      details.add((ok ? "" : "VIOLATION ") + e.method() + " " + e.path() + ": " + e.access()
          + (roles(e).isEmpty() ? "" : " " + String.join(", ", roles(e))));
    }
    Outcome outcome = bad > 0 ? Outcome.FAIL : seen > 0 ? Outcome.PASS : Outcome.NOT_TESTED;
    return new TestCase(r.id(), List.of("SRC-1"), r.title(), outcome, null, r.purpose(),
        List.of("Read the declared access of every route the server serves",
            "Select the routes of the rule and compare their roles with: "
                + String.join(", ", new TreeSet<>(r.roles()))),
        "Each such route admits " + String.join(", ", new TreeSet<>(r.roles())) + " only.",
        seen + " route(s) covered, " + bad + " admitting more", details);
  }

  /** SRC-3: refusals are audit rows. Without one recorded, nothing is demonstrated. */
  static TestCase refusals(List<AuditRecord> refusals) {
    List<String> details = new ArrayList<>();
    refusals.stream().skip(Math.max(0, refusals.size() - MAX_DETAILS)).forEach(a -> details.add(
        "audit #" + a.seq() + " " + a.occurredAt() + " " + a.actor() + " " + a.action() + " "
            + a.target() + ": " + a.detail()));
    return new TestCase("TC-SRC3-D1", List.of("SRC-3"), "refused requests are recorded",
        refusals.isEmpty() ? Outcome.NOT_TESTED : Outcome.PASS, null,
        "Verify that the audit log holds the requests the server refused, with who and what.",
        List.of("Read the audit log's rows of outcome denied (the last " + MAX_DETAILS
            + " are listed)"),
        "Each refused request is an audit row naming the caller, the route and the reason.",
        refusals.size() + " refusal(s) recorded", details);
  }
}
