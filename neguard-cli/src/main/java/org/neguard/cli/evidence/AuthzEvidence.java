package org.neguard.cli.evidence;

import static org.neguard.html.Html.escape;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.neguard.api.audit.AuditRecord;
import org.neguard.api.audit.AuditVerification;
import org.neguard.api.auth.CreateUserRequest;
import org.neguard.api.auth.CreatedUser;
import org.neguard.api.auth.Endpoint;
import org.neguard.api.auth.IssueTokenRequest;
import org.neguard.api.auth.LoginRequest;
import org.neguard.api.auth.Role;
import org.neguard.api.auth.RoleName;
import org.neguard.api.auth.Token;
import org.neguard.api.auth.User;
import org.neguard.api.auth.WhoAmI;
import org.neguard.api.pkg.PackageInfo;
import org.neguard.api.pkg.TrustInfo;
import org.neguard.api.problem.ProblemReason;
import org.neguard.evidence.HtmlEvidence;
import org.neguard.evidence.JsonEvidence;
import org.neguard.evidence.JunitXml;
import org.neguard.evidence.Outcome;
import org.neguard.evidence.Suite;
import org.neguard.evidence.TestCase;
import org.neguard.cli.support.ServerClient;
import org.neguard.cli.support.ServerProblemException;
import org.neguard.io.AtomicFiles;
import org.neguard.pkg.BundleBuilder;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Collects SRC-1/SRC-2/SRC-3 evidence from a live server and writes it as HTML, JSON and JUnit
 * XML in the SCAS test-case style (name, purpose, procedure, expected, actual, verdict). The RBAC matrix is
 * what the server enforces, found by calling every endpoint it lists, with no credential and as
 * a fresh probe user of each single role; probes are requests an admitted caller would see
 * refused on their content, so they change nothing. Not thread-safe.
 */
final class AuthzEvidence {
  static final List<String> ROLES = List.of("admin", "publisher", "operator", "approver",
      "auditor");
  static final String PROBE_BODY = "{\"probe\":true}";

  /** Where the evidence went and how it came out. */
  record Result(Path html, Path json, Path junit, int passed, List<String> failed,
      List<String> notTested) {}

  private final ServerClient admin;
  private final List<TestCase> cases = new ArrayList<>();
  private final Map<String, String> probeTokens = new LinkedHashMap<>();
  /** The probe users' passwords by role, for their console sessions. */
  private final Map<String, String> probePasswords = new LinkedHashMap<>();
  private final Map<String, ServerClient.ConsoleProbe> consoleSessions = new LinkedHashMap<>();
  private final List<String> probeUsers = new ArrayList<>();
  /** The probe users by role, and the deployer and second approver of the four-eyes cases. */
  private final Map<String, String> probeNames = new LinkedHashMap<>();
  private DeployEvidence deploy;

  private AuthzEvidence(ServerClient admin) {
    this.admin = admin;
  }

  static Result collect(ServerClient admin, Path outDir) throws IOException, RefusalException {
    return new AuthzEvidence(admin).run(outDir);
  }

  private Result run(Path outDir) throws IOException, RefusalException {
    WhoAmI me = admin.whoami();
    if (!RoleName.holds(me.roles(), Role.ADMIN)) {
      throw new RefusalException(ReasonCode.NOT_AUTHORIZED,
          "evidence authz creates probe users, which needs the admin role; log in as an admin");
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("title", "NEGuard authorization evidence (SRC-1, SRC-2, SRC-3)");
    doc.put("generatedAt", Instant.now().toString());
    doc.put("server", admin.server());
    doc.put("collectedBy", me.username());
    Files.createDirectories(outDir);
    try {
      String tag = createProbeUsers();
      doc.put("roles", roles());
      long startSeq = lastAuditSeq();
      deploy = new DeployEvidence(admin, probeTokens, probeNames, cases, tag);
      deploy.prepare();
      List<Endpoint> endpoints = admin.endpoints();
      List<Map<String, Object>> matrix = matrix(endpoints);
      deploy.agentsPort(endpoints, matrix);
      doc.put("matrix", matrix);
      deploy.fourEyes();
      revokedAndDisabled();
      doc.put("trustAnchors", trust());
      unsignedUpload(outDir);
      doc.put("auditChain", audit(matrix, startSeq));
    } finally {
      if (deploy != null) {
        deploy.cleanUp();
      }
      cleanUp();
    }
    return write(outDir, doc, cases);
  }

  /**
   * Writes the evidence of {@code cases} into {@code outDir}, each file whole or not at all:
   * {@code doc} (title, server, collectedBy, generatedAt, roles, matrix, trustAnchors,
   * auditChain) gains the test cases and the overall verdict.
   */
  static Result write(Path outDir, Map<String, Object> doc, List<TestCase> cases)
      throws IOException {
    doc.put("testCases", JsonEvidence.testCases(cases));
    // Not tested (no package to deploy, say) is reported as such, neither passed nor failed.
    List<String> failed = cases.stream().filter(c -> c.outcome().blocks())
        .map(TestCase::id).toList();
    List<String> notTested = cases.stream().filter(c -> c.outcome() == Outcome.NOT_TESTED)
        .map(TestCase::id).toList();
    doc.put("verdict", failed.isEmpty() ? "pass" : "fail");
    Path json = outDir.resolve("evidence-authz.json");
    Path html = outDir.resolve("evidence-authz.html");
    Path junit = outDir.resolve("evidence-authz-junit.xml");
    AtomicFiles.write(json, JsonEvidence.bytes(doc));
    AtomicFiles.write(html, html(doc, cases).getBytes(StandardCharsets.UTF_8));
    Map<String, String> props = new LinkedHashMap<>();
    props.put("server", (String) doc.get("server"));
    props.put("collectedBy", (String) doc.get("collectedBy"));
    props.put("generatedAt", (String) doc.get("generatedAt"));
    AtomicFiles.write(junit, JunitXml.render((String) doc.get("title"),
        List.of(new Suite("evidence-authz", cases, props, null, null, null)))
        .getBytes(StandardCharsets.UTF_8));
    return new Result(html, json, junit, cases.size() - failed.size() - notTested.size(),
        failed, notTested);
  }

  /** Creates the probe users; returns their random tag. */
  private String createProbeUsers() throws IOException, RefusalException {
    String tag = HexFormat.of().formatHex(new SecureRandom().generateSeed(3));
    for (String role : ROLES) {
      createProbeUser(role, tag, List.of(Role.parse(role)));
    }
    // After the role probes, so that probeUsers.get(ROLES.indexOf(role)) names a role's probe.
    createProbeUser("deployer", tag, List.of(Role.OPERATOR, Role.APPROVER));
    createProbeUser("second-approver", tag, List.of(Role.APPROVER));
    return tag;
  }

  private void createProbeUser(String key, String tag, List<Role> roles)
      throws IOException, RefusalException {
    String name = "evidence-" + key + "-" + tag;
    CreatedUser created = admin.createUser(new CreateUserRequest(name, null, roles));
    probeUsers.add(name);
    probeNames.put(key, name);
    Token t = admin.withToken(null).login(
        new LoginRequest(name, created.password(), "evidence probe", 1L));
    probeTokens.put(key, t.token());
    probePasswords.put(key, created.password());
  }

  /** TC-SRC1-01: which roles exist and who holds them. */
  private Map<String, List<String>> roles() throws IOException, RefusalException {
    Map<String, List<String>> holders = new TreeMap<>();
    ROLES.forEach(r -> holders.put(r, new ArrayList<>()));
    boolean enabledAdmin = false;
    for (User u : admin.users()) {
      String name = u.username();
      boolean disabled = u.disabled();
      if (probeUsers.contains(name)) {
        continue;
      }
      for (RoleName r : u.roles()) {
        // A role this client does not know is listed as written and proves nothing checked here.
        holders.computeIfAbsent(r.known().map(Role::id).orElse(r.id()), k -> new ArrayList<>())
            .add(name + (disabled ? " (disabled)" : ""));
        enabledAdmin |= r.is(Role.ADMIN) && !disabled;
      }
    }
    cases.add(TestCase.of("TC-SRC1-01", "SRC-1", "Roles and their holders",
        "Show which roles exist and which accounts hold them.",
        "GET /api/users as an admin; group the accounts by role (probe users left out).",
        "The five roles admin, publisher, operator, approver, auditor; at least one enabled admin.",
        holders.toString(), enabledAdmin && holders.keySet().containsAll(ROLES)));
    return holders;
  }

  /** TC-SRC1-02 and 03: the enforced matrix. */
  private List<Map<String, Object>> matrix(List<Endpoint> endpoints)
      throws IOException, RefusalException {
    List<Map<String, Object>> rows = new ArrayList<>();
    List<String> unauthenticated = new ArrayList<>();
    List<String> mismatches = new ArrayList<>();
    int checkedNone = 0;
    for (Endpoint e : endpoints) {
      String method = e.method();
      String pattern = e.path();
      String access = e.access();
      List<RoleName> admits = e.roles() == null ? List.of() : e.roles();
      List<String> declared = admits.stream().map(RoleName::id).toList();
      String path = pattern.replaceAll("\\{[^}]+}", "evidence-probe-nothing");
      Map<String, Object> results = new LinkedHashMap<>();
      boolean ok = true;
      boolean console = console(pattern);
      int none = console ? consoleProbe(null, method, path) : probe(method, path, null);
      results.put("none", none);
      if (agentsOnly(pattern)) {
        // The agents' API is served on the agents' port only (mutual TLS with a device
        // certificate): on the users' port every caller, any role or none, gets 404.
        for (String role : ROLES) {
          results.put(role, probe(method, path, probeTokens.get(role)));
        }
        for (Map.Entry<String, Object> r : results.entrySet()) {
          if (!r.getValue().equals(404)) {
            mismatches.add(method + " " + pattern + " as " + r.getKey() + ": the agents' API"
                + " answered " + r.getValue() + " on the users' port, not 404");
            ok = false;
          }
        }
        rows.add(row(method, pattern, access + " (agents' port only)", results, ok));
        continue;
      }
      if (!access.equals("anonymous")) {
        checkedNone++;
        // A console form posted without a session fails its CSRF check first: 403.
        if (none != 401 && !(console && method.equals("POST") && none == 403)) {
          unauthenticated.add(method + " " + pattern + " -> " + none);
          ok = false;
        }
      }
      for (String role : ROLES) {
        int status = console ? consoleProbe(role, method, path)
            : probe(method, path, probeTokens.get(role));
        results.put(role, status);
        boolean admitted = !access.equals("roles") || RoleName.holds(admits, Role.parse(role));
        boolean passed = status != 401 && status != 403;
        if (admitted != passed || (!admitted && status != 403)) {
          mismatches.add(method + " " + pattern + " as " + role + ": declared "
              + (admitted ? "admitted" : "refused") + ", got " + status);
          ok = false;
        }
      }
      rows.add(row(method, pattern, access.equals("roles") ? String.join(",", declared)
          : access, results, ok));
    }
    cases.add(TestCase.of("TC-SRC1-02", "SRC-1", "No credential, no access",
        "Show that no endpoint but login and health can be used without a credential.",
        "Call each of the " + endpoints.size() + " endpoints the server lists, without an"
            + " Authorization header (the web console's pages without a session).",
        "HTTP 401 NOT_AUTHENTICATED on every endpoint that is not anonymous (the agents' API,"
            + " not served on this port, answers 404: TC-SRC1-03); a console page sends to its"
            + " login page (counted as 401), a console form without a session fails its CSRF"
            + " check (403).",
        unauthenticated.isEmpty() ? checkedNone + " endpoints refused with 401"
            : "not refused: " + unauthenticated,
        unauthenticated.isEmpty() && checkedNone > 0));
    cases.add(TestCase.of("TC-SRC1-03", "SRC-1",
        "Only the declared roles are admitted (RBAC matrix as enforced)",
        "Show that each role can call exactly the endpoints it is meant to, so that only"
            + " authorized individuals can initiate and deploy an update.",
        "For each endpoint and each role, call it as a fresh probe user holding only that role,"
            + " with a body the endpoint refuses on its content (so nothing changes); the web"
            + " console's routes with a console session of that user (its form login, its CSRF"
            + " token), since the console accepts no token.",
        "Admitted roles pass authorization (any status but 401/403); the others get HTTP 403"
            + " NOT_AUTHORIZED. The agents' API (/api/device/..., for devices over mutual TLS on"
            + " the agents' port) answers 404 to everyone on the users' port.",
        mismatches.isEmpty() ? endpoints.size() * ROLES.size() + " calls, all as declared"
            : "mismatches: " + mismatches,
        mismatches.isEmpty()));
    return rows;
  }

  /**
   * Whether {@code pattern} is a page of the web console, which admits browser sessions only:
   * probed with a console session of each probe user rather than a token.
   */
  static boolean console(String pattern) {
    return pattern.equals("/console") || pattern.startsWith("/console/");
  }

  /** The status of a console route for {@code role}'s probe user (null: no session). */
  private int consoleProbe(String role, String method, String path)
      throws IOException, RefusalException {
    String key = role == null ? "" : role;
    ServerClient.ConsoleProbe c = consoleSessions.get(key);
    if (c == null) {
      c = role == null ? admin.console(null, null)
          : admin.console(probeNames.get(role), probePasswords.get(role));
      consoleSessions.put(key, c);
    }
    return c.status(method, path);
  }

  /** Whether {@code pattern} is of the agents' API, which the users' port does not serve. */
  static boolean agentsOnly(String pattern) {
    return pattern.startsWith("/api/device/");
  }

  private static Map<String, Object> row(String method, String pattern, String declared,
      Map<String, Object> results, boolean ok) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("method", method);
    row.put("path", pattern);
    row.put("declared", declared);
    row.put("results", results);
    row.put("matches", ok);
    return row;
  }

  private int probe(String method, String path, String token)
      throws IOException, RefusalException {
    boolean body = method.equals("POST") || method.equals("PUT") || method.equals("PATCH");
    HttpResponse<String> r = admin.probe(method, path, body ? PROBE_BODY : null, token);
    return r.statusCode();
  }

  /** TC-SRC1-04 and 05. */
  private void revokedAndDisabled() throws IOException, RefusalException {
    ServerClient operator = admin.withToken(probeTokens.get("operator"));
    Token extra = operator.issueToken(new IssueTokenRequest("evidence revoked", 1L));
    String token = extra.token();
    int before = probe("GET", "/api/packages", token);
    operator.revokeToken(extra.id());
    int after = probe("GET", "/api/packages", token);
    cases.add(TestCase.of("TC-SRC1-04", "SRC-1", "A revoked token is refused",
        "Show that revoking a credential takes effect at once.",
        "Issue a token to the operator probe user, call GET /api/packages, revoke the token,"
            + " call again.",
        "200 before, 401 after.", before + " before, " + after + " after",
        before == 200 && after == 401));
    String auditorUser = probeUsers.get(ROLES.indexOf("auditor"));
    int enabled = probe("GET", "/api/audit", probeTokens.get("auditor"));
    admin.setDisabled(auditorUser, true);
    int disabled = probe("GET", "/api/audit", probeTokens.get("auditor"));
    cases.add(TestCase.of("TC-SRC1-05", "SRC-1", "A disabled user's token is refused",
        "Show that disabling an account removes its access at once, tokens included.",
        "Call GET /api/audit as the auditor probe user, disable the user, call again.",
        "200 before, 401 after.", enabled + " before, " + disabled + " after",
        enabled == 200 && disabled == 401));
  }

  /** TC-SRC2-01. */
  private List<Map<String, Object>> trust() throws IOException, RefusalException {
    List<Map<String, Object>> anchors = new ArrayList<>();
    String problem = null;
    try {
      for (TrustInfo.Anchor a : admin.trust().anchors()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("subject", a.subject());
        m.put("fingerprint", a.fingerprint());
        m.put("notAfter", a.notAfter());
        anchors.add(m);
      }
    } catch (RefusalException e) {
      problem = first(e).message();
    } catch (ServerProblemException e) {
      problem = first(e).message();
    }
    cases.add(TestCase.of("TC-SRC2-01", "SRC-2", "Ingest trusts only configured anchors",
        "Show the vendor trust anchors that every uploaded package must chain to.",
        "GET /api/trust.",
        "At least one anchor; each listed with subject and SHA-256 fingerprint.",
        problem != null ? problem : anchors.size() + " anchor(s): "
            + anchors.stream().map(a -> a.get("subject")).toList(),
        problem == null && !anchors.isEmpty()));
    return anchors;
  }

  /** TC-SRC2-02: an unsigned package is refused and nothing is stored. */
  private void unsignedUpload(Path outDir) throws IOException, RefusalException {
    Path work = Files.createTempDirectory(outDir, ".probe-");
    try {
      Path tree = Files.createDirectories(work.resolve("tree"));
      Files.writeString(tree.resolve("probe.txt"), "evidence probe\n");
      Path bundle = work.resolve("evidence-probe.ngp");
      BundleBuilder.builder().name("evidence-probe").version("0.0.0").securityVersion(0)
          .neType("probe").vendor("NEGuard evidence").threads(1).build().build(tree, bundle);
      // Counted by the probe's own name: other publishers' uploads meanwhile change nothing here.
      int before = probePackages();
      String actual;
      boolean pass;
      try {
        admin.withToken(probeTokens.get("publisher")).uploadPackage(bundle);
        actual = "accepted";
        pass = false;
      } catch (RefusalException e) {
        actual = first(e).toString();
        pass = e.code() == ReasonCode.UNSIGNED;
      } catch (ServerProblemException e) {
        // A newer server's code, recorded as written: a refusal, but not the one required.
        actual = first(e).toString();
        pass = false;
      }
      int after = probePackages();
      pass &= after == before;
      cases.add(TestCase.of("TC-SRC2-02", "SRC-2", "An unsigned package is refused",
          "Show that a package from an unverified source is not accepted.",
          "As the publisher probe user, upload a freshly built, unsigned bundle.",
          "Refused with UNSIGNED; no package of the probe's name is stored.",
          actual + "; packages named evidence-probe: " + before + " before, " + after + " after",
          pass));
    } finally {
      try (var s = Files.walk(work)) {
        for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /**
   * How many of the matrix's 401/403 answers there were, and how many of them are found as
   * their own denied ACCESS (on the agents' port also DEVICE_AUTHENTICATE) row (the probe's
   * user, method and path). A count of all denied rows would let anyone else's refused requests
   * stand in for missing ones.
   */
  static long[] refusalsRecorded(List<Map<String, Object>> matrix, List<String> probeUsers,
      List<AuditRecord> rows) {
    return refusalsRecorded(matrix, probeUsers, rows, new ArrayList<>());
  }

  /** {@link #refusalsRecorded}, adding to {@code missing} the refusals found in no row. */
  static long[] refusalsRecorded(List<Map<String, Object>> matrix, List<String> probeUsers,
      List<AuditRecord> rows, List<String> missing) {
    Map<String, Integer> expected = new HashMap<>();
    long denials = 0;
    for (Map<String, Object> row : matrix) {
      String target = row.get("method") + " "
          + ((String) row.get("path")).replaceAll("\\{[^}]+}", "evidence-probe-nothing");
      for (Map.Entry<?, ?> r : ((Map<?, ?>) row.get("results")).entrySet()) {
        Object status = r.getValue();
        if (status.equals(401) || status.equals(403)) {
          String who = r.getKey().equals("none") || status.equals(401) ? "anonymous"
              : probeUsers.get(ROLES.indexOf((String) r.getKey()));
          expected.merge(who + " " + target, 1, Integer::sum);
          denials++;
        }
      }
    }
    long recorded = 0;
    for (AuditRecord r : rows) {
      String key = r.actor() + " " + r.target();
      // The agents' port refuses any Authorization header (a user's token) before the
      // endpoint's access check, as DEVICE_AUTHENTICATE.
      boolean access = "ACCESS".equals(r.action()) || "DEVICE_AUTHENTICATE".equals(r.action());
      if (access && "denied".equals(r.outcome())
          && expected.getOrDefault(key, 0) > 0) {
        expected.merge(key, -1, Integer::sum);
        recorded++;
      }
    }
    expected.forEach((k, n) -> {
      if (n > 0) {
        missing.add(k + (n > 1 ? " (" + n + " times)" : ""));
      }
    });
    return new long[] {denials, recorded};
  }

  private int probePackages() throws IOException, RefusalException {
    int n = 0;
    for (PackageInfo p : admin.packages()) {
      n += "evidence-probe".equals(p.name()) ? 1 : 0;
    }
    return n;
  }

  /** TC-SRC3-01..03. */
  private long lastAuditSeq() throws IOException, RefusalException {
    List<AuditRecord> last = admin.audit(0, 1, true);
    return last.isEmpty() ? 0 : last.get(0).seq();
  }

  private Map<String, Object> audit(List<Map<String, Object>> matrix, long startSeq)
      throws IOException, RefusalException {
    List<AuditRecord> rows = new ArrayList<>();
    long after = startSeq;
    while (true) {
      List<AuditRecord> page = admin.audit(after, 1000, false);
      for (AuditRecord r : page) {
        rows.add(r);
        after = r.seq();
      }
      if (page.size() < 1000) {
        break;
      }
    }
    List<String> missing = new ArrayList<>();
    long[] found = refusalsRecorded(matrix, probeUsers, rows, missing);
    long denials = found[0];
    long recorded = found[1];
    cases.add(TestCase.of("TC-SRC3-01", "SRC-3", "Every refusal is recorded",
        "Show that refused attempts leave a trace in the audit log.",
        "Match each 401/403 answer of TC-SRC1-02/03/06 to a denied ACCESS row (on the agents'"
            + " port: ACCESS or DEVICE_AUTHENTICATE) the audit log gained during the probes,"
            + " with the same user, method and path.",
        "A denied row for each refusal, naming the probe's user and the request.",
        denials + " refusals, " + recorded + " of them found as denied rows"
            + (missing.isEmpty() ? "" : "; not found: "
                + missing.subList(0, Math.min(10, missing.size()))),
        recorded == denials));
    List<String> writable = new ArrayList<>();
    for (String m : List.of("PUT", "PATCH", "DELETE", "POST")) {
      for (String p : List.of("/api/audit", "/api/audit/1")) {
        int s = admin.probe(m, p, "{}", probeTokens.get("admin")).statusCode();
        if (s != 404 && s != 405) {
          writable.add(m + " " + p + " -> " + s);
        }
      }
    }
    cases.add(TestCase.of("TC-SRC3-02", "SRC-3", "No endpoint changes or deletes audit rows",
        "Show that the audit log cannot be edited through the API.",
        "As an admin, send PUT, PATCH, DELETE and POST to /api/audit and /api/audit/1.",
        "404 or 405 for each.", writable.isEmpty() ? "404/405 for each" : writable.toString(),
        writable.isEmpty()));
    AuditVerification v = admin.verifyAudit();
    Map<String, Object> chain = new LinkedHashMap<>();
    chain.put("intact", v.intact());
    chain.put("rows", v.rows());
    if (v.headHash() != null) {
      chain.put("headHash", v.headHash());
    } else {
      chain.put("firstBadSeq", v.firstBadSeq() == null ? 0L : v.firstBadSeq());
      chain.put("problem", v.problem() == null ? "" : v.problem());
    }
    cases.add(TestCase.of("TC-SRC3-03", "SRC-3", "The audit hash chain verifies",
        "Show that no audit row was altered or deleted since it was written.",
        "GET /api/audit/verify: the server recomputes SHA-256 over every row and its"
            + " predecessor's hash, and compares the last with the recorded head.",
        "intact", v.intact() ? "intact, " + chain.get("rows") + " rows, head "
            + chain.get("headHash") : "broken at row " + chain.get("firstBadSeq") + ": "
            + chain.get("problem"),
        v.intact()));
    deploy.refusalsAudited(rows);
    return chain;
  }

  private void cleanUp() {
    for (String token : probeTokens.values()) {
      try {
        admin.revokeToken(token.substring(4, 20));
      } catch (IOException | RefusalException | ServerProblemException e) {
        // best effort: the tokens expire within the hour anyway
      }
    }
    for (String user : probeUsers) {
      try {
        admin.setDisabled(user, true);
      } catch (IOException | RefusalException | ServerProblemException e) {
        // already disabled (TC-SRC1-05)
      }
    }
  }

  /**
   * The first reason of a refusal of the server, as evidence records it: its code as written,
   * so that a newer server's code the client does not know is kept, not replaced.
   */
  static ProblemReason first(RefusalException e) {
    return ProblemReason.of(e.reasons().get(0));
  }

  /** {@link #first(RefusalException)} of a refusal with a code this client does not know. */
  static ProblemReason first(ServerProblemException e) {
    return e.problem().reasons().get(0);
  }

  @SuppressWarnings("unchecked")
  private static String html(Map<String, Object> doc, List<TestCase> cases) {
    StringBuilder h = HtmlEvidence.begin((String) doc.get("title"));
    h.append("<p>Server <code>").append(escape(doc.get("server")))
        .append("</code>, collected by <code>").append(escape(doc.get("collectedBy")))
        .append("</code> at ").append(escape(doc.get("generatedAt")))
        .append(". Overall verdict: ").append(HtmlEvidence.badge("pass".equals(doc.get("verdict"))
            ? Outcome.PASS : Outcome.FAIL)).append(".</p>\n");
    h.append("<h2>Test cases</h2>\n");
    HtmlEvidence.caseTable(h, cases);
    h.append("<h2>Roles and holders</h2>\n<table><tr><th>Role</th><th>Holders</th></tr>\n");
    for (Map.Entry<String, List<String>> e
        : ((Map<String, List<String>>) doc.get("roles")).entrySet()) {
      h.append("<tr><td>").append(escape(e.getKey())).append("</td><td>")
          .append(escape(String.join(", ", e.getValue()))).append("</td></tr>\n");
    }
    h.append("</table>\n<h2>RBAC matrix as enforced</h2>\n<p>HTTP status of each probe; 401/403"
        + " are refusals. A row is marked FAIL when an answer differs from the declared access."
        + "</p>\n<table><tr><th>Endpoint</th><th>Declared</th><th>none</th>");
    ROLES.forEach(r -> h.append("<th>").append(escape(r)).append("</th>"));
    h.append("<th></th></tr>\n");
    for (Map<String, Object> row : (List<Map<String, Object>>) doc.get("matrix")) {
      boolean ok = Boolean.TRUE.equals(row.get("matches"));
      h.append(ok ? "<tr>" : "<tr class=\"bad\">").append("<td><code>")
          .append(escape(row.get("method"))).append(' ').append(escape(row.get("path")))
          .append("</code></td><td>").append(escape(row.get("declared"))).append("</td>");
      for (Object s : ((Map<String, Object>) row.get("results")).values()) {
        h.append("<td>").append(escape(s)).append("</td>");
      }
      h.append("<td>").append(HtmlEvidence.badge(ok ? Outcome.PASS : Outcome.FAIL))
          .append("</td></tr>\n");
    }
    h.append("</table>\n<h2>Trust anchors for ingest</h2>\n<table><tr><th>Subject</th>"
        + "<th>SHA-256 fingerprint</th><th>Not after</th></tr>\n");
    for (Map<String, Object> a : (List<Map<String, Object>>) doc.get("trustAnchors")) {
      h.append("<tr><td>").append(escape(a.get("subject"))).append("</td><td><code>")
          .append(escape(a.get("fingerprint"))).append("</code></td><td>")
          .append(escape(a.get("notAfter"))).append("</td></tr>\n");
    }
    Map<String, Object> chain = (Map<String, Object>) doc.get("auditChain");
    h.append("</table>\n<h2>Audit chain</h2>\n<p>").append(escape(chain)).append("</p>\n");
    return HtmlEvidence.end(h);
  }
}
