package org.neguard.cli.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.api.attest.AttestationPolicy;
import org.neguard.api.attest.AttestationResult;
import org.neguard.api.attest.DeviceTrust;
import org.neguard.api.audit.AuditRecord;
import org.neguard.api.deploy.Target;
import org.neguard.api.problem.ProblemReason;
import org.neguard.evidence.Outcome;
import org.neguard.evidence.TestCase;
import org.neguard.evidence.integrity.IntegrityDocument;

/**
 * How the integrity evidence judges the server's records: a requirement passes only on an
 * observed run, is NOT_DEMONSTRATED (with what to run) without one, and fails on a record that
 * contradicts it. The records are the wire records a server answers with; the end-to-end run
 * against a real server is AttestCliTest.
 */
class IntegrityEvidenceTest {
  private static final ProblemReason MISMATCH = new ProblemReason("MEASUREMENT_MISMATCH",
      "component pkg:core: file lib/core.so differs from the reference", "pkg:core/lib/core.so");
  private final List<AttestationResult> attestations = new ArrayList<>();
  private final List<IntegrityDocument.Run> runs = new ArrayList<>();
  private final List<AuditRecord> audit = new ArrayList<>();
  private final List<DeviceTrust> devices = new ArrayList<>(List.of(
      new DeviceTrust("dev-1", "mme", "trusted", "", "2026-12-04T09:30:05Z",
          "2026-12-04T09:35:00Z", "PASS", null)));
  /** The trust base each device's evidence was verified with; SOFTWARE_KEY when not set. */
  private final Map<String, String> trustBases = new HashMap<>();
  private int n;

  private AttestationResult att(String device, String reason, String result, String trust,
      int minute, ProblemReason... reasons) {
    String tim = String.format("%064x", minute);
    AttestationResult a = new AttestationResult("att-" + ++n, device, reason, result,
        trustBases.getOrDefault(device, "SOFTWARE_KEY"), tim, trust,
        String.format("2026-12-04T09:%02d:00Z", minute),
        result == null ? null : String.format("2026-12-04T09:%02d:05Z", minute),
        List.of(reasons));
    attestations.add(a);
    return a;
  }

  private static Target target(String device, String state, String order, int minute,
      ProblemReason... reasons) {
    return gatedBy(null, device, state, order, minute, reasons);
  }

  /** A target whose order the gate issued after attestation {@code gate} (null: not recorded). */
  private static Target gatedBy(String gate, String device, String state, String order,
      int minute, ProblemReason... reasons) {
    return new Target(device, 1, state, order, order == null ? null
        : String.format("2026-12-04T09:%02d:30Z", minute), null, null, List.of(reasons), gate);
  }

  private IntegrityDocument.Observed observed() {
    return new IntegrityDocument.Observed("http://127.0.0.1:1", devices, attestations, audit,
        runs,
        List.of(new AttestationPolicy("mme", List.of("quarantine", "rollback"), "appr",
            "2026-12-04T08:00:00Z")), List.of(), List.of());
  }

  private Map<String, TestCase> cases() {
    return IntegrityEvidence.cases(observed()).stream()
        .collect(Collectors.toMap(c -> c.requirements().get(0), Function.identity()));
  }

  @Test
  @DisplayName("ATT-1..4 REC-1..4 OBJ-2 with no run recorded: every requirement"
      + " NOT_DEMONSTRATED, each with what to run, none passed")
  void nothingObserved_notDemonstrated(@TempDir Path dir) throws Exception {
    IntegrityEvidence.Result r = IntegrityEvidence.write(observed(), dir);
    assertThat(r.passed()).isEmpty();
    assertThat(r.failed()).isEmpty();
    assertThat(r.notDemonstrated()).containsExactly("TC-ATT1-01", "TC-ATT2-01", "TC-ATT3-01",
        "TC-ATT4-01", "TC-REC1-01", "TC-REC2-01", "TC-REC3-01", "TC-REC4-01", "TC-OBJ2-01");
    JsonNode doc = new ObjectMapper().readTree(r.json().toFile());
    assertThat(doc.path("requirements")).hasSize(9).allSatisfy(c -> {
      assertThat(c.path("verdict").asText()).isEqualTo("NOT_DEMONSTRATED");
      assertThat(c.path("procedure").toString()).contains("to demonstrate it, run");
      assertThat(c.path("purpose").asText()).startsWith("Requirement ");
    });
    String html = Files.readString(r.html());
    assertThat(html).contains("NOT DEMONSTRATED").doesNotContain("NOT TESTED")
        .contains("ATT-1 (test case TC-ATT1-01)").contains("OBJ-2 (test case TC-OBJ2-01)");
  }

  @Test
  @DisplayName("the whole flow observed: first contact, a gated update whose TIM changed as"
      + " expected, a scheduled check naming a changed file, quarantine, a recovery campaign and"
      + " readmission pass ATT-1..4, REC-1..4 and OBJ-2")
  void wholeFlow_passes(@TempDir Path dir) throws Exception {
    att("dev-1", "FIRST_CONTACT", "PASS", "trusted", 1);
    att("dev-1", "BEFORE_UPDATE", "PASS", "trusted", 10);
    runs.add(new IntegrityDocument.Run("dep-1", "update", "core", "1.1", "completed", "",
        List.of(target("dev-1", "succeeded", "ord-1", 10))));
    att("dev-1", "AFTER_UPDATE", "PASS", "trusted", 12);
    att("dev-1", "SCHEDULED", "PASS", "trusted", 15);
    att("dev-1", "SCHEDULED", "FAIL", "quarantined", 20, MISMATCH);
    audit.add(new AuditRecord(7, "2026-12-04T09:20:05Z", "system", "DEVICE_QUARANTINE",
        "dev-1", "success", "ATTESTATION_FAILED policy quarantine,rollback", "-", "0", "1"));
    runs.add(new IntegrityDocument.Run("dep-2", "recovery", "core", "1.1", "completed", "",
        List.of(target("dev-1", "succeeded", "ord-2", 25))));
    att("dev-1", "READMISSION", "PASS", "trusted", 30);
    Map<String, TestCase> c = cases();
    assertThat(c.values()).allSatisfy(t -> assertThat(t.outcome()).as(t.id() + ": "
        + t.actual()).isEqualTo(Outcome.PASS));
    assertThat(c.get("ATT-1").details()).anySatisfy(d -> assertThat(d)
        .contains("BEFORE_UPDATE").contains("then order ord-1"));
    assertThat(c.get("OBJ-2").details()).anySatisfy(d -> assertThat(d)
        .contains("change detected").contains("pkg:core/lib/core.so"));
    assertThat(c.get("REC-1").details()).anySatisfy(d -> assertThat(d)
        .contains("DEVICE_QUARANTINE"));
    assertThat(c.get("REC-4").details()).anySatisfy(d -> assertThat(d)
        .contains("before the update").contains("after"));
    IntegrityEvidence.Result r = IntegrityEvidence.write(observed(), dir);
    assertThat(r.passed()).hasSize(9);
    assertThat(new ObjectMapper().readTree(r.json().toFile()).path("verdict").asText())
        .isEqualTo("pass");
  }

  @Test
  @DisplayName("ATT-1 an order issued after a failed BEFORE_UPDATE attestation fails ATT-1")
  void att1_orderAfterFailure_fails(@TempDir Path dir) throws Exception {
    AttestationResult failed = att("dev-1", "BEFORE_UPDATE", "FAIL", "quarantined", 10,
        MISMATCH);
    runs.add(new IntegrityDocument.Run("dep-1", "update", "core", "1.1", "running", "",
        List.of(gatedBy(failed.id(), "dev-1", "issued", "ord-1", 10))));
    TestCase t = cases().get("ATT-1");
    assertThat(t.outcome()).isEqualTo(Outcome.FAIL);
    assertThat(t.details()).anySatisfy(d -> assertThat(d).startsWith("CONTRADICTION"));
    assertThat(IntegrityEvidence.write(observed(), dir).failed()).containsExactly("TC-ATT1-01");
  }

  @Test
  @DisplayName("ATT-1 an order the gate recorded after a scheduled pass the wave took (no"
      + " BEFORE_UPDATE asked) is a gated order, and its NE is counted by trust base")
  void att1_orderAfterScheduledPassTheGateRecorded_gated(@TempDir Path dir) throws Exception {
    AttestationResult pass = att("dev-1", "SCHEDULED", "PASS", "trusted", 8);
    runs.add(new IntegrityDocument.Run("dep-1", "update", "core", "1.1", "completed", "",
        List.of(gatedBy(pass.id(), "dev-1", "succeeded", "ord-1", 10))));
    TestCase t = cases().get("ATT-1");
    assertThat(t.outcome()).as(t.actual()).isEqualTo(Outcome.PASS);
    assertThat(t.details()).anySatisfy(d -> assertThat(d)
        .contains("att-1 of dev-1 (SCHEDULED) PASS").contains("then order ord-1"));
    JsonNode doc = new ObjectMapper().readTree(
        IntegrityEvidence.write(observed(), dir).json().toFile());
    assertThat(doc.path("requirements").get(0).path("trustBases").path("nes").asInt())
        .isEqualTo(1);
  }

  @Test
  @DisplayName("ATT-1 an order recorded after a failed attestation, another device's or a"
      + " completion's contradicts ATT-1, though an older BEFORE_UPDATE attestation passed")
  void att1_orderRecordedAfterAFailureOrAnotherDevicesPass_fails() {
    att("dev-1", "BEFORE_UPDATE", "PASS", "trusted", 5);
    AttestationResult failed = att("dev-1", "SCHEDULED", "FAIL", "quarantined", 8, MISMATCH);
    AttestationResult other = att("dev-2", "SCHEDULED", "PASS", "trusted", 9);
    AttestationResult completion = att("dev-1", "AFTER_UPDATE", "PASS", "trusted", 9);
    for (AttestationResult gate : List.of(failed, other, completion)) {
      runs.clear();
      runs.add(new IntegrityDocument.Run("dep-1", "update", "core", "1.1", "running", "",
          List.of(gatedBy(gate.id(), "dev-1", "issued", "ord-1", 10))));
      TestCase t = cases().get("ATT-1");
      assertThat(t.outcome()).as(gate.id()).isEqualTo(Outcome.FAIL);
      assertThat(t.details()).anySatisfy(d -> assertThat(d).startsWith("CONTRADICTION")
          .contains(gate.id()));
    }
  }

  @Test
  @DisplayName("ATT-1 without the gate's record, a scheduled pass or a completion's pass before"
      + " an order is no gate (an order from before attestation would read as gated), nor is a"
      + " failed BEFORE_UPDATE one a contradiction; a recorded attestation not among the records"
      + " read is neither")
  void att1_unrecordedOrderAfterOtherPasses_orRecordedBeyondTheRecords_notDemonstrated() {
    att("dev-1", "SCHEDULED", "PASS", "trusted", 7);
    att("dev-1", "AFTER_UPDATE", "PASS", "trusted", 8);
    // Unrecorded after a failed BEFORE_UPDATE: the gate may have taken a newer scheduled pass.
    att("dev-2", "BEFORE_UPDATE", "FAIL", "trusted", 7, MISMATCH);
    att("dev-2", "SCHEDULED", "PASS", "trusted", 8);
    runs.add(new IntegrityDocument.Run("dep-1", "update", "core", "1.1", "completed", "",
        List.of(target("dev-1", "succeeded", "ord-1", 10),
            gatedBy("att-gone", "dev-1", "succeeded", "ord-2", 11),
            target("dev-2", "succeeded", "ord-3", 10))));
    TestCase t = cases().get("ATT-1");
    assertThat(t.outcome()).as(t.details().toString()).isEqualTo(Outcome.NOT_TESTED);
    assertThat(t.details()).anySatisfy(d -> assertThat(d).contains("order ord-3")
        .contains("the gate's attestation was not recorded"));
    assertThat(t.details()).anySatisfy(d -> assertThat(d).contains("order ord-1")
        .contains("with no BEFORE_UPDATE attestation judged before it"));
    assertThat(t.details()).anySatisfy(d -> assertThat(d).contains("order ord-2")
        .contains("after attestation att-gone, beyond the records read"));
  }

  @Test
  @DisplayName("ATT-1 attestations are ordered by instant, not by their text: a pass asked half"
      + " a second after a failure is the newer one")
  void att1_requestedTimesWithFractions_orderedAsInstants() {
    attestations.add(new AttestationResult("att-fail", "dev-1", "BEFORE_UPDATE", "FAIL",
        "SOFTWARE_KEY", "0".repeat(64), "trusted", "2026-12-04T09:05:00Z",
        "2026-12-04T09:05:01Z", List.of(MISMATCH)));
    attestations.add(new AttestationResult("att-pass", "dev-1", "BEFORE_UPDATE", "PASS",
        "SOFTWARE_KEY", "0".repeat(64), "trusted", "2026-12-04T09:05:00.5Z",
        "2026-12-04T09:05:02Z", List.of()));
    runs.add(new IntegrityDocument.Run("dep-1", "update", "core", "1.1", "completed", "",
        List.of(target("dev-1", "succeeded", "ord-1", 10))));
    TestCase t = cases().get("ATT-1");
    assertThat(t.outcome()).as(t.details().toString()).isEqualTo(Outcome.PASS);
  }

  @Test
  @DisplayName("ATT-1 a device held back after a failed BEFORE_UPDATE attestation is shown, but"
      + " alone does not demonstrate a gated order")
  void att1_heldBack_only() {
    att("dev-1", "BEFORE_UPDATE", "FAIL", "quarantined", 10, MISMATCH);
    runs.add(new IntegrityDocument.Run("dep-1", "update", "core", "1.1", "completed", "",
        List.of(target("dev-1", "failed", null, 10, new ProblemReason("ATTESTATION_FAILED",
            "not updated", "dev-1")))));
    TestCase t = cases().get("ATT-1");
    assertThat(t.outcome()).isEqualTo(Outcome.NOT_TESTED);
    assertThat(t.actual()).contains("1 target(s) held back");
  }

  @Test
  @DisplayName("ATT-4 REC-3 a failed attestation that left the device trusted contradicts them")
  void failureLeftTrusted_fails() {
    att("dev-1", "FIRST_CONTACT", "NO_REFERENCE", "trusted", 1);
    att("dev-1", "AFTER_UPDATE", "FAIL", "trusted", 12, MISMATCH);
    Map<String, TestCase> c = cases();
    assertThat(c.get("REC-3").outcome()).isEqualTo(Outcome.FAIL);
    assertThat(c.get("ATT-4").outcome()).isEqualTo(Outcome.FAIL);
  }

  @Test
  @DisplayName("ATT-4 REC-3 no contradiction from a failure later readmitted, an expired"
      + " completion (a rolled-back update sends no evidence), or rows showing today's trust")
  void laterPassOrExpired_noContradiction() {
    att("dev-1", "FIRST_CONTACT", "NO_REFERENCE", "trusted", 1);
    att("dev-1", "AFTER_UPDATE", "FAIL", "trusted", 12, MISMATCH);
    att("dev-1", "AFTER_UPDATE", "EXPIRED", "trusted", 14);
    att("dev-1", "READMISSION", "PASS", "trusted", 20);
    Map<String, TestCase> c = cases();
    assertThat(c.get("REC-3").outcome()).isEqualTo(Outcome.PASS);
    assertThat(c.get("ATT-4").outcome()).isEqualTo(Outcome.PASS);
  }

  @Test
  @DisplayName("OBJ-2 scheduled passes alone do not demonstrate that a change is detected")
  void obj2_passesOnly_notDemonstrated() {
    att("dev-1", "SCHEDULED", "PASS", "trusted", 5);
    att("dev-1", "SCHEDULED", null, "trusted", 10);
    TestCase t = cases().get("OBJ-2");
    assertThat(t.outcome()).isEqualTo(Outcome.NOT_TESTED);
    assertThat(t.procedure()).anySatisfy(s -> assertThat(s).contains("change a file"));
  }

  @Test
  @DisplayName("the HTML escapes what devices name: no markup from a component or file name")
  void html_escapesDeviceText(@TempDir Path dir) throws Exception {
    att("dev-1", "SCHEDULED", "FAIL", "quarantined", 20, new ProblemReason(
        "MEASUREMENT_MISMATCH", "component pkg:core: file <script>x</script> changed",
        "pkg:core/<script>"));
    String html = Files.readString(IntegrityEvidence.write(observed(), dir).html());
    assertThat(html).doesNotContain("<script>").contains("&lt;script&gt;");
  }

  /** A TPM device bound with {@code ekTrust} (CERTIFIED, UNVERIFIED), trusted. */
  private void tpmDevice(String device, String ekTrust) {
    devices.add(new DeviceTrust(device, "henb", "trusted", "", "2026-12-04T09:30:05Z",
        "2026-12-04T09:35:00Z", "PASS", ekTrust));
    trustBases.put(device, "TPM");
  }

  @Test
  @DisplayName("ATT-1 OBJ-2 each NE's trust base and EK trust: a software-key NE and a TPM NE"
      + " whose EK is UNVERIFIED are counted and named not hardware-rooted, beside a CERTIFIED"
      + " one, in the JSON and the HTML; the requirements still pass on them")
  void trustBases_unverifiedEkAndSoftwareKey_namedNotHardwareRooted(@TempDir Path dir)
      throws Exception {
    tpmDevice("dev-tpm", "UNVERIFIED");
    tpmDevice("dev-cert", "CERTIFIED");
    List<Target> targets = new ArrayList<>();
    for (String d : List.of("dev-1", "dev-tpm", "dev-cert")) {
      att(d, "BEFORE_UPDATE", "PASS", "trusted", 10);
      targets.add(target(d, "succeeded", "ord-" + d, 10));
    }
    runs.add(new IntegrityDocument.Run("dep-1", "update", "core", "1.1", "completed", "",
        targets));
    att("dev-1", "SCHEDULED", "PASS", "trusted", 15);
    att("dev-tpm", "SCHEDULED", "FAIL", "quarantined", 20, MISMATCH);
    Map<String, TestCase> c = cases();
    assertThat(c.get("ATT-1").outcome()).isEqualTo(Outcome.PASS);
    assertThat(c.get("OBJ-2").outcome()).isEqualTo(Outcome.PASS);
    assertThat(c.get("ATT-1").details().get(0)).isEqualTo("Trust bases of the 3 NE(s) attested"
        + " here: 1 software key (not hardware-rooted); 1 TPM, EK UNVERIFIED (not"
        + " hardware-rooted); 1 TPM, EK CERTIFIED (hardware-rooted). The attestations of the 2"
        + " NE(s) not hardware-rooted rest on a software key or on a TPM whose EK no configured"
        + " manufacturer CA certified (the device's word), not on a TPM its manufacturer"
        + " vouched for");
    assertThat(c.get("ATT-1").details()).anySatisfy(d -> assertThat(d).contains("of dev-tpm")
        .contains("trust base TPM, EK UNVERIFIED (not hardware-rooted)"))
        .anySatisfy(d -> assertThat(d).contains("of dev-1")
            .contains("trust base software key (not hardware-rooted)"))
        .anySatisfy(d -> assertThat(d).contains("of dev-cert")
            .contains("trust base TPM, EK CERTIFIED (hardware-rooted)"));
    assertThat(c.get("OBJ-2").details().get(0)).startsWith("Trust bases of the 2 NE(s) attested"
        + " here: 1 software key (not hardware-rooted); 1 TPM, EK UNVERIFIED (not"
        + " hardware-rooted). ");

    IntegrityEvidence.Result r = IntegrityEvidence.write(observed(), dir);
    JsonNode doc = new ObjectMapper().readTree(r.json().toFile());
    assertThat(doc.path("verdict").asText()).isEqualTo("pass");
    JsonNode att1 = doc.path("requirements").get(0).path("trustBases");
    assertThat(doc.path("requirements").get(0).path("id").asText()).isEqualTo("TC-ATT1-01");
    assertThat(att1.path("nes").asInt()).isEqualTo(3);
    assertThat(att1.path("hardwareRooted").asInt()).isEqualTo(1);
    assertThat(att1.path("notHardwareRooted").asInt()).isEqualTo(2);
    assertThat(att1.path("byRoot").path("SOFTWARE_KEY").asInt()).isEqualTo(1);
    assertThat(att1.path("byRoot").path("TPM_EK_UNVERIFIED").asInt()).isEqualTo(1);
    assertThat(att1.path("byRoot").path("TPM_EK_CERTIFIED").asInt()).isEqualTo(1);
    Map<String, JsonNode> nes = new HashMap<>();
    att1.path("devices").forEach(d -> nes.put(d.path("deviceId").asText(), d));
    assertThat(nes.get("dev-tpm").path("trustBases").toString()).isEqualTo("[\"TPM\"]");
    assertThat(nes.get("dev-tpm").path("ekTrust").asText()).isEqualTo("UNVERIFIED");
    assertThat(nes.get("dev-tpm").path("root").asText()).isEqualTo("TPM_EK_UNVERIFIED");
    assertThat(nes.get("dev-tpm").path("hardwareRooted").asBoolean()).isFalse();
    assertThat(nes.get("dev-1").path("trustBases").toString()).isEqualTo("[\"SOFTWARE_KEY\"]");
    assertThat(nes.get("dev-1").path("ekTrust").isNull()).isTrue();
    assertThat(nes.get("dev-1").path("root").asText()).isEqualTo("SOFTWARE_KEY");
    assertThat(nes.get("dev-1").path("hardwareRooted").asBoolean()).isFalse();
    assertThat(nes.get("dev-cert").path("root").asText()).isEqualTo("TPM_EK_CERTIFIED");
    assertThat(nes.get("dev-cert").path("hardwareRooted").asBoolean()).isTrue();
    JsonNode obj2 = doc.path("requirements").get(8);
    assertThat(obj2.path("id").asText()).isEqualTo("TC-OBJ2-01");
    assertThat(obj2.path("trustBases").path("byRoot").path("TPM_EK_UNVERIFIED").asInt())
        .isEqualTo(1);
    assertThat(obj2.path("trustBases").path("byRoot").path("TPM_EK_CERTIFIED").asInt())
        .isZero();
    assertThat(doc.path("trustBases").path("notHardwareRooted").asInt()).isEqualTo(2);
    assertThat(doc.path("devices").toString()).contains("\"ekTrust\":\"UNVERIFIED\"");

    String html = Files.readString(r.html());
    assertThat(html).contains("2 of the 3 NE(s) attested are not hardware-rooted")
        .contains("Trust bases of the NEs attested")
        .contains("<td>dev-tpm</td><td>TPM</td><td>UNVERIFIED</td><td>TPM, EK UNVERIFIED</td>"
            + "<td>no</td>")
        .contains("<td>dev-1</td><td>SOFTWARE_KEY</td><td>no TPM bound</td><td>software key"
            + "</td><td>no</td>")
        .contains("<td>dev-cert</td><td>TPM</td><td>CERTIFIED</td><td>TPM, EK CERTIFIED</td>"
            + "<td>yes</td>")
        .contains("1 TPM, EK UNVERIFIED (not hardware-rooted)");
  }
}
