package org.neguard.vuln;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/** CycloneDX JSON SBOMs 1.4-1.6: what is read, what is refused (issue 16, AV-2, OBJ-1). */
class CycloneDxTest {
  private static final String TELNETD =
      "pkg:deb/debian/inetutils-telnetd@2:2.4-2?arch=amd64&distro=debian-12&upstream=inetutils@2:2.4-2";

  private static String bom(String spec, String components) {
    return "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"" + spec + "\","
        + "\"serialNumber\":\"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79\",\"version\":1,"
        + "\"metadata\":{\"timestamp\":\"2026-12-01T10:00:00Z\",\"tools\":[{\"name\":\"x\"}],"
        + "\"component\":{\"type\":\"application\",\"name\":\"mme-core\",\"version\":\"1.0.0\"}},"
        + "\"components\":[" + components + "],\"dependencies\":[]}";
  }

  private static String lib(String name, String version, String purl) {
    return "{\"type\":\"library\",\"name\":\"" + name + "\",\"version\":\"" + version
        + "\",\"purl\":\"" + purl + "\",\"licenses\":[{\"license\":{\"id\":\"MIT\"}}],"
        + "\"hashes\":[{\"alg\":\"SHA-256\",\"content\":\"00\"}]}";
  }

  private static CycloneDx.Sbom read(String json) throws RefusalException {
    return CycloneDx.read(json.getBytes(StandardCharsets.UTF_8), "test.cdx.json");
  }

  private static RefusalException refused(String json, ReasonCode code, String mention) {
    RefusalException e = catchThrowableOfType(RefusalException.class, () -> read(json));
    assertThat(e).as("refused: %s", json.length() > 300 ? json.substring(0, 300) : json)
        .isNotNull();
    assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
    assertThat(e.getMessage()).contains(mention).doesNotContain("\n").doesNotContain("Exception");
    return e;
  }

  @Test
  @DisplayName("AV-2: CycloneDX 1.4, 1.5 and 1.6 documents are read; components become Components through their package URLs, nested ones too")
  void readsSpecVersions() throws Exception {
    for (String spec : List.of("1.4", "1.5", "1.6")) {
      CycloneDx.Sbom s = read(bom(spec, lib("inetutils-telnetd", "2:2.4-2", TELNETD) + ","
          + "{\"type\":\"application\",\"name\":\"app\",\"components\":["
          + lib("jackson-databind", "2.9.10", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10")
          + "]}"));
      assertThat(s.specVersion()).isEqualTo(spec);
      assertThat(s.subject()).contains(new CycloneDx.Subject("mme-core", Optional.of("1.0.0")));
      assertThat(s.components()).extracting(Component::ecosystem)
          .containsExactly("Debian:12", "Maven");
      assertThat(s.components().get(0).matchName()).isEqualTo("inetutils");
      assertThat(s.components().get(1).name())
          .isEqualTo("com.fasterxml.jackson.core:jackson-databind");
      // The nested application without a purl is listed as not identifiable, never dropped.
      assertThat(s.unidentified()).extracting(CycloneDx.Unidentified::name).containsExactly("app");
    }
  }

  @Test
  @DisplayName("AV-2: the writer's SBOM reads back to the same components and subject")
  void writeThenRead() throws Exception {
    List<Component> cs = List.of(Component.ofPurl(TELNETD),
        Component.ofPurl("pkg:maven/org.example/lib@1.2.3"),
        Component.ofPurl("pkg:npm/%40scope/left-pad@1.3.0"));
    byte[] json = CycloneDx.write(new CycloneDx.Subject("mme-core", Optional.of("1.0.0")),
        new CycloneDx.Tool("NEGuard", "neguard", "test"), Instant.parse("2026-12-01T10:00:00Z"),
        cs);
    CycloneDx.Sbom s = CycloneDx.read(json, "generated");
    assertThat(s.components()).isEqualTo(cs);
    assertThat(s.subject()).contains(new CycloneDx.Subject("mme-core", Optional.of("1.0.0")));
    assertThat(new String(json, StandardCharsets.UTF_8)).contains("\"neguard\"")
        .contains("\"specVersion\" : \"1.5\"");
    // Deterministic: the same inputs give the same bytes.
    assertThat(CycloneDx.write(new CycloneDx.Subject("mme-core", Optional.of("1.0.0")),
        new CycloneDx.Tool("NEGuard", "neguard", "test"), Instant.parse("2026-12-01T10:00:00Z"),
        cs)).isEqualTo(json);
  }

  @Test
  @DisplayName("AV-2, OBJ-1: not a CycloneDX BOM, or an unsupported specVersion, is MALFORMED")
  void refusesOtherDocuments() {
    refused("[]", ReasonCode.MALFORMED, "not a JSON object");
    refused(bom("1.5", "").replace("CycloneDX", "SPDX"), ReasonCode.MALFORMED, "bomFormat");
    refused(bom("1.3", ""), ReasonCode.MALFORMED, "specVersion 1.3");
    refused(bom("2.0", ""), ReasonCode.MALFORMED, "specVersion 2.0");
    refused(bom("1.5", "").replace("\"specVersion\":\"1.5\",", ""), ReasonCode.MALFORMED,
        "no specVersion");
    refused(bom("1.5", "").replace("\"version\":1", "\"version\":\"1\""), ReasonCode.MALFORMED,
        "'version'");
    refused(bom("1.5", "").replace("3e671687", "3e67168Z"), ReasonCode.MALFORMED, "serialNumber");
  }

  @Test
  @DisplayName("OBJ-1: duplicate keys and data after the document are MALFORMED (two parsers must not read one SBOM two ways)")
  void refusesAmbiguousJson() {
    refused(bom("1.5", "{\"type\":\"library\",\"name\":\"a\",\"purl\":\"pkg:npm/a@1.0.0\","
        + "\"purl\":\"pkg:npm/a@9.9.9\"}"), ReasonCode.MALFORMED, "Duplicate field");
    refused(bom("1.5", "") + "{}", ReasonCode.MALFORMED, "data follows");
    refused(bom("1.5", "").replace("{\"bomFormat\"", "{\"specVersion\":\"1.4\",\"bomFormat\""),
        ReasonCode.MALFORMED, "Duplicate field");
  }

  @Test
  @DisplayName("OBJ-1: a field outside the CycloneDX 1.6 schema (top level, metadata, component) is MALFORMED, naming it")
  void refusesUnknownFields() {
    refused(bom("1.5", "").replace("\"dependencies\"", "\"dependencys\""), ReasonCode.MALFORMED,
        "'dependencys'");
    refused(bom("1.5", "").replace("\"tools\"", "\"tool\""), ReasonCode.MALFORMED,
        "metadata.tool");
    refused(bom("1.5", "{\"type\":\"library\",\"name\":\"a\",\"Purl\":\"pkg:npm/a@1.0.0\"}"),
        ReasonCode.MALFORMED, "'Purl'");
  }

  @Test
  @DisplayName("AV-2: a component whose purl is malformed, or says another version than its version field, is MALFORMED")
  void refusesBadComponents() {
    refused(bom("1.5", lib("a", "1.0", "pkg:/a@1.0")), ReasonCode.MALFORMED, "malformed package URL");
    refused(bom("1.5", lib("telnetd", "2:2.4-2+deb12u3", TELNETD)), ReasonCode.MALFORMED,
        "make them agree");
    refused(bom("1.5", "{\"name\":\"a\"}"), ReasonCode.MALFORMED, "has no type");
    refused(bom("1.5", "{\"type\":\"library\"}"), ReasonCode.MALFORMED, "has no name");
    refused(bom("1.5", "{\"type\":\"lib\",\"name\":\"a\"}"), ReasonCode.MALFORMED, "'lib'");
    refused(bom("1.5", "{\"type\":\"library\",\"name\":7}"), ReasonCode.MALFORMED, "must be a string");
    refused(bom("1.4", "{\"type\":\"machine-learning-model\",\"name\":\"m\"}"),
        ReasonCode.MALFORMED, "not defined in CycloneDX 1.4");
    refused(bom("1.5", "{\"type\":\"library\",\"name\":\"a\",\"bom-ref\":\"x\"},"
        + "{\"type\":\"library\",\"name\":\"b\",\"bom-ref\":\"x\"}"), ReasonCode.MALFORMED,
        "bom-ref 'x' is used twice");
  }

  @Test
  @DisplayName("AV-2: a component without a versioned purl is listed as unidentified (reported not assessed), not dropped")
  void unidentifiedListed() throws Exception {
    CycloneDx.Sbom s = read(bom("1.6", "{\"type\":\"library\",\"name\":\"static-bin\",\"version\":\"3\"},"
        + "{\"type\":\"library\",\"name\":\"nover\",\"purl\":\"pkg:npm/nover\"}"));
    assertThat(s.components()).isEmpty();
    assertThat(s.unidentified()).extracting(CycloneDx.Unidentified::reason)
        .anySatisfy(r -> assertThat(r).contains("no package URL"))
        .anySatisfy(r -> assertThat(r).contains("has no version"));
  }

  @Test
  @DisplayName("OBJ-1: components nested deeper than the bound are SIZE_LIMIT; more components than the bound are SIZE_LIMIT")
  void boundsComponents() {
    String nested = "{\"type\":\"library\",\"name\":\"x\"}";
    for (int i = 0; i < CycloneDx.MAX_DEPTH; i++) {
      nested = "{\"type\":\"library\",\"name\":\"n" + i + "\",\"components\":[" + nested + "]}";
    }
    refused(bom("1.5", nested), ReasonCode.SIZE_LIMIT, "levels deep");

    StringBuilder many = new StringBuilder();
    for (int i = 0; i <= CycloneDx.MAX_COMPONENTS; i++) {
      many.append(i == 0 ? "" : ",").append("{\"type\":\"file\",\"name\":\"f\"}");
    }
    refused(bom("1.5", many.toString()), ReasonCode.SIZE_LIMIT, "more than " + CycloneDx.MAX_COMPONENTS);
  }

  @Test
  @DisplayName("OBJ-1: a stream longer than the bound is SIZE_LIMIT after reading at most the bound plus one byte")
  void boundsBytes() {
    long[] served = {0};
    InputStream endless = new InputStream() {
      @Override
      public int read() {
        served[0]++;
        return ' ';
      }

      @Override
      public int read(byte[] b, int off, int len) {
        java.util.Arrays.fill(b, off, off + len, (byte) ' ');
        served[0] += len;
        return len;
      }
    };
    RefusalException e = catchThrowableOfType(RefusalException.class,
        () -> CycloneDx.read(endless, "endless"));
    assertThat(e).isNotNull();
    assertThat(e.code()).isEqualTo(ReasonCode.SIZE_LIMIT);
    assertThat(served[0]).isLessThanOrEqualTo(CycloneDx.MAX_BYTES + 1L);
  }
}
