package org.neguard.vuln;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * NVD CVE API 2.0 feeds: the fixture feed read whole, and every way a feed can be broken,
 * truncated, doubled or oversized refused with its reason code.
 */
class NvdReaderTest {
  static byte[] fixture() throws IOException {
    try (InputStream in = NvdReaderTest.class.getResourceAsStream("nvd/openssh-feed.json")) {
      return in.readAllBytes();
    }
  }

  static String fixtureText() throws IOException {
    return new String(fixture(), StandardCharsets.UTF_8);
  }

  static List<NvdCve> read(byte[] feed) throws Exception {
    List<NvdCve> out = new ArrayList<>();
    NvdReader.read(new ByteArrayInputStream(feed), "feed.json", out::add);
    return out;
  }

  static RefusalException refused(byte[] feed) {
    Throwable t = catchThrowable(() -> read(feed));
    assertThat(t).isInstanceOf(RefusalException.class);
    RefusalException r = (RefusalException) t;
    assertThat(r.getMessage()).startsWith(r.code().name()).contains("feed.json")
        .doesNotContain("\tat ");
    return r;
  }

  static ReasonCode code(String feed) {
    return refused(feed.getBytes(StandardCharsets.UTF_8)).code();
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(b)) {
      z.write(data);
    }
    return b.toByteArray();
  }

  /** A minimal feed around {@code records} (each a {"cve": ...} element). */
  static String feed(String... records) {
    return "{\"format\":\"NVD_CVE\",\"version\":\"2.0\",\"timestamp\":\"2024-07-12T08:00:00.000\","
        + "\"vulnerabilities\":[" + String.join(",", records) + "]}";
  }

  static String cve(String id, String extra) {
    return "{\"cve\":{\"id\":\"" + id + "\",\"lastModified\":\"2024-07-01T00:00:00.000\""
        + extra + "}}";
  }

  static String metric(String key, String type, String version, String vector, String score,
      String severity) {
    return ",\"metrics\":{\"" + key + "\":[{\"source\":\"x@example.org\",\"type\":\"" + type
        + "\",\"cvssData\":{\"version\":\"" + version + "\",\"vectorString\":\"" + vector
        + "\",\"baseScore\":" + score + ",\"baseSeverity\":\"" + severity + "\"}}]}";
  }

  @Test
  @DisplayName("HRD-3 the fixture feed (three real OpenSSH CVEs in the NVD 2.0 schema) is read"
      + " whole: ids, NVD's zone-less UTC times, the English description, ranges, best CVSS")
  void goodFeed_read() throws Exception {
    List<NvdCve> all = new ArrayList<>();
    NvdReader.Summary s = NvdReader.readFeed(new ByteArrayInputStream(fixture()), "feed.json",
        all::add);
    assertThat(all).extracting(NvdCve::id)
        .containsExactly("CVE-2024-6387", "CVE-2023-38408", "CVE-2016-0777");
    assertThat(s.records()).isEqualTo(3);
    assertThat(s.timestamp()).contains(Instant.parse("2024-07-12T08:00:00Z"));
    assertThat(s.newestLastModified()).contains(Instant.parse("2024-07-11T14:15:07Z"));
    NvdCve regre = all.get(0);
    assertThat(regre.lastModified()).isEqualTo(Instant.parse("2024-07-11T14:15:07Z"));
    assertThat(regre.description()).startsWith("A security regression (CVE-2006-5051)");
    assertThat(regre.configurations()).hasSize(2);
    CpeRange second = regre.configurations().get(1);
    assertThat(second.cpe().toString()).isEqualTo("cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*");
    assertThat(second.startIncluding()).contains("8.5");
    assertThat(second.endExcluding()).contains("9.8");
    assertThat(second.vulnerable()).isTrue();
    assertThat(regre.bestMetric()).get().extracting(Cvss::score, Cvss::version, Cvss::source)
        .containsExactly(8.1, "3.1", "secalert@redhat.com");
    assertThat(regre.bestMetric().get().severity()).isEqualTo(Severity.HIGH);
    NvdCve agent = all.get(1);
    assertThat(agent.bestMetric().get().severity()).isEqualTo(Severity.CRITICAL);
    assertThat(agent.configurations()).extracting(r -> r.cpe().toString()).contains(
        "cpe:2.3:a:openbsd:openssh:9.3:-:*:*:*:*:*:*",
        "cpe:2.3:a:openbsd:openssh:9.3:p1:*:*:*:*:*:*");
    NvdCve roaming = all.get(2);
    assertThat(roaming.metrics()).extracting(Cvss::version).as("v3.0 before v2, whatever the"
        + " file's order").containsExactly("3.0", "2.0");
    assertThat(roaming.metrics().get(1).score()).isEqualTo(4.0);
  }

  @Test
  @DisplayName("HRD-3 best CVSS: v4.0 > v3.1 > v3.0 > v2, and within a version NVD's Primary"
      + " before a CNA's Secondary (synthetic record)")
  void bestMetric_order() throws Exception {
    String metrics = ",\"metrics\":{"
        + "\"cvssMetricV2\":[{\"source\":\"nvd@nist.gov\",\"type\":\"Primary\",\"cvssData\":"
        + "{\"version\":\"2.0\",\"vectorString\":\"AV:N/AC:L/Au:N/C:P/I:P/A:P\",\"baseScore\":7.5},"
        + "\"baseSeverity\":\"HIGH\"}],"
        + "\"cvssMetricV31\":[{\"source\":\"cna@example.org\",\"type\":\"Secondary\",\"cvssData\":"
        + "{\"version\":\"3.1\",\"vectorString\":\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\","
        + "\"baseScore\":9.8,\"baseSeverity\":\"CRITICAL\"}},"
        + "{\"source\":\"nvd@nist.gov\",\"type\":\"Primary\",\"cvssData\":"
        + "{\"version\":\"3.1\",\"vectorString\":\"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H\","
        + "\"baseScore\":8.1,\"baseSeverity\":\"HIGH\"}}],"
        + "\"cvssMetricV40\":[{\"source\":\"cna@example.org\",\"type\":\"Secondary\",\"cvssData\":"
        + "{\"version\":\"4.0\",\"vectorString\":\"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H"
        + "/SC:N/SI:N/SA:N\",\"baseScore\":9.3,\"baseSeverity\":\"CRITICAL\"}}]}";
    NvdCve c = read(feed(cve("CVE-2099-0100", metrics)).getBytes(StandardCharsets.UTF_8))
        .get(0);
    assertThat(c.metrics()).extracting(m -> m.version() + " " + m.source()).containsExactly(
        "4.0 cna@example.org", "3.1 nvd@nist.gov", "3.1 cna@example.org", "2.0 nvd@nist.gov");
  }

  @Test
  @DisplayName("HRD-3 a gzip feed (NVD's .json.gz) is read as the plain one; appended bytes,"
      + " a damaged CRC and a cut gzip are MALFORMED (GZIPInputStream would stop silently at"
      + " appended bytes)")
  void gzip_readAndDamageRefused() throws Exception {
    byte[] gz = gzip(fixture());
    assertThat(read(gz)).extracting(NvdCve::id).containsExactly(
        "CVE-2024-6387", "CVE-2023-38408", "CVE-2016-0777");
    byte[] appended = java.util.Arrays.copyOf(gz, gz.length + 16);
    assertThat(refused(appended).code()).isEqualTo(ReasonCode.MALFORMED);
    byte[] badCrc = gz.clone();
    badCrc[badCrc.length - 6] ^= 1;
    assertThat(refused(badCrc).getMessage()).contains("CRC");
    for (int cut : new int[] {5, 20, gz.length / 2, gz.length - 4, gz.length - 1}) {
      assertThat(refused(java.util.Arrays.copyOf(gz, cut)).code()).as("cut at " + cut)
          .isEqualTo(ReasonCode.MALFORMED);
    }
    byte[] twoMembers = java.util.Arrays.copyOf(gz, gz.length * 2);
    System.arraycopy(gz, 0, twoMembers, gz.length, gz.length);
    assertThat(refused(twoMembers).getMessage()).as("a second member is read, then refused"
        + " as data after the feed").contains("after the feed");
  }

  @Test
  @DisplayName("HRD-3 a truncated feed is refused at every cut, never read as a shorter feed")
  void truncated_refusedAtEveryCut() throws Exception {
    byte[] f = fixture();
    int end = fixtureText().stripTrailing().length() - 1; // before the final '}'
    for (int cut = 1; cut <= end; cut += 7) {
      byte[] part = java.util.Arrays.copyOf(f, cut);
      assertThat(refused(part).code()).as("cut at " + cut).isEqualTo(ReasonCode.MALFORMED);
    }
    assertThat(refused(java.util.Arrays.copyOf(f, end)).getMessage()).contains("truncated");
  }

  @Test
  @DisplayName("HRD-3 two records with one id refuse the feed, naming the id")
  void duplicateId_refused() throws Exception {
    String one = cve("CVE-2024-6387", "");
    RefusalException r = refused(feed(one, cve("CVE-2023-38408", ""), one)
        .getBytes(StandardCharsets.UTF_8));
    assertThat(r.code()).isEqualTo(ReasonCode.MALFORMED);
    assertThat(r.getMessage()).contains("two records with the id CVE-2024-6387");
  }

  @Test
  @DisplayName("HRD-3 duplicate keys are refused, where two parsers would read two different"
      + " records: a second criteria in a cpeMatch, a second id, a second vulnerabilities")
  void duplicateKeys_refused() {
    String twoCriteria = cve("CVE-2099-0001", ",\"configurations\":[{\"nodes\":[{\"operator\":"
        + "\"OR\",\"negate\":false,\"cpeMatch\":[{\"vulnerable\":true,\"criteria\":"
        + "\"cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*\",\"criteria\":"
        + "\"cpe:2.3:a:example:nothing:*:*:*:*:*:*:*:*\",\"versionEndExcluding\":\"9.8\"}]}]}]");
    String twoIds = "{\"cve\":{\"id\":\"CVE-2099-0001\",\"id\":\"CVE-2099-0002\","
        + "\"lastModified\":\"2024-07-01T00:00:00.000\"}}";
    String twoLists = "{\"format\":\"NVD_CVE\",\"version\":\"2.0\",\"vulnerabilities\":["
        + cve("CVE-2099-0001", "") + "],\"vulnerabilities\":[]}";
    for (String f : List.of(feed(twoCriteria), feed(twoIds), twoLists)) {
      RefusalException r = refused(f.getBytes(StandardCharsets.UTF_8));
      assertThat(r.code()).isEqualTo(ReasonCode.MALFORMED);
      assertThat(r.getMessage()).contains("Duplicate field");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "not json",
      "[]",
      "{\"format\":\"NVD_CVE\",\"version\":\"2.0\",\"vulnerabilities\":{}}",
      "{\"format\":\"NVD_CVE\",\"version\":\"2.0\"}",
      "{\"format\":\"NVD_CVE\",\"version\":\"1.1\",\"vulnerabilities\":[]}",
      "{\"format\":\"OSV\",\"version\":\"2.0\",\"vulnerabilities\":[]}",
      "{\"vulnerabilities\":[]}",
      "{\"vulnerabilities\":[],\"format\":\"NVD_CVE\",\"version\":\"2.0\"}",
      "{\"CVE_data_type\":\"CVE\",\"CVE_Items\":[]}",
      "{\"format\":\"NVD_CVE\",\"version\":\"2.0\",\"vulnerabilities\":[]} {}",
      "{\"format\":\"NVD_CVE\",\"version\":\"2.0\",\"vulnerabilities\":[]}}",
      "{\"format\":\"NVD_CVE\",\"version\":\"2.0\",\"vulnerabilities\":[1]}",
      "{\"format\":\"NVD_CVE\",\"version\":\"2.0\",\"vulnerabilities\":[{}]}",
      "{\"format\":\"NVD_CVE\",\"version\":\"2.0\",\"vulnerabilities\":[{\"cve\":{\"id\":"
          + "\"CVE-2099-0001\"}}]}",
      "{\"format\":\"NVD_CVE\",\"version\":\"2.0\",\"vulnerabilities\":[{\"cve\":{\"id\":"
          + "\"GHSA-xxxx\",\"lastModified\":\"2024-07-01T00:00:00.000\"}}]}",
      "{\"format\":\"NVD_CVE\",\"version\":\"2.0\",\"vulnerabilities\":[{\"cve\":{\"id\":"
          + "\"CVE-2099-0001\",\"lastModified\":\"yesterday\"}}]}",
      "{\"format\":\"NVD_CVE\",\"version\":\"2.0\",\"vulnerabilities\":[{\"cve\":{\"id\":"
          + "7,\"lastModified\":\"2024-07-01T00:00:00.000\"}}]}"})
  @DisplayName("HRD-3 a feed that is not strict NVD 2.0 JSON is MALFORMED (not JSON, not an"
      + " object, no or a wrong vulnerabilities, 1.1 or another format, format and version not"
      + " before the records, trailing data, a record without id or time)")
  void malformed_refused(String feed) {
    assertThat(code(feed)).isEqualTo(ReasonCode.MALFORMED);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      // criteria not a well-formed CPE
      ",\"configurations\":[{\"nodes\":[{\"operator\":\"OR\",\"cpeMatch\":[{\"vulnerable\":true,"
          + "\"criteria\":\"cpe:2.3:a:openbsd:open ssh:*:*:*:*:*:*:*:*\"}]}]}]",
      // two start bounds
      ",\"configurations\":[{\"nodes\":[{\"operator\":\"OR\",\"cpeMatch\":[{\"vulnerable\":true,"
          + "\"criteria\":\"cpe:2.3:a:o:p:*:*:*:*:*:*:*:*\",\"versionStartIncluding\":\"1\","
          + "\"versionStartExcluding\":\"1\"}]}]}]",
      // a node without operator: OR is not guessed
      ",\"configurations\":[{\"nodes\":[{\"cpeMatch\":[{\"vulnerable\":true,"
          + "\"criteria\":\"cpe:2.3:a:o:p:*:*:*:*:*:*:*:*\"}]}]}]",
      // an operator NVD does not have
      ",\"configurations\":[{\"nodes\":[{\"operator\":\"XOR\",\"cpeMatch\":[{\"vulnerable\":true,"
          + "\"criteria\":\"cpe:2.3:a:o:p:*:*:*:*:*:*:*:*\"}]}]}]",
      // vulnerable as a string
      ",\"configurations\":[{\"nodes\":[{\"operator\":\"OR\",\"cpeMatch\":[{\"vulnerable\":"
          + "\"true\",\"criteria\":\"cpe:2.3:a:o:p:*:*:*:*:*:*:*:*\"}]}]}]",
      // a configuration without nodes
      ",\"configurations\":[{\"operator\":\"AND\"}]",
      // NVD 1.1's children inside a node: an unknown key where meaning is decided
      ",\"configurations\":[{\"nodes\":[{\"operator\":\"AND\",\"children\":[],\"cpeMatch\":"
          + "[{\"vulnerable\":true,\"criteria\":\"cpe:2.3:a:o:p:*:*:*:*:*:*:*:*\"}]}]}]",
      // a bound under a name this reader does not know (a typo or a new NVD key)
      ",\"configurations\":[{\"nodes\":[{\"operator\":\"OR\",\"cpeMatch\":[{\"vulnerable\":true,"
          + "\"criteria\":\"cpe:2.3:a:o:p:*:*:*:*:*:*:*:*\",\"versionEndExcludes\":\"9\"}]}]}]",
      // an unknown key in a configuration
      ",\"configurations\":[{\"operator\":\"OR\",\"platform\":\"x\",\"nodes\":[{\"operator\":"
          + "\"OR\",\"cpeMatch\":[{\"vulnerable\":true,\"criteria\":\"cpe:2.3:a:o:p:*:*:*:*:*:*:*:*\"}]}]}]",
      // a version bound with a control character
      ",\"configurations\":[{\"nodes\":[{\"operator\":\"OR\",\"cpeMatch\":[{\"vulnerable\":true,"
          + "\"criteria\":\"cpe:2.3:a:o:p:*:*:*:*:*:*:*:*\",\"versionEndExcluding\":\"9\\n8\"}]}]}]"})
  @DisplayName("HRD-3 a configuration NVD's schema does not allow is MALFORMED, including a key"
      + " this reader does not know where it would change what is matched")
  void badConfiguration_refused(String configuration) {
    assertThat(code(feed(cve("CVE-2099-0001", configuration)))).isEqualTo(ReasonCode.MALFORMED);
  }

  @Test
  @DisplayName("HRD-3 a CVSS metric that contradicts itself is MALFORMED: a v3.0 score filed as"
      + " v3.1, a severity the score does not have, a score outside 0..10, a vector of another"
      + " version or without its base metrics once each, a type other than Primary/Secondary")
  void badMetric_refused() {
    String v = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    assertThat(read(metric("cvssMetricV31", "Primary", "3.1", v, "9.8", "CRITICAL"))).isNull();
    assertThat(code(feed(cve("CVE-2099-0001",
        metric("cvssMetricV31", "Primary", "3.0", v, "9.8", "CRITICAL")))))
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(code(feed(cve("CVE-2099-0001",
        metric("cvssMetricV31", "Primary", "3.1", v, "9.8", "LOW")))))
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(code(feed(cve("CVE-2099-0001",
        metric("cvssMetricV31", "Primary", "3.1", v, "11.0", "CRITICAL")))))
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(code(feed(cve("CVE-2099-0001", metric("cvssMetricV31", "Primary", "3.1",
        "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "9.8", "CRITICAL")))))
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(code(feed(cve("CVE-2099-0001",
        metric("cvssMetricV31", "Tertiary", "3.1", v, "9.8", "CRITICAL")))))
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(code(feed(cve("CVE-2099-0001", metric("cvssMetricV31", "Primary", "3.1",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "9.8", "CRITICAL")))))
        .as("a base metric missing").isEqualTo(ReasonCode.MALFORMED);
    assertThat(code(feed(cve("CVE-2099-0001", metric("cvssMetricV31", "Primary", "3.1",
        "CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "9.8", "CRITICAL")))))
        .as("a base metric twice").isEqualTo(ReasonCode.MALFORMED);
    assertThat(code(feed(cve("CVE-2099-0001", metric("cvssMetricV2", "Primary", "2.0",
        "AV:N/AC:L/Au:N/C:P/I:P/A:X", "7.5", "HIGH")))))
        .as("a value v2 does not have").isEqualTo(ReasonCode.MALFORMED);
    assertThat(read(metric("cvssMetricV31", "Secondary", "3.1", v + "/E:P/RL:O/RC:C", "9.8",
        "CRITICAL"))).as("temporal metrics after the base ones are allowed").isNull();
  }

  /** A cvssMetricV40 entry without baseScore (and optionally without baseSeverity). */
  static String v40WithoutScore(String vector, String severity) {
    return ",\"metrics\":{\"cvssMetricV40\":[{\"source\":\"cna@example.org\",\"type\":"
        + "\"Secondary\",\"cvssData\":{\"version\":\"4.0\",\"vectorString\":\"" + vector
        + "\"" + (severity == null ? "" : ",\"baseSeverity\":\"" + severity + "\"") + "}}]}";
  }

  @Test
  @DisplayName("HRD-3 a cvssMetricV40 without baseScore is scored from its vector (CVSS-B 9.3,"
      + " a CVSS-BT vector 8.1) and its Supplemental metrics are accepted (U:Clear); one whose"
      + " vector is out of Table 23's order, or whose baseSeverity disagrees with the computed"
      + " score, is MALFORMED; a v3.1 metric still needs its baseScore")
  void v40_withoutBaseScore_computed() throws Exception {
    String b = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
    List<NvdCve> cves = read(feed(
        cve("CVE-2099-0401", v40WithoutScore(b, "CRITICAL")),
        cve("CVE-2099-0402", v40WithoutScore(b + "/E:U/S:X/U:Clear", null)))
        .getBytes(StandardCharsets.UTF_8));
    assertThat(cves).extracting(c -> c.bestMetric().orElseThrow().version() + " "
        + c.bestMetric().orElseThrow().score()).containsExactly("4.0 9.3", "4.0 8.1");
    assertThat(cves.get(1).bestMetric().orElseThrow().severity()).isEqualTo(Severity.HIGH);

    assertThat(code(feed(cve("CVE-2099-0403", v40WithoutScore(
        "CVSS:4.0/AC:L/AV:N/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", null)))))
        .as("out of order").isEqualTo(ReasonCode.MALFORMED);
    assertThat(refused(feed(cve("CVE-2099-0404", v40WithoutScore(b, "HIGH")))
        .getBytes(StandardCharsets.UTF_8)).getMessage()).contains("disagrees");
    assertThat(code(feed(cve("CVE-2099-0405", v40WithoutScore(b + "/U:clear", null)))))
        .as("values are case sensitive").isEqualTo(ReasonCode.MALFORMED);
    assertThat(code(feed(cve("CVE-2099-0406", ",\"metrics\":{\"cvssMetricV31\":[{\"source\":"
        + "\"x@example.org\",\"type\":\"Primary\",\"cvssData\":{\"version\":\"3.1\","
        + "\"vectorString\":\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"}}]}"))))
        .as("v3.1 without baseScore").isEqualTo(ReasonCode.MALFORMED);
    // A stated score is NVD's (or the CNA's) and kept, as for every version.
    assertThat(read(metric("cvssMetricV40", "Primary", "4.0", b + "/U:Clear", "9.3",
        "CRITICAL"))).isNull();
  }

  // The well-formed metric above is read; a helper returning null keeps the assertion honest.
  static Object read(String metricJson) {
    try {
      read(feed(cve("CVE-2099-0001", metricJson)).getBytes(StandardCharsets.UTF_8));
      return null;
    } catch (Exception e) {
      return e;
    }
  }

  @Test
  @DisplayName("HRD-3 a UTF-16 feed is refused rather than decoded by a guess")
  void utf16_refused() throws Exception {
    byte[] utf16 = feed().getBytes(StandardCharsets.UTF_16LE);
    assertThat(refused(utf16).getMessage()).contains("UTF-8");
  }

  /** An endless stream: {@code head}, then {@code unit} forever, counting what was read. */
  static final class Endless extends InputStream {
    final byte[] head;
    final byte[] unit;
    long served;

    Endless(String head, String unit) {
      this.head = head.getBytes(StandardCharsets.UTF_8);
      this.unit = unit.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public int read() throws IOException {
      // A reader without its limit would read forever: fail the test instead of hanging it.
      if (served > 8L * NvdReader.MAX_RECORD_BYTES) {
        throw new IOException("the reader went on far past its limit");
      }
      long i = served++;
      return i < head.length ? head[(int) i] & 0xff
          : unit[(int) ((i - head.length) % unit.length)] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      for (int k = 0; k < len; k++) {
        b[off + k] = (byte) read();
      }
      return len;
    }
  }

  @Test
  @DisplayName("HRD-3 a huge record (endless references) is refused SIZE_LIMIT after about"
      + " MAX_RECORD_BYTES were read, with the records before it already given to the sink:"
      + " streamed, never held whole")
  void hugeRecord_refusedWithBoundedMemory() {
    String head = "{\"format\":\"NVD_CVE\",\"version\":\"2.0\",\"vulnerabilities\":["
        + cve("CVE-2024-0001", "") + ",{\"cve\":{\"id\":\"CVE-2024-0002\",\"references\":[";
    Endless in = new Endless(head, "{\"url\":\"https://example.org/\",\"source\":\"x\"},");
    List<NvdCve> got = new ArrayList<>();
    Throwable t = catchThrowable(() -> NvdReader.read(in, "huge.json", got::add));
    assertThat(t).isInstanceOf(RefusalException.class);
    assertThat(((RefusalException) t).code()).isEqualTo(ReasonCode.SIZE_LIMIT);
    assertThat(t.getMessage()).contains("CVE-2024-0002").contains("larger than");
    assertThat(got).extracting(NvdCve::id).containsExactly("CVE-2024-0001");
    assertThat(in.served).isBetween((long) NvdReader.MAX_RECORD_BYTES,
        NvdReader.MAX_RECORD_BYTES + (1L << 20));
  }

  @Test
  @DisplayName("HRD-3 a huge string (an endless description) is refused SIZE_LIMIT while it is"
      + " read, not after it was buffered")
  void hugeString_refusedWhileRead() {
    String head = "{\"format\":\"NVD_CVE\",\"version\":\"2.0\",\"vulnerabilities\":["
        + "{\"cve\":{\"id\":\"CVE-2024-0003\",\"descriptions\":[{\"lang\":\"en\",\"value\":\"";
    Endless in = new Endless(head, "A");
    Throwable t = catchThrowable(() -> NvdReader.read(in, "huge.json", c -> { }));
    assertThat(t).isInstanceOf(RefusalException.class);
    assertThat(((RefusalException) t).code()).isEqualTo(ReasonCode.SIZE_LIMIT);
    assertThat(in.served).isLessThan(NvdReader.MAX_RECORD_BYTES + (1L << 20));
  }

  @Test
  @DisplayName("HRD-3 a gzip bomb (a small .gz of an endless record) is refused SIZE_LIMIT after"
      + " about MAX_RECORD_BYTES of JSON, whatever it would inflate to")
  void gzipBomb_refused() throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(b)) {
      z.write(("{\"format\":\"NVD_CVE\",\"version\":\"2.0\",\"vulnerabilities\":[{\"cve\":{"
          + "\"id\":\"CVE-2024-0004\",\"weaknesses\":[").getBytes(StandardCharsets.UTF_8));
      byte[] unit = "[],".repeat(100_000).getBytes(StandardCharsets.UTF_8);
      for (int i = 0; i < 100; i++) {
        z.write(unit); // 30 MB of JSON in a few dozen KB
      }
    }
    assertThat(b.size()).isLessThan(1 << 20);
    InputStream in = new SequenceInputStream(new ByteArrayInputStream(b.toByteArray()),
        InputStream.nullInputStream());
    Throwable t = catchThrowable(() -> NvdReader.read(in, "bomb.json.gz", c -> { }));
    assertThat(t).isInstanceOf(RefusalException.class);
    assertThat(((RefusalException) t).code()).isEqualTo(ReasonCode.SIZE_LIMIT);
  }

  @Test
  @DisplayName("HRD-3 more cpeMatch entries in a record than MAX_CPE_MATCHES is SIZE_LIMIT,"
      + " refused before the one too many is kept")
  void tooManyCpeMatches_refused() {
    String one = "{\"vulnerable\":true,\"criteria\":\"cpe:2.3:a:o:p:*:*:*:*:*:*:*:*\"}";
    String many = String.join(",", java.util.Collections.nCopies(NvdReader.MAX_CPE_MATCHES + 1,
        one));
    String f = feed(cve("CVE-2099-0001", ",\"configurations\":[{\"nodes\":[{\"operator\":"
        + "\"OR\",\"cpeMatch\":[" + many + "]}]}]"));
    assertThat(f.length()).as("under the byte limit: the count is what refuses it")
        .isLessThan(NvdReader.MAX_RECORD_BYTES);
    RefusalException r = refused(f.getBytes(StandardCharsets.UTF_8));
    assertThat(r.code()).isEqualTo(ReasonCode.SIZE_LIMIT);
    assertThat(r.getMessage()).contains("cpeMatch");
  }

  @Test
  @DisplayName("HRD-3 nesting deeper than any NVD record (an attacker's stack exhaustion) is"
      + " SIZE_LIMIT")
  void deepNesting_refused() {
    String deep = "[".repeat(200) + "]".repeat(200);
    RefusalException r = refused(feed(cve("CVE-2099-0001", ",\"references\":" + deep))
        .getBytes(StandardCharsets.UTF_8));
    assertThat(r.code()).isEqualTo(ReasonCode.SIZE_LIMIT);
  }

  @Test
  @DisplayName("HRD-3 streaming, bounded memory: a generated feed of 40,000 records (about"
      + " 23 MB) is read by a JVM with a 16 MiB heap, which could not hold it")
  void largeFeed_readInSmallHeap() throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p = new ProcessBuilder(java, "-Xmx16m", "-cp", System.getProperty("java.class.path"),
        NvdFeedStreamMain.class.getName(), "40000").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    assertThat(out).contains("records=40000");
    long bytes = Long.parseLong(out.replaceAll("(?s).*bytes=(\\d+).*", "$1"));
    assertThat(bytes).as("the feed is larger than the heap").isGreaterThan(20L << 20);
  }

  @Test
  @DisplayName("HRD-3 refusal messages are one printable line: input quoted by the parser never"
      + " carries a terminal escape")
  void messages_printable() {
    RefusalException r = refused(("{\"format\":\"NVD_CVE\",\"version\":\"2.0\","
        + "\"vulnerabilities\":[abc\u001b[2Jdef]}").getBytes(StandardCharsets.UTF_8));
    assertThat(r.code()).isEqualTo(ReasonCode.MALFORMED);
    assertThat(r.getMessage()).doesNotContain("\u001b").doesNotContain("\n");
  }
}
