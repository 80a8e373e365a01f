package org.neguard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.neguard.progress.ProgressListener;
import org.neguard.server.TestServer.Role;
import org.neguard.vuln.VulnDb;

/**
 * The publication gate's vulnerability half (issue 16; AV-2's "publish only what is clean",
 * HRD-3, SRC-1, SRC-3): the real server on loopback with a vulnerability database imported from
 * OSV records, driven over HTTP. A package whose signed SBOM carries a known vulnerability is
 * refused KNOWN_VULNERABILITY and held, not lost; an approver's reasoned VEX statement re-judges
 * it and publishes it; every doubtful VEX is refused and changes nothing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class VulnGateCases {
  static TestServer s;
  /** The PostgreSQL database of the running suite (null: the embedded one), dropped by stop. */
  private static String database;
  static Path work;
  static String publisher;
  static String approver;

  /**
   * The inetutils advisories of the Debian security tracker, in OSV form as Debian publishes
   * them (the same records as neguard-vuln's fixtures, whose SOURCES.md gives their source and
   * the changelog entries that confirm each fixed version). CVE-2026-24061's CVSS vector is the
   * one NVD published for it (9.8).
   */
  static final Map<String, String> OSV = Map.of(
      "DEBIAN-CVE-2026-24061.json", osv("DEBIAN-CVE-2026-24061", "CVE-2026-24061",
          "inetutils: telnetd: environment options from clients allow privilege escalation",
          "2:2.4-2+deb12u2", ", \"severity\": [{\"type\": \"CVSS_V3\", \"score\":"
              + " \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"}]"),
      "DEBIAN-CVE-2026-28372.json", osv("DEBIAN-CVE-2026-28372", "CVE-2026-28372",
          "inetutils: telnetd: privilege escalation via systemd service credentials of login(1)",
          "2:2.4-2+deb12u3", ""),
      "NEGUARD-TEST-V4-CRITICAL.json", osvV4("NEGUARD-TEST-V4-CRITICAL", "cvss4-critical",
          "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
      "NEGUARD-TEST-V4-HIGH.json", osvV4("NEGUARD-TEST-V4-HIGH", "cvss4-high",
          "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"));

  static String osv(String id, String cve, String summary, String fixed, String severity) {
    return "{\"id\": \"" + id + "\", \"modified\": \"2026-11-20T00:00:00Z\", \"aliases\": [\""
        + cve + "\"], \"summary\": \"" + summary + "\"" + severity + ", \"affected\": [{"
        + "\"package\": {\"ecosystem\": \"Debian:12\", \"name\": \"inetutils\"}, \"ranges\":"
        + " [{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}, {\"fixed\": \""
        + fixed + "\"}]}]}]}";
  }

  /**
   * A fixture advisory (its id, npm package and vector are the tests' own) whose only severity
   * is a CVSS v4.0 vector, as GitHub's advisories now often have: every version before 2.0.0.
   */
  static String osvV4(String id, String npmPackage, String vector) {
    return "{\"id\": \"" + id + "\", \"modified\": \"2026-11-20T00:00:00Z\", \"summary\":"
        + " \"fixture: v4-only advisory\", \"severity\": [{\"type\": \"CVSS_V4\", \"score\":"
        + " \"" + vector + "\"}], \"affected\": [{\"package\": {\"ecosystem\": \"npm\","
        + " \"name\": \"" + npmPackage + "\"}, \"ranges\": [{\"type\": \"SEMVER\","
        + " \"events\": [{\"introduced\": \"0\"}, {\"fixed\": \"2.0.0\"}]}]}]}";
  }

  /** The purl syft writes for this machine's telnetd package at {@code version}. */
  static String telnetd(String version) {
    return "pkg:deb/debian/inetutils-telnetd@" + version.replace(":", "%3A").replace("+", "%2B")
        + "?arch=amd64&upstream=inetutils&distro=debian-12";
  }

  static byte[] sbom(String... purls) {
    StringBuilder c = new StringBuilder();
    for (String p : purls) {
      c.append(c.isEmpty() ? "" : ", ").append("{\"type\": \"library\", \"name\": \"x\","
          + " \"purl\": \"").append(p).append("\"}");
    }
    return ("{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\", \"version\": 1,"
        + " \"components\": [" + c + "]}").getBytes(StandardCharsets.UTF_8);
  }

  static Path importDb(Path dir) throws Exception {
    return importDb(dir, dir.resolve("vulndb"));
  }

  static Path importDb(Path dir, Path db) throws Exception {
    Path zip = dir.resolve("debian-osv.zip");
    try (OutputStream out = Files.newOutputStream(zip); ZipOutputStream z = new ZipOutputStream(out)) {
      for (Map.Entry<String, String> e : OSV.entrySet()) {
        z.putNextEntry(new ZipEntry(e.getKey()));
        z.write(e.getValue().getBytes(StandardCharsets.UTF_8));
        z.closeEntry();
      }
    }
    VulnDb.importFeeds(db, List.of(zip), ProgressListener.NONE);
    return db;
  }

  /**
   * Starts the shared server on PostgreSQL database {@code database} (from {@link TestDb#create},
   * dropped by {@link #stop}), or on the embedded one when it is null.
   */
  static void startOn(String database) throws Exception {
    VulnGateCases.database = database;
    Path dir = Files.createTempDirectory("neguard-vulngate-");
    Path db = importDb(dir);
    // The fixtures are dated 2026-11-20; the freshness rule has its own case below.
    s = TestServer.start(database == null ? null : TestDb.url(database),
        b -> b.vuln(new ServerConfig.Vuln(java.util.Optional.of(db),
            java.time.Duration.ofDays(3650))));
    work = s.dir.resolve("work");
    Files.createDirectories(work);
    publisher = s.token(Role.PUBLISHER);
    approver = s.token(Role.APPROVER);
  }

  static void stop() throws Exception {
    try {
      if (s != null) {
        s.close();
      }
    } finally {
      TestDb.drop(database);
    }
  }

  static Path bundle(String name, String version, long seed, byte[] sbom) throws Exception {
    return Bundles.signed(work, name, version, seed, 20_000, s.pki.codeSigner().material(),
        sbom);
  }

  static Http.Response vex(String name, String version, String token, String document) {
    return s.http.sendRaw("POST", "/api/packages/" + name + "/" + version + "/vex?source=t.json",
        Map.of("Authorization", "Bearer " + token, "Content-Type", "application/json"),
        document.getBytes(StandardCharsets.UTF_8));
  }

  static JsonNode held(String name) {
    for (JsonNode h : s.http.get("/api/packages/held", s.token(Role.AUDITOR)).json()) {
      if (h.path("name").asText().equals(name)) {
        return h;
      }
    }
    return null;
  }

  static String openVex(String vuln, String products, String reason) {
    return "{\"@context\": \"https://openvex.dev/ns/v0.2.0\", \"@id\": \"https://v.example/1\","
        + " \"author\": \"Test Vendor PSIRT\", \"timestamp\": \"2026-12-01T12:00:00Z\","
        + " \"version\": 1, \"statements\": [{\"vulnerability\": {\"name\": \"" + vuln + "\"},"
        + (products == null ? "" : " \"products\": [{\"@id\": \"" + products + "\"}],")
        + " \"status\": \"not_affected\"" + reason + "}]}";
  }

  static void assertNoTrace(Http.Response r) {
    assertThat(r.body()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Test
  @Order(1)
  @DisplayName("AV-2 HRD-3 a package whose signed SBOM carries inetutils-telnetd"
      + " 2:2.4-2+deb12u1 is refused KNOWN_VULNERABILITY naming both CVEs, not published, but"
      + " held with its findings (listed, its file kept across a restart); the same file again"
      + " is refused the same way; another file of that name and version is a CONFLICT")
  void upload_vulnerable_heldNotLost() throws Exception {
    Path b = bundle("telnet-gw", "1.0.0", 1, sbom(telnetd("2:2.4-2+deb12u1")));
    Http.Response r = s.http.upload(b, publisher);
    assertThat(r.status()).as("%s", r).isEqualTo(422);
    assertThat(r.code()).isEqualTo("KNOWN_VULNERABILITY");
    assertThat(r.body()).contains("held, not published", "CVE-2026-24061", "CVE-2026-28372",
        "neguard pkg vex telnet-gw 1.0.0", "inetutils-telnetd");
    assertNoTrace(r);
    assertThat(s.http.get("/api/packages/telnet-gw/1.0.0", s.token(Role.OPERATOR)).status())
        .isEqualTo(404);
    assertThat(s.http.get("/api/packages", publisher).body()).doesNotContain("telnet-gw");
    String sha = IngestTest.sha256(b);
    assertThat(s.storedFiles()).contains("packages/" + sha + ".ngp");
    JsonNode h = held("telnet-gw");
    assertThat(h).isNotNull();
    assertThat(h.path("state").asText()).isEqualTo("held");
    assertThat(h.path("sha256").asText()).isEqualTo(sha);
    assertThat(h.path("failOn").asText()).isEqualTo("CRITICAL");
    assertThat(h.path("findings").findValuesAsText("advisoryId"))
        .containsExactlyInAnyOrder("DEBIAN-CVE-2026-24061", "DEBIAN-CVE-2026-28372");
    assertThat(h.path("findings").findValuesAsText("failing")).containsOnly("true");

    Http.Response again = s.http.upload(b, publisher);
    assertThat(again.status()).isEqualTo(422);
    assertThat(again.code()).isEqualTo("KNOWN_VULNERABILITY");
    Path other = bundle("telnet-gw", "1.0.0", 2, sbom(telnetd("2:2.4-2+deb12u1")));
    Http.Response conflict = s.http.upload(other, publisher);
    assertThat(conflict.status()).as("%s", conflict).isEqualTo(409);
    assertThat(conflict.code()).isEqualTo("CONFLICT");
    assertThat(s.storedFiles()).doesNotContain("packages/" + IngestTest.sha256(other) + ".ngp");

    s = s.restart();
    assertThat(s.storedFiles()).as("a restart keeps a held package's file")
        .contains("packages/" + sha + ".ngp");
    assertThat(held("telnet-gw")).isNotNull();
    String audit = s.http.get("/api/audit?tail=true&limit=50", s.adminToken()).body();
    assertThat(audit).contains("KNOWN_VULNERABILITY: held, not published");
  }

  @Test
  @Order(2)
  @DisplayName("AV-2 a VEX 'not affected' without a justification, one for another version of"
      + " the component, one naming it by a versionless purl prefix, one about another"
      + " vulnerability, a VEX with duplicate keys: each refused, nothing stored, still held;"
      + " a publisher may not add one (SRC-1)")
  void vex_doubtful_refused_stillHeld() {
    String bare = openVex("CVE-2026-24061", null, "");
    Http.Response r = vex("telnet-gw", "1.0.0", approver, bare);
    assertThat(r.status()).as("%s", r).isEqualTo(422);
    assertThat(r.code()).isEqualTo("MALFORMED");
    assertThat(r.body()).contains("without a reason");
    assertNoTrace(r);
    String reason = ", \"justification\": \"vulnerable_code_not_present\"";
    for (String product : List.of(telnetd("2:2.4-2+deb12u3"), "pkg:deb/debian/inetutils-telnetd",
        "pkg:deb/debian/inetutils-telnetd@2:2.4-2+deb12u1",
        telnetd("2:2.4-2+deb12u1").replace("telnetd", "telnetd-x"))) {
      Http.Response other = vex("telnet-gw", "1.0.0", approver,
          openVex("CVE-2026-24061", product, reason));
      assertThat(other.status()).as(product + ": %s", other).isEqualTo(400);
      assertThat(other.body()).contains("applies to a finding", "Nothing was stored");
    }
    Http.Response otherVuln = vex("telnet-gw", "1.0.0", approver,
        openVex("CVE-2023-40303", null, reason));
    assertThat(otherVuln.status()).isEqualTo(400);
    Http.Response dup = vex("telnet-gw", "1.0.0", approver,
        openVex("CVE-2026-24061", null, reason).replace("\"status\": \"not_affected\"",
            "\"status\": \"affected\", \"status\": \"not_affected\""));
    assertThat(dup.status()).isEqualTo(422);
    assertThat(dup.code()).isEqualTo("MALFORMED");
    Http.Response byPublisher = vex("telnet-gw", "1.0.0", publisher,
        openVex("CVE-2026-24061", null, reason));
    assertThat(byPublisher.status()).isEqualTo(403);
    Http.Response huge = s.http.sendRaw("POST", "/api/packages/telnet-gw/1.0.0/vex",
        Map.of("Authorization", "Bearer " + approver), new byte[(4 << 20) + 1]);
    assertThat(huge.status()).as("%s", huge).isEqualTo(413);
    assertThat(huge.code()).isEqualTo("SIZE_LIMIT");
    JsonNode h = held("telnet-gw");
    assertThat(h.path("state").asText()).isEqualTo("held");
    assertThat(h.path("vexDocuments").asInt()).isZero();
    assertThat(h.path("findings").findValuesAsText("failing")).containsOnly("true");
  }

  @Test
  @Order(3)
  @DisplayName("AV-2 SRC-3 an approver's reasoned VEX for one CVE (its exact purl, qualifiers in"
      + " another order) leaves the package held with the other; a CycloneDX VEX for the"
      + " other publishes it: listed, downloadable, both statements stored and audited")
  void vex_reasoned_rejudges_thenPublishes() throws Exception {
    String purl = "pkg:deb/debian/inetutils-telnetd@2:2.4-2+deb12u1"
        + "?distro=debian-12&upstream=inetutils&arch=amd64";
    Http.Response first = vex("telnet-gw", "1.0.0", approver, openVex("CVE-2026-24061", purl,
        ", \"justification\": \"vulnerable_code_not_in_execute_path\", \"impact_statement\":"
            + " \"telnetd is installed but never started: no inetd entry, port 23 closed\""));
    assertThat(first.status()).as("%s", first).isEqualTo(200);
    assertThat(first.json().path("state").asText()).isEqualTo("held");
    assertThat(first.json().path("vexDocuments").asInt()).isEqualTo(1);
    JsonNode findings = first.json().path("findings");
    assertThat(findings.get(0).path("advisoryId").asText()).isEqualTo("DEBIAN-CVE-2026-28372");
    assertThat(findings.get(0).path("failing").asBoolean()).isTrue();
    assertThat(findings.get(1).path("failing").asBoolean()).isFalse();
    assertThat(findings.get(1).path("vex").path("status").asText()).isEqualTo("NOT_AFFECTED");
    assertThat(findings.get(1).path("vex").path("impactStatement").asText())
        .contains("never started");
    assertThat(s.http.get("/api/packages/telnet-gw/1.0.0", publisher).status()).isEqualTo(404);

    String cdx = "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\", \"metadata\":"
        + " {\"timestamp\": \"2026-12-02T09:00:00Z\", \"authors\": [{\"name\": \"PSIRT\"}]},"
        + " \"vulnerabilities\": [{\"id\": \"CVE-2026-28372\", \"analysis\": {\"state\":"
        + " \"not_affected\", \"justification\": \"requires_environment\", \"detail\":"
        + " \"needs systemd service credentials for login(1); the NE runs no systemd\"}}]}";
    Http.Response second = vex("telnet-gw", "1.0.0", approver, cdx);
    assertThat(second.status()).as("%s", second).isEqualTo(200);
    assertThat(second.json().path("state").asText()).isEqualTo("published");
    assertThat(second.json().path("releasedBy").asText()).isEqualTo("u-approver");
    assertThat(second.json().path("findings").findValuesAsText("failing")).containsOnly("false");
    Http.Response got = s.http.get("/api/packages/telnet-gw/1.0.0", s.token(Role.OPERATOR));
    assertThat(got.status()).isEqualTo(200);
    assertThat(got.json().path("uploadedBy").asText()).isEqualTo("u-publisher");
    assertThat(s.http.get("/api/packages/telnet-gw/1.0.0/bundle", s.token(Role.OPERATOR))
        .status()).isEqualTo(200);
    assertThat(held("telnet-gw")).isNull();
    try (var c = s.db(); var st = c.createStatement();
        var rs = st.executeQuery("SELECT COUNT(*), MIN(source) FROM package_vex"
            + " WHERE name = 'telnet-gw'")) {
      rs.next();
      assertThat(rs.getInt(1)).as("both documents stored as sent").isEqualTo(2);
    }
    String audit = s.http.get("/api/audit?tail=true&limit=20", s.adminToken()).body();
    assertThat(audit).contains("PACKAGE_VEX", "PACKAGE_PUBLISH", "u-approver");

    Http.Response after = vex("telnet-gw", "1.0.0", approver, cdx);
    assertThat(after.status()).isEqualTo(409);
    assertThat(after.code()).isEqualTo("CONFLICT");
  }

  @Test
  @Order(4)
  @DisplayName("AV-2 a package whose SBOM names the fixed version 2:2.4-2+deb12u3 is published"
      + " at once; one without an SBOM too (--require-sbom is off by default)")
  void upload_clean_published() throws Exception {
    Http.Response r = s.http.upload(bundle("telnet-gw", "1.0.1", 3,
        sbom(telnetd("2:2.4-2+deb12u3"), "pkg:npm/left-pad@1.3.0")), publisher);
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    Http.Response none = s.http.upload(Bundles.signed(work, "no-sbom", "1.0.0", 4, 20_000,
        s.pki.codeSigner().material()), publisher);
    assertThat(none.status()).as("%s", none).isEqualTo(201);
  }

  @Test
  @Order(5)
  @DisplayName("AV-2 an SBOM with duplicate keys, or a component of an impossible Debian"
      + " version, is refused MALFORMED: nothing stored, nothing held")
  void upload_brokenSbom_refused() throws Exception {
    int files = s.storedFiles().size();
    byte[] dup = ("{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\", \"components\":"
        + " [{\"type\": \"library\", \"name\": \"x\", \"purl\": \"" + telnetd("2:2.4-2+deb12u3")
        + "\", \"purl\": \"" + telnetd("2:2.4-2+deb12u1") + "\"}]}")
        .getBytes(StandardCharsets.UTF_8);
    for (byte[] bad : List.of(dup, sbom(telnetd("2:2.4-2+deb12u1").replace("2%3A", "x%3A")))) {
      Http.Response r = s.http.upload(bundle("broken-sbom", "1.0.0", 5, bad), publisher);
      assertThat(r.status()).as("%s", r).isEqualTo(422);
      assertThat(r.code()).isEqualTo("MALFORMED");
      assertNoTrace(r);
    }
    assertThat(s.storedFiles()).hasSize(files);
    assertThat(held("broken-sbom")).isNull();
  }

  @Test
  @Order(6)
  @DisplayName("AV-2 SRC-3 approvers posting VEX for one held package at once (8 threads, half"
      + " for each CVE, three packages): one publication each; every document stored and"
      + " audited with the judgement it got, or refused CONFLICT with its reason and not"
      + " stored; no statement lost (the package ends published, as the two CVEs' statements"
      + " together require)")
  void vex_concurrent_consistent() throws Exception {
    int threads = 8;
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(threads);
    try {
      for (int round = 0; round < 3; round++) {
        String version = "2.0." + round;
        String target = "package race-gw " + version;
        Http.Response up = s.http.upload(bundle("race-gw", version, 100 + round,
            sbom(telnetd("2:2.4-2+deb12u1"))), publisher);
        assertThat(up.code()).as("%s", up).isEqualTo("KNOWN_VULNERABILITY");
        long auditBefore = auditRows(target).size();
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
        List<java.util.concurrent.Future<Http.Response>> posts = new java.util.ArrayList<>();
        for (int i = 0; i < threads; i++) {
          String cve = i % 2 == 0 ? "CVE-2026-24061" : "CVE-2026-28372";
          String doc = openVex(cve, null, ", \"justification\": \"component_not_present\","
              + " \"impact_statement\": \"approver " + i + ": telnetd removed at build\"");
          posts.add(pool.submit(() -> {
            start.await(30, java.util.concurrent.TimeUnit.SECONDS);
            return vex("race-gw", version, approver, doc);
          }));
        }
        int stored = 0;
        int conflicts = 0;
        for (java.util.concurrent.Future<Http.Response> f : posts) {
          Http.Response r = f.get(120, java.util.concurrent.TimeUnit.SECONDS);
          assertNoTrace(r);
          if (r.status() == 200) {
            stored++;
          } else {
            assertThat(r.status()).as("%s", r).isEqualTo(409);
            assertThat(r.code()).isEqualTo("CONFLICT");
            assertThat(r.body()).contains("published already");
            conflicts++;
          }
        }
        assertThat(stored + conflicts).isEqualTo(threads);
        assertThat(stored).as("both CVEs needed a statement").isGreaterThanOrEqualTo(2);
        Http.Response got = s.http.get("/api/packages/race-gw/" + version, publisher);
        assertThat(got.status()).as("published, as the statements together require")
            .isEqualTo(200);
        assertThat(held("race-gw")).isNull();
        try (var c = s.db(); var st = c.prepareStatement("SELECT COUNT(*) FROM package_vex"
            + " WHERE name = 'race-gw' AND version = ?")) {
          st.setString(1, version);
          try (var rs = st.executeQuery()) {
            rs.next();
            assertThat(rs.getInt(1)).as("each answered 200 is stored, no other").isEqualTo(stored);
          }
        }
        List<JsonNode> rows = auditRows(target);
        assertThat(rows).hasSize((int) auditBefore + threads + 1);
        assertThat(rows.stream().filter(r -> r.path("action").asText().equals("PACKAGE_VEX")
            && r.path("outcome").asText().equals("success"))).hasSize(stored);
        assertThat(rows.stream().filter(r -> r.path("action").asText().equals("PACKAGE_VEX")
            && r.path("outcome").asText().equals("failure")
            && r.path("detail").asText().startsWith("CONFLICT: "))).hasSize(conflicts);
        assertThat(rows.stream().filter(r -> r.path("action").asText()
            .equals("PACKAGE_PUBLISH"))).as("round %d: one publication", round).hasSize(1);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** The audit rows about {@code target}, oldest first. */
  static List<JsonNode> auditRows(String target) {
    List<JsonNode> out = new java.util.ArrayList<>();
    for (JsonNode r : s.http.get("/api/audit?tail=true&limit=10000", s.adminToken()).json()) {
      if (r.path("target").asText().equals(target)) {
        out.add(r);
      }
    }
    return out;
  }

  @Test
  @DisplayName("AV-2 with --require-sbom a bundle without an SBOM is refused SCAN_POLICY; with"
      + " a --vulndb that holds no database an SBOM cannot be judged: refused"
      + " ENGINE_UNAVAILABLE; once feeds older than --vulndb-max-age are imported (no restart),"
      + " refused SCAN_POLICY naming the feed; never published on doubt, nothing stored")
  void requireSbom_andMissingDatabase_refused() throws Exception {
    Path empty = Files.createTempDirectory("neguard-vulngate-empty-");
    try (TestServer t = TestServer.start(null, b -> b.vuln(new ServerConfig.Vuln(
        java.util.Optional.of(empty), java.time.Duration.ofDays(7)))
        .vulnGate(new ServerConfig.VulnGate(org.neguard.vuln.Severity.HIGH, true)))) {
      Path w = t.dir.resolve("work");
      Files.createDirectories(w);
      String pub = t.token(Role.PUBLISHER);
      Http.Response none = t.http.upload(Bundles.signed(w, "no-sbom", "1.0.0", 6, 20_000,
          t.pki.codeSigner().material()), pub);
      assertThat(none.status()).as("%s", none).isEqualTo(422);
      assertThat(none.code()).isEqualTo("SCAN_POLICY");
      assertThat(none.body()).contains("--require-sbom");
      Http.Response noDb = t.http.upload(Bundles.signed(w, "with-sbom", "1.0.0", 7, 20_000,
          t.pki.codeSigner().material(), sbom(telnetd("2:2.4-2+deb12u3"))), pub);
      assertThat(noDb.status()).as("%s", noDb).isEqualTo(503);
      assertThat(noDb.code()).isEqualTo("ENGINE_UNAVAILABLE");
      assertThat(noDb.body()).contains("neguard vulndb import");
      assertNoTrace(noDb);
      importDb(Files.createTempDirectory("neguard-vulngate-feed-"), empty);
      Http.Response stale = t.http.upload(w.resolve("with-sbom-1.0.0-7.ngp"), pub);
      assertThat(stale.status()).as("%s", stale).isEqualTo(422);
      assertThat(stale.code()).isEqualTo("SCAN_POLICY");
      assertThat(stale.body()).contains("debian-osv.zip", "2026-11-20");
      assertThat(t.storedFiles()).isEmpty();
      assertThat(t.http.get("/api/packages/held", pub).json()).isEmpty();
    }
  }

  /**
   * An SBOM with the fixed telnetd (assessed, no finding), a component without a package URL
   * and a RubyGems one (an ecosystem without version rules here): neither can be assessed.
   */
  static byte[] unassessableSbom() {
    return ("{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\", \"version\": 1,"
        + " \"components\": [{\"type\": \"library\", \"name\": \"x\", \"purl\": \""
        + telnetd("2:2.4-2+deb12u3") + "\"}, {\"type\": \"library\", \"name\":"
        + " \"vendor-blob\", \"version\": \"4.2\"}, {\"type\": \"library\", \"name\":"
        + " \"rails\", \"purl\": \"pkg:gem/rails@7.0.8\"}]}").getBytes(StandardCharsets.UTF_8);
  }

  @Test
  @Order(10)
  @DisplayName("AV-2 --vuln-unassessable hold (the default): a package whose SBOM has a"
      + " component without a package URL and one of an ecosystem without version rules is held"
      + " (SCAN_INCOMPLETE naming both), not published; its uploader, a publisher and approver"
      + " both, may not release it (FOUR_EYES, nothing stored); another approver's reasoned VEX"
      + " for NEGUARD-NOT-ASSESSED publishes it")
  void upload_unassessable_held_releasedByAnotherApprover() throws Exception {
    String both = s.token(Role.PUBLISHER, Role.APPROVER);
    Http.Response r = s.http.upload(bundle("blob-gw", "1.0.0", 11, unassessableSbom()), both);
    assertThat(r.status()).as("%s", r).isEqualTo(422);
    assertThat(r.code()).isEqualTo("SCAN_INCOMPLETE");
    assertThat(r.body()).contains("2 component(s) that could not be assessed",
        "vendor-blob 4.2 (no package URL)", "pkg:gem/rails@7.0.8", "NEGUARD-NOT-ASSESSED");
    assertNoTrace(r);
    assertThat(s.http.get("/api/packages/blob-gw/1.0.0", publisher).status()).isEqualTo(404);
    JsonNode h = held("blob-gw");
    assertThat(h).isNotNull();
    assertThat(h.path("findings").findValuesAsText("advisoryId"))
        .containsOnly("NEGUARD-NOT-ASSESSED").hasSize(2);
    assertThat(h.path("findings").findValuesAsText("severity")).containsOnly("UNKNOWN");

    String reason = ", \"justification\": \"component_not_present\", \"impact_statement\":"
        + " \"vendor-blob is a firmware image the NE never runs; rails is a build-time tool\"";
    Http.Response own = vex("blob-gw", "1.0.0", both, openVex("NEGUARD-NOT-ASSESSED", null,
        reason));
    assertThat(own.status()).as("%s", own).isEqualTo(403);
    assertThat(own.code()).isEqualTo("FOUR_EYES");
    assertThat(own.body()).contains("four-eyes");
    try (var c = s.db(); var st = c.createStatement();
        var rs = st.executeQuery("SELECT COUNT(*) FROM package_vex WHERE name = 'blob-gw'")) {
      rs.next();
      assertThat(rs.getInt(1)).as("nothing stored").isZero();
    }

    Http.Response released = vex("blob-gw", "1.0.0", approver, openVex("NEGUARD-NOT-ASSESSED",
        null, reason));
    assertThat(released.status()).as("%s", released).isEqualTo(200);
    assertThat(released.json().path("state").asText()).isEqualTo("published");
    assertThat(released.json().path("findings").findValuesAsText("failing"))
        .containsOnly("false");
    assertThat(s.http.get("/api/packages/blob-gw/1.0.0", publisher).status()).isEqualTo(200);
  }

  @Test
  @Order(11)
  @DisplayName("AV-2 a VEX statement about another vulnerability does not release a package"
      + " held for unassessable components: BAD_INPUT, still held")
  void vex_otherVulnerability_doesNotReleaseUnassessable() throws Exception {
    Http.Response r = s.http.upload(bundle("blob-gw", "2.0.0", 12, unassessableSbom()),
        publisher);
    assertThat(r.status()).as("%s", r).isEqualTo(422);
    Http.Response other = vex("blob-gw", "2.0.0", approver, openVex("CVE-2026-24061", null,
        ", \"justification\": \"component_not_present\""));
    assertThat(other.status()).as("%s", other).isEqualTo(400);
    assertThat(other.code()).isEqualTo("BAD_INPUT");
    assertThat(held("blob-gw").path("state").asText()).isEqualTo("held");
  }

  @Test
  @Order(12)
  @DisplayName("AV-2 HRD-3 an advisory carrying only a CVSS v4.0 vector is judged by the score"
      + " computed from it: at the default --vuln-fail-on critical a package with the 9.3 finding"
      + " is held KNOWN_VULNERABILITY (CRITICAL), one with the 8.7 finding (HIGH) is published;"
      + " unscored, both would be UNKNOWN and held")
  void cvss4OnlyAdvisory_judgedByItsScore() throws Exception {
    Http.Response r = s.http.upload(bundle("v4-gw", "1.0.0", 14,
        sbom("pkg:npm/cvss4-critical@1.0.0")), publisher);
    assertThat(r.status()).as("%s", r).isEqualTo(422);
    assertThat(r.code()).isEqualTo("KNOWN_VULNERABILITY");
    assertThat(r.body()).contains("NEGUARD-TEST-V4-CRITICAL", "severity CRITICAL");
    assertThat(held("v4-gw").path("findings").findValuesAsText("severity"))
        .containsExactly("CRITICAL");
    Http.Response high = s.http.upload(bundle("v4-gw", "1.0.1", 15,
        sbom("pkg:npm/cvss4-high@1.0.0")), publisher);
    assertThat(high.status()).as("%s", high).isEqualTo(201);
  }

  @Test
  @DisplayName("AV-2 --vuln-unassessable note: the same package is published, its audit row"
      + " naming both components as not assessed")
  void unassessable_note_publishes() throws Exception {
    Path dir = Files.createTempDirectory("neguard-vulngate-note-");
    Path db = importDb(dir);
    try (TestServer t = TestServer.start(null, b -> b.vuln(new ServerConfig.Vuln(
        java.util.Optional.of(db), java.time.Duration.ofDays(3650)))
        .vulnGate(new ServerConfig.VulnGate(org.neguard.vuln.Severity.CRITICAL, false,
            ServerConfig.VulnGate.Unassessable.NOTE)))) {
      Path w = t.dir.resolve("work");
      Files.createDirectories(w);
      Http.Response r = t.http.upload(Bundles.signed(w, "blob-gw", "1.0.0", 13, 20_000,
          t.pki.codeSigner().material(), unassessableSbom()), t.token(Role.PUBLISHER));
      assertThat(r.status()).as("%s", r).isEqualTo(201);
      String audit = t.http.get("/api/audit?tail=true&limit=20", t.adminToken()).body();
      assertThat(audit).contains("not assessed: 2", "vendor-blob", "pkg:gem/rails@7.0.8");
    }
  }
}
