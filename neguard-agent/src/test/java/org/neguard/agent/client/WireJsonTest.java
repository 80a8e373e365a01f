package org.neguard.agent.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.neguard.api.attest.AttestationResult;
import org.neguard.api.attest.EvidenceSubmission;
import org.neguard.api.attest.TpmActivation;
import org.neguard.api.attest.TpmBound;
import org.neguard.api.attest.TpmCredential;
import org.neguard.api.attest.TpmCredentialRequest;
import org.neguard.api.device.AttestationChallenge;
import org.neguard.api.device.CertificateIssued;
import org.neguard.api.device.CertificateRequest;
import org.neguard.api.device.DeviceOrder;
import org.neguard.api.device.DriftFinding;
import org.neguard.api.device.EnrollRequest;
import org.neguard.api.device.Enrolled;
import org.neguard.api.device.Feedback;
import org.neguard.api.device.InstalledPackage;
import org.neguard.api.device.InventoryVerdict;
import org.neguard.api.device.ListeningPort;
import org.neguard.api.device.OrderKey;
import org.neguard.api.device.OsPackage;
import org.neguard.api.device.PackageReport;
import org.neguard.api.device.PackageVerdict;
import org.neguard.api.device.Poll;
import org.neguard.api.device.SocketOwner;
import org.neguard.api.problem.Problem;
import org.neguard.api.problem.ProblemReason;
import org.neguard.api.problem.Verdict;
import org.junit.jupiter.api.Test;

/**
 * The agent's JSON (Jackson jr) and the server's (Jackson's data binding as the server sets it:
 * unknown fields refused, nulls left out) read the same bytes the same way, for every record
 * the agent exchanges, in both directions: two parsers of one document must not differ.
 */
class WireJsonTest {
  /** The server's reading and writing of the device API (NeguardServer's Jackson settings). */
  private static final ObjectMapper SERVER = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .setSerializationInclusion(JsonInclude.Include.NON_NULL);

  private static final ProblemReason REASON = new ProblemReason("DIGEST_MISMATCH", "a file's"
      + " digest differs \u2028 \"quoted\" \u00e9", "bin/mme");
  private static final InstalledPackage INSTALLED = new InstalledPackage("mme", "2.1.0",
      Long.MAX_VALUE);
  private static final OrderKey KEY = new OrderKey("k1", "ES256", "MFkw", "2026-12-01T00:00:00Z",
      null);
  private static final ListeningPort PORT = new ListeningPort("sctp", 36412, "10.0.0.1");

  /** What the agent sends: read by the server's binding into an equal record. */
  private static final List<Object> SENT = List.of(
      new EnrollRequest("tok", "ne-1", "mme", List.of("site=a", "rack=1"), "-----BEGIN",
          List.of(INSTALLED)),
      new EnrollRequest("tok", "ne-1", "mme", List.of(), "csr", null),
      new Feedback("o-1", "FAILED", 40, List.of(REASON), INSTALLED, "eyJ"),
      new Feedback("o-1", "INSTALLED", null, List.of(), null, null),
      new EvidenceSubmission("eyJhbGciOiJFUzI1NiJ9.e30.sig"),
      new PackageReport("dpkg", "debian 12", "ab".repeat(32),
          List.of(new OsPackage("openssh-server", "1:9.2p1-2+deb12u3", "amd64", "openssh",
              "1:9.2p1-2+deb12u3")),
          List.of(new SocketOwner("tcp", 22, "0.0.0.0", "sshd", "/usr/sbin/sshd",
              "openssh-server")), List.of("rpm: not installed")),
      new PackageReport("none", null, "cd".repeat(32), null, List.of(), List.of()),
      new CertificateRequest("-----BEGIN CERTIFICATE REQUEST-----"),
      new TpmCredentialRequest("ek", "ak", null),
      new TpmCredentialRequest("ek", "ak", "cert"),
      new TpmActivation("secret"));

  /** What the server answers: written by its binding, read by the agent into an equal record. */
  private static final List<Object> RECEIVED = List.of(
      new Enrolled("ne-1", "cert", "ca", "2027-12-01T00:00:00Z", List.of(KEY)),
      new Poll(new DeviceOrder("o-1", "d-1", "eyJ.e30.sig", "/api/device/v1/bundles/o-1"), true,
          30, new AttestationChallenge("nonce", "SCHEDULED", "2026-12-06T10:00:00Z")),
      new Poll(null, false, 5, null),
      new Poll(null, false, 5, new AttestationChallenge("nonce", "SCHEDULED",
          "2026-12-06T10:00:00Z", List.of(AttestationChallenge.KnownComponent.of("nonce", "mme",
              "ab".repeat(32)), AttestationChallenge.KnownComponent.of("nonce", "platform:etc",
              "cd".repeat(32))))),
      new AttestationResult("a-1", "ne-1", "SCHEDULED", "PASS", "SOFTWARE_KEY", "tim",
          "TRUSTED", "2026-12-06T10:00:00Z", "2026-12-06T10:00:01Z", List.of(REASON)),
      new PackageVerdict("ASSESSED", "ab".repeat(32), 3, 1, List.of("m")),
      new InventoryVerdict("FAIL", "mme", 4, "ef".repeat(32), List.of(PORT),
          List.of(new DriftFinding(7, "ne-1", PORT, "UNDECLARED", "sctp/36412", "mme", "d", 4,
              "2026-12-06T10:00:00Z", null, null)), List.of(), List.of(), List.of("note")),
      new InventoryVerdict("NO_POLICY", "mme", null, null, null, null, null, null, null),
      KEY,
      new CertificateIssued("cert", "0a", "2027-12-01T00:00:00Z"),
      new TpmCredential("cred", "2026-12-06T10:05:00Z"),
      new TpmBound("ne-1", 16, "000b", "ab", "2026-12-06T10:00:00Z", "VERIFIED"));

  @Test
  void write_everyRecordTheAgentSends_readsEqualThroughTheServersBinding() throws IOException {
    for (Object sent : SENT) {
      byte[] json = WireJson.write(sent);
      assertThat(SERVER.readValue(json, sent.getClass())).as(new String(json,
          StandardCharsets.UTF_8)).isEqualTo(sent);
      // Field for field what the server's binding writes (names, nulls left out, values).
      assertThat(SERVER.readTree(json)).isEqualTo(SERVER.readTree(SERVER.writeValueAsBytes(sent)));
    }
  }

  @Test
  void read_everyRecordTheServerAnswers_readsEqual() throws IOException {
    for (Object answer : RECEIVED) {
      byte[] json = SERVER.writeValueAsBytes(answer);
      assertThat(WireJson.read(json, answer.getClass())).as(new String(json,
          StandardCharsets.UTF_8)).isEqualTo(answer);
    }
    assertThat(WireJson.readList(SERVER.writeValueAsBytes(List.of(KEY, KEY)), OrderKey.class))
        .containsExactly(KEY, KEY);
  }

  @Test
  void writeThenRead_everyRecord_isEqual() throws IOException {
    for (Object value : java.util.stream.Stream.concat(SENT.stream(), RECEIVED.stream())
        .toList()) {
      assertThat(WireJson.read(WireJson.write(value), value.getClass())).isEqualTo(value);
    }
  }

  @Test
  void read_fieldsOfANewerServer_areIgnored() throws IOException {
    byte[] json = ("{\"order\":null,\"renewCertificate\":false,\"pollAfterSeconds\":9,"
        + "\"shinyNewField\":{\"a\":[1,2]}}").getBytes(StandardCharsets.UTF_8);
    assertThat(WireJson.read(json, Poll.class)).isEqualTo(new Poll(null, false, 9, null));
  }

  @Test
  void read_missingPrimitive_failsRatherThanInventingAValue() {
    byte[] json = "{\"renewCertificate\":true}".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> WireJson.read(json, Poll.class)).isInstanceOf(IOException.class);
  }

  /**
   * Bodies the server's binding refuses: the agent refuses them too. Without the strict scalar
   * readers jr read the first one as a PASS with no undeclared port (the object in "verdict"
   * read as null, its fields then taken as the outer record's).
   */
  @Test
  void read_whatTheServersBindingRefuses_refused() {
    for (String body : List.of(
        "{\"verdict\":{\"verdict\":\"PASS\",\"undeclared\":[]},\"undeclared\":"
            + "[{\"protocol\":\"tcp\",\"port\":22,\"address\":\"0.0.0.0\"}]}",
        "{\"verdict\":[\"PASS\"]}",
        "{\"verdict\":\"FAIL\",\"policyVersion\":4294967296}")) {
      byte[] json = body.getBytes(StandardCharsets.UTF_8);
      assertThatThrownBy(() -> SERVER.readValue(json, InventoryVerdict.class)).as(body)
          .isInstanceOf(IOException.class);
      assertThatThrownBy(() -> WireJson.read(json, InventoryVerdict.class)).as(body)
          .isInstanceOf(IOException.class);
    }
  }

  /**
   * Bodies the binding's defaults would read one way or another (a number as text, a fraction
   * cut to a whole number, the last of two keys, the first of two documents, a stray bracket
   * after the object): the agent reads none of them.
   */
  @Test
  void read_whatOnlyALenientReaderTakes_refused() {
    for (String body : List.of("{\"verdict\":\"FAIL\",\"policyVersion\":\"4\"}",
        "{\"verdict\":\"FAIL\",\"policyVersion\":4.5}", "{\"verdict\":\"FAIL\"}]",
        "{\"verdict\":\"FAIL\",\"verdict\":\"PASS\"}",
        "{\"verdict\":\"FAIL\"} {\"verdict\":\"PASS\"}")) {
      assertThatThrownBy(() -> WireJson.read(body.getBytes(StandardCharsets.UTF_8),
          InventoryVerdict.class)).as(body).isInstanceOf(IOException.class);
    }
  }

  @Test
  void read_primitiveNullOrOfAnotherKind_refused() {
    for (String body : List.of("{\"renewCertificate\":false,\"pollAfterSeconds\":null}",
        "{\"renewCertificate\":\"true\",\"pollAfterSeconds\":5}",
        "{\"renewCertificate\":1,\"pollAfterSeconds\":5}",
        "{\"renewCertificate\":false,\"pollAfterSeconds\":{}}")) {
      assertThatThrownBy(() -> WireJson.read(body.getBytes(StandardCharsets.UTF_8), Poll.class))
          .as(body).isInstanceOf(IOException.class);
    }
  }

  @Test
  void reasons_ofTheServersProblem_areItsReasons() throws IOException {
    Problem p = new Problem(Verdict.FAIL, List.of(REASON));
    assertThat(WireJson.reasons(SERVER.writeValueAsBytes(p))).containsExactly(REASON);
  }

  @Test
  void reasons_ofABodyWithoutReasons_fail() {
    for (String body : List.of("{}", "{\"reasons\":[]}", "null", "[]", "<html>")) {
      assertThatThrownBy(() -> WireJson.reasons(body.getBytes(StandardCharsets.UTF_8)))
          .as(body).isInstanceOf(IOException.class);
    }
  }

  @Test
  void refusal_withTheServersProblem_carriesItsReasons() {
    Problem p = new Problem(Verdict.FAIL, List.of(REASON));
    byte[] body;
    try {
      body = SERVER.writeValueAsBytes(p);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    DeviceApiException e = DeviceClient.refusal(422, body);
    assertThat(e.reasons()).containsExactly(REASON);
    assertThat(DeviceClient.refusal(502, "<html>".getBytes(StandardCharsets.UTF_8)).reasons())
        .extracting(ProblemReason::code).containsExactly("INTERNAL");
  }
}
