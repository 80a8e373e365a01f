package org.neguard.vuln;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * CycloneDX VEX and OpenVEX documents read into {@link VexStatement}s, strictly: what a VEX says
 * takes findings out of the publication gate (AV-2), so every doubtful document is refused.
 */
class VexReaderTest {
  static byte[] fixture(String name) throws IOException {
    try (InputStream in = VexReaderTest.class.getResourceAsStream("vex/" + name)) {
      return in.readAllBytes();
    }
  }

  static RefusalException refused(String json) {
    Throwable t = catchThrowable(() -> VexReader.read(json.getBytes(StandardCharsets.UTF_8),
        "t.json"));
    assertThat(t).isInstanceOf(RefusalException.class);
    return (RefusalException) t;
  }

  static String openVex(String statement) {
    return "{\"@context\": \"https://openvex.dev/ns/v0.2.0\", \"author\": \"psirt\","
        + " \"timestamp\": \"2026-12-01T12:00:00Z\", \"statements\": [" + statement + "]}";
  }

  static String cdx(String vulnerability) {
    return "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\", \"metadata\":"
        + " {\"timestamp\": \"2026-12-01T12:00:00Z\"}, \"vulnerabilities\": [" + vulnerability
        + "]}";
  }

  @Test
  @DisplayName("AV-2 CycloneDX VEX: each analysis.state maps to a status (false_positive is not"
      + " affected), affects[].ref resolves a bom-ref to its component's purl, the time is"
      + " analysis.lastUpdated else metadata.timestamp, the author metadata.authors")
  void cycloneDx_read() throws Exception {
    List<VexStatement> s = VexReader.read(fixture("cyclonedx-vex.json"), "acme.cdx.json");
    assertThat(s).extracting(VexStatement::vulnerability).containsExactly("CVE-2021-44228",
        "CVE-2021-45046", "GHSA-jfh8-c2jp-5v3q", "CVE-2021-4104", "CVE-2021-44832");
    assertThat(s).extracting(VexStatement::status).containsExactly(
        VexStatement.Status.NOT_AFFECTED, VexStatement.Status.AFFECTED,
        VexStatement.Status.NOT_AFFECTED, VexStatement.Status.UNDER_INVESTIGATION,
        VexStatement.Status.FIXED);
    VexStatement first = s.get(0);
    assertThat(first.products())
        .containsExactly("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1");
    assertThat(first.justification()).contains("code_not_reachable");
    assertThat(first.impactStatement().orElseThrow()).contains("JndiLookup");
    assertThat(first.timestamp()).isEqualTo(Instant.parse("2026-12-01T09:00:00Z"));
    assertThat(first.author()).isEqualTo("ACME Networks PSIRT");
    assertThat(first.source()).isEqualTo("acme.cdx.json");
    assertThat(s.get(1).products())
        .containsExactly("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1");
    assertThat(s.get(2).products()).as("no affects: the package as a whole").isEmpty();
    assertThat(s.get(2).timestamp()).isEqualTo(Instant.parse("2026-11-30T10:00:00Z"));
  }

  @Test
  @DisplayName("AV-2 OpenVEX: v0.2.0 objects (vulnerability.name, products[].@id,"
      + " identifiers.purl, subcomponents) and the earlier string forms; status, justification,"
      + " impact_statement; the statement's timestamp, else the document's; the document's"
      + " author")
  void openVex_read() throws Exception {
    List<VexStatement> s = VexReader.read(fixture("openvex.json"), "acme.openvex.json");
    assertThat(s).extracting(VexStatement::vulnerability)
        .containsExactly("CVE-2023-38408", "CVE-2024-6387", "CVE-2024-6409");
    assertThat(s).extracting(VexStatement::status).containsExactly(
        VexStatement.Status.NOT_AFFECTED, VexStatement.Status.AFFECTED,
        VexStatement.Status.UNDER_INVESTIGATION);
    assertThat(s.get(0).products()).containsExactly("pkg:generic/acme-ne-fw@4.2.0",
        "pkg:deb/debian/openssh-client@1:9.2p1-2?arch=amd64&distro=debian-12");
    assertThat(s.get(0).justification()).contains("vulnerable_code_not_in_execute_path");
    assertThat(s.get(0).impactStatement().orElseThrow()).contains("agent forwarding");
    assertThat(s.get(0).author()).isEqualTo("ACME Networks PSIRT <psirt@vendor.example>");
    assertThat(s.get(0).timestamp()).isEqualTo(Instant.parse("2026-12-01T12:00:00Z"));
    assertThat(s.get(1).timestamp()).isEqualTo(Instant.parse("2026-12-02T08:00:00Z"));
    assertThat(s.get(2).products()).containsExactly("pkg:deb/debian/openssh-server@1:9.2p1-2");
  }

  @Test
  @DisplayName("AV-2 a 'not affected' without a justification or impact statement is refused"
      + " MALFORMED, in both formats; a blank impact statement is no reason either; one of the"
      + " two alone is enough")
  void notAffected_withoutReason_refused() throws Exception {
    RefusalException e = refused(openVex("{\"vulnerability\": {\"name\": \"CVE-2024-6387\"},"
        + " \"status\": \"not_affected\"}"));
    assertThat(e.code()).isEqualTo(ReasonCode.MALFORMED);
    assertThat(e.getMessage()).contains("t.json", "statements[0]", "CVE-2024-6387",
        "without a reason", "justification or impact_statement");
    assertThat(refused(openVex("{\"vulnerability\": {\"name\": \"CVE-2024-6387\"},"
        + " \"status\": \"not_affected\", \"impact_statement\": \" \\n \"}")).code())
        .isEqualTo(ReasonCode.MALFORMED);
    RefusalException c = refused(cdx("{\"id\": \"CVE-2021-44228\", \"analysis\":"
        + " {\"state\": \"not_affected\"}}"));
    assertThat(c.code()).isEqualTo(ReasonCode.MALFORMED);
    assertThat(c.getMessage()).contains("vulnerabilities[0]", "CVE-2021-44228",
        "analysis.justification or analysis.detail");
    assertThat(refused(cdx("{\"id\": \"CVE-2021-44228\", \"analysis\":"
        + " {\"state\": \"false_positive\", \"detail\": \"\"}}")).code())
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(VexReader.read(openVex("{\"vulnerability\": {\"name\": \"CVE-2024-6387\"},"
        + " \"status\": \"not_affected\", \"justification\": \"component_not_present\"}")
        .getBytes(StandardCharsets.UTF_8), "t.json")).hasSize(1);
    assertThat(VexReader.read(cdx("{\"id\": \"CVE-2021-44228\", \"analysis\":"
        + " {\"state\": \"not_affected\", \"detail\": \"lookups disabled\"}}")
        .getBytes(StandardCharsets.UTF_8), "t.json").get(0).impactStatement())
        .contains("lookups disabled");
  }

  @Test
  @DisplayName("AV-2 duplicate keys (a second status or justification behind the first) and"
      + " trailing data are refused: no two readings of one document")
  void duplicateKeys_trailingData_refused() {
    RefusalException dup = refused(openVex("{\"vulnerability\": {\"name\": \"CVE-2024-6387\"},"
        + " \"status\": \"affected\", \"status\": \"not_affected\","
        + " \"justification\": \"component_not_present\"}"));
    assertThat(dup.code()).isEqualTo(ReasonCode.MALFORMED);
    assertThat(dup.getMessage()).contains("not strict JSON", "status");
    assertThat(refused(cdx("{\"id\": \"CVE-2021-44228\", \"id\": \"CVE-2000-0001\","
        + " \"analysis\": {\"state\": \"in_triage\"}}")).code()).isEqualTo(ReasonCode.MALFORMED);
    assertThat(refused(openVex("{\"vulnerability\": {\"name\": \"CVE-2024-6387\"},"
        + " \"status\": \"affected\"}") + " {\"statements\": []}").code())
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(refused(openVex("{\"vulnerability\": {\"name\": \"CVE-2024-6387\"},"
        + " \"status\": \"affected\"}").substring(0, 80)).code()).isEqualTo(ReasonCode.MALFORMED);
  }

  @Test
  @DisplayName("AV-2 a huge VEX document is refused SIZE_LIMIT after reading no more than"
      + " MAX_BYTES + 1 of it; so is a byte array above the limit, unparsed")
  void huge_refusedBeforeMemoryIsSpent() {
    long[] read = {0};
    InputStream endless = new InputStream() {
      @Override
      public int read() {
        read[0]++;
        return ' ';
      }

      @Override
      public int read(byte[] b, int off, int len) {
        java.util.Arrays.fill(b, off, off + len, (byte) ' ');
        read[0] += len;
        return len;
      }
    };
    Throwable t = catchThrowable(() -> VexReader.read(endless, "endless.json"));
    assertThat(t).isInstanceOf(RefusalException.class);
    assertThat(((RefusalException) t).code()).isEqualTo(ReasonCode.SIZE_LIMIT);
    assertThat(t.getMessage()).contains("endless.json", "more than " + VexReader.MAX_BYTES);
    assertThat(read[0]).isLessThanOrEqualTo(VexReader.MAX_BYTES + 1L);
    Throwable big = catchThrowable(() -> VexReader.read(new byte[VexReader.MAX_BYTES + 1],
        "big.json"));
    assertThat(((RefusalException) big).code()).isEqualTo(ReasonCode.SIZE_LIMIT);
  }

  @Test
  @DisplayName("AV-2 an unknown status or justification, an id that is no vulnerability id, a"
      + " product that is no package URL, an affects ref naming nothing, an SBOM without"
      + " vulnerabilities, another JSON document, an empty one: each refused MALFORMED with"
      + " what is wrong")
  void badStatements_refused() {
    record Case(String json, String says) {}
    for (Case c : List.of(
        new Case(openVex("{\"vulnerability\": {\"name\": \"CVE-1\"}, \"status\": \"fine\"}"),
            "unknown status \"fine\""),
        new Case(openVex("{\"vulnerability\": {\"name\": \"CVE-1\"}, \"status\":"
            + " \"not_affected\", \"justification\": \"trust_me\"}"),
            "unknown justification \"trust_me\""),
        new Case(openVex("{\"vulnerability\": {\"name\": \"CVE 1; drop\"}, \"status\":"
            + " \"affected\"}"), "not a vulnerability id"),
        new Case(openVex("{\"vulnerability\": {\"name\": \"CVE-1\"}, \"status\": \"affected\","
            + " \"products\": [\"openssl\"]}"), "is not a package URL"),
        new Case(openVex("{\"vulnerability\": {\"name\": \"CVE-1\"}, \"status\": \"affected\","
            + " \"products\": []}"), "products[] is empty"),
        new Case(openVex("{\"vulnerability\": {\"name\": \"CVE-1\"}, \"status\": \"affected\","
            + " \"products\": [{\"@id\": \"pkg:npm/a@1\", \"identifiers\": {\"purl\":"
            + " \"pkg:npm/b@1\"}}]}"), "differ"),
        new Case(cdx("{\"id\": \"CVE-1\", \"analysis\": {\"state\": \"not_affected\","
            + " \"justification\": \"code_not_present\"}, \"affects\": [{\"ref\": \"nope\"}]}"),
            "affects ref \"nope\" names no component"),
        new Case(cdx("{\"id\": \"CVE-1\"}"), "has no analysis"),
        new Case(cdx("{\"id\": \"CVE-1\", \"analysis\": {\"state\": \"ok\"}}"),
            "unknown analysis.state"),
        new Case("{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\", \"components\": []}",
            "is an SBOM, not a VEX document"),
        new Case(cdx(""), "holds no VEX statement"),
        new Case(cdx("{\"id\": \"CVE-1\", \"analysis\": {\"state\": \"resolved\"},"
            + " \"affects\": {\"ref\": \"x\"}}"), "t.json: affects is not an array"),
        new Case(openVex("{\"vulnerability\": \"CVE-1\", \"status\": \"fixed\","
            + " \"products\": \"pkg:npm/a@1\"}"), "t.json: products is not an array"),
        new Case("{\"statements\": []}", "neither a CycloneDX document"),
        new Case("[1]", "not a JSON object"),
        new Case(openVex("{\"vulnerability\": {\"name\": \"CVE-1\"}, \"status\": \"fixed\"}")
            .replace("\"author\": \"psirt\",", ""), "without author"))) {
      RefusalException e = refused(c.json());
      assertThat(e.code()).as(c.json()).isEqualTo(ReasonCode.MALFORMED);
      assertThat(e.getMessage()).as(c.json()).contains(c.says());
    }
  }

  @Test
  @DisplayName("AV-2 a statement's optional fields stay empty when absent")
  void optionalFields() throws Exception {
    VexStatement s = VexReader.read(openVex("{\"vulnerability\": \"CVE-2024-1\","
        + " \"status\": \"fixed\"}").getBytes(StandardCharsets.UTF_8), "t.json").get(0);
    assertThat(s.justification()).isEqualTo(Optional.empty());
    assertThat(s.impactStatement()).isEmpty();
    assertThat(s.products()).isEmpty();
  }
}
