package org.neguard.evidence.integrity;

import static org.neguard.html.Html.escape;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.neguard.api.attest.AttestationPolicy;
import org.neguard.api.attest.AttestationResult;
import org.neguard.api.attest.BaselineInfo;
import org.neguard.api.attest.DeviceTrust;
import org.neguard.api.audit.AuditRecord;
import org.neguard.api.deploy.Deployment;
import org.neguard.api.deploy.Target;
import org.neguard.api.problem.ProblemReason;
import org.neguard.evidence.HtmlEvidence;
import org.neguard.evidence.JsonEvidence;
import org.neguard.evidence.Outcome;
import org.neguard.evidence.TestCase;

/**
 * The platform integrity evidence ({@code neguard evidence integrity} and the console's Evidence
 * page): one test case per
 * requirement (ATT-1..4, REC-1..4, OBJ-2), each judged from runs that happened on the OAM
 * server: its attestation records, the devices' trust states, the deployments and their
 * targets (update and recovery), the failure policies, the baselines and the audit rows. A
 * requirement passes only when at least one observed run proves it; without one it is NOT
 * DEMONSTRATED and says what to run, never assumed; a record that contradicts it (an order
 * issued after a failed pre-update attestation, a failed attestation that left the device
 * trusted) fails it. Each attestation cited says what it rested on (its trust base and, for a
 * TPM, the device's EK trust): an NE that is not hardware-rooted is said to be so plainly, and
 * that fails nothing, since the validation still ran. The caller reads the records (the CLI over
 * the API, the server from its services) and stores the document; this class only judges and
 * writes. Thread-safe (stateless).
 */
public final class IntegrityDocument {
  public static final String TITLE = "NEGuard integrity evidence: platform validation around every"
      + " update and recovery (ATT-1 to ATT-4, REC-1 to REC-4, OBJ-2)";
  /** How {@link Outcome#NOT_TESTED} reads in this document: no observed run proves it. */
  public static final String NOT_DEMONSTRATED = "NOT_DEMONSTRATED";

  /** One deployment as observed: its kind ({@code update} or {@code recovery}) and targets. */
  public record Run(String id, String kind, String packageName, String packageVersion,
      String state, String stateReason, List<Target> targets) {
    /** Whether it is a recovery campaign rather than an update. */
    public boolean recovery() {
      return "recovery".equals(kind);
    }
  }

  /** What the server recorded; a source it would not give is empty, with a note saying why. */
  public record Observed(String server, List<DeviceTrust> devices,
      List<AttestationResult> attestations, List<AuditRecord> audit, List<Run> deployments,
      List<AttestationPolicy> policies, List<BaselineInfo> baselines, List<String> notes) {}

  /**
   * The document: its JSON and HTML, its overall verdict ({@code pass} unless a requirement is
   * contradicted, then {@code fail}) and how each requirement came out (test case ids).
   */
  public record Document(Instant generatedAt, String verdict, List<String> passed,
      List<String> failed, List<String> notDemonstrated, byte[] json, String html) {}

  private IntegrityDocument() {}

  // --- judging it -----------------------------------------------------------------------------

  private static Instant at(String s) {
    if (s == null || s.isBlank()) {
      return null;
    }
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static boolean judged(AttestationResult a) {
    return a.result() != null && !a.result().isBlank();
  }

  private static boolean pass(AttestationResult a) {
    return "PASS".equals(a.result());
  }

  private static List<AttestationResult> judgedOf(Observed o, String reason) {
    return o.attestations().stream().filter(a -> reason.equals(a.reason()))
        .filter(IntegrityDocument::judged).sorted(byRequested()).toList();
  }

  /**
   * Oldest asked first, as instants (a wire time's fraction has as many digits as it needs, so
   * its text does not sort), then by id.
   */
  private static Comparator<AttestationResult> byRequested() {
    return Comparator.comparing((AttestationResult a) -> at(a.requestedAt()),
            Comparator.nullsFirst(Comparator.naturalOrder()))
        .thenComparing(AttestationResult::id, Comparator.nullsFirst(Comparator.naturalOrder()));
  }

  /**
   * What an NE's attestations rested on, as the document says it. Only a TPM whose endorsement
   * key's certificate chained to a configured manufacturer CA (EK trust CERTIFIED) is
   * hardware-rooted: a software key lies where root on the NE can read it, and an UNVERIFIED
   * EK is the device's own word that its TPM is a genuine one. Declared weakest first: an NE
   * with several attestations is counted by its weakest verified one; NOT_VERIFIED comes last
   * so that it stands only for an NE none of whose cited evidence was verified.
   */
  public enum Root {
    SOFTWARE_KEY("software key"),
    TPM_EK_UNVERIFIED("TPM, EK UNVERIFIED"),
    /** A TPM attestation of a device with no TPM binding now (released since, or unlisted). */
    TPM_EK_NOT_RECORDED("TPM, EK trust not recorded (no TPM binding now)"),
    TPM_EK_CERTIFIED("TPM, EK CERTIFIED"),
    NOT_VERIFIED("not established (evidence not verified)");

    private final String label;

    Root(String label) {
      this.label = label;
    }

    /** As the HTML names it. */
    public String label() {
      return label;
    }

    public boolean hardwareRooted() {
      return this == TPM_EK_CERTIFIED;
    }

    /** The label and, for verified evidence, whether it is hardware-rooted. */
    String said() {
      return this == NOT_VERIFIED ? label : label + (hardwareRooted() ? " (hardware-rooted)"
          : " (not hardware-rooted)");
    }
  }

  /**
   * An NE the document cites, and what its cited attestations rested on.
   *
   * @param trustBases the trust bases its cited attestations were verified with
   * @param ekTrust its TPM binding's EK trust now ({@code CERTIFIED}, {@code UNVERIFIED}), null
   *     without a binding
   * @param root the weakest of them
   */
  public record NeTrust(String deviceId, List<String> trustBases, String ekTrust, Root root,
      boolean hardwareRooted) {}

  /**
   * The attestations a counting case counts its NEs by trust base from, null for a case that
   * does not: the pre-update gate (ATT-1) and the runtime schedule (OBJ-2) are where a certifier
   * asks what vouched for the measurements.
   */
  private static List<AttestationResult> counted(Observed o, String caseId) {
    return switch (caseId) {
      case "TC-ATT1-01" -> gated(o);
      case "TC-OBJ2-01" -> judgedOf(o, "SCHEDULED");
      default -> null;
    };
  }

  /**
   * Each listed device's TPM binding's EK trust now, by id: null without a binding. Looked up
   * once per pass over every attestation (a fleet lists thousands of devices).
   */
  private static Map<String, String> ekTrusts(Observed o) {
    Map<String, String> m = new HashMap<>();
    o.devices().forEach(d -> m.put(d.deviceId(), d.ekTrust()));
    return m;
  }

  /**
   * What {@code a} rested on: its verified trust base and, for a TPM, {@code ekTrust}, its
   * device's (null: no binding now, or the device not listed).
   */
  private static Root root(AttestationResult a, String ekTrust) {
    if ("SOFTWARE_KEY".equals(a.trustBase())) {
      return Root.SOFTWARE_KEY;
    }
    if (!"TPM".equals(a.trustBase())) {
      return Root.NOT_VERIFIED;
    }
    return ekTrust == null ? Root.TPM_EK_NOT_RECORDED : "CERTIFIED".equals(ekTrust)
        ? Root.TPM_EK_CERTIFIED : Root.TPM_EK_UNVERIFIED;
  }

  /** {@link #root(AttestationResult, String)} with the EK trust {@code o} lists for it. */
  static Root root(Observed o, AttestationResult a) {
    return root(a, o.devices().stream().filter(d -> d.deviceId().equals(a.deviceId()))
        .findFirst().map(DeviceTrust::ekTrust).orElse(null));
  }

  /** Each device of {@code cited}, by id, with the weakest root of its attestations there. */
  static List<NeTrust> neTrust(Observed o, List<AttestationResult> cited) {
    Map<String, String> ek = ekTrusts(o);
    Map<String, List<AttestationResult>> byDevice = cited.stream().collect(Collectors.groupingBy(
        AttestationResult::deviceId, TreeMap::new, Collectors.toList()));
    List<NeTrust> out = new ArrayList<>();
    byDevice.forEach((device, mine) -> {
      Root weakest = mine.stream().map(a -> root(a, ek.get(device)))
          .min(Comparator.naturalOrder()).orElseThrow();
      out.add(new NeTrust(device, mine.stream().map(AttestationResult::trustBase)
          .filter(b -> b != null && !b.isBlank()).distinct().sorted().toList(),
          ek.get(device), weakest, weakest.hardwareRooted()));
    });
    return out;
  }

  /** How many of {@code nes} rest on each root, every root listed (0 too), in enum order. */
  private static Map<Root, Long> counts(List<NeTrust> nes) {
    Map<Root, Long> n = new EnumMap<>(Root.class);
    for (Root r : Root.values()) {
      n.put(r, nes.stream().filter(x -> x.root() == r).count());
    }
    return n;
  }

  /** The JSON of a counting case's NEs: counts per root, and each NE. */
  private static Map<String, Object> trustBasesJson(List<NeTrust> nes) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("nes", nes.size());
    m.put("hardwareRooted", nes.stream().filter(NeTrust::hardwareRooted).count());
    m.put("notHardwareRooted", nes.stream().filter(x -> !x.hardwareRooted()).count());
    m.put("byRoot", counts(nes));
    m.put("devices", nes);
    return m;
  }

  /**
   * The line ATT-1 and OBJ-2 open their observed runs with: how many NEs of each trust base,
   * and, plainly, that a pass of one not hardware-rooted does not rest on a TPM vouched for by
   * its manufacturer (it does not fail the requirement: the gate ran all the same).
   */
  static String trustBaseSummary(Observed o, String caseId) {
    List<NeTrust> nes = neTrust(o, counted(o, caseId));
    if (nes.isEmpty()) {
      return "Trust bases: no NE attested here";
    }
    String counts = counts(nes).entrySet().stream().filter(e -> e.getValue() > 0)
        .map(e -> e.getValue() + " " + e.getKey().said()).collect(Collectors.joining("; "));
    long weak = nes.stream().filter(x -> !x.hardwareRooted()).count();
    return "Trust bases of the " + nes.size() + " NE(s) attested here: " + counts
        + (weak == 0 ? "" : ". The attestations of the " + weak + " NE(s) not hardware-rooted"
            + " rest on a software key or on a TPM whose EK no configured manufacturer CA"
            + " certified (the device's word), not on a TPM its manufacturer vouched for");
  }

  /** {@code att-1 dev-1 FAIL 2026-...: MEASUREMENT_MISMATCH message [subject]; ...}. */
  static String line(Observed o, AttestationResult a) {
    String reasons = a.reasons() == null || a.reasons().isEmpty() ? "" : ": "
        + a.reasons().stream().map(r -> r.code() + " " + r.message()
            + (r.subject() == null ? "" : " [" + r.subject() + "]"))
            .collect(Collectors.joining("; "));
    return "attestation " + a.id() + " of " + a.deviceId() + " (" + a.reason() + ") "
        + (judged(a) ? a.result() : "awaited") + " at " + (a.judgedAt() == null
            ? a.requestedAt() : a.judgedAt()) + ", trust base " + root(o, a).said() + ", TIM "
        + a.tim() + (a.trustState() == null ? "" : ", trust state: " + a.trustState())
        + reasons;
  }

  private static boolean names(AttestationResult a, String code) {
    return a.reasons() != null && a.reasons().stream().anyMatch(r -> r.code().equals(code)
        && (r.subject() != null || r.message().contains("/") || r.message()
            .contains("component")));
  }

  private static boolean hasCode(List<ProblemReason> reasons, String code) {
    return reasons != null && reasons.stream().anyMatch(r -> r.code().equals(code));
  }

  /** The audit rows of the attestation flow: quarantine, policy actions, baselines, recovery. */
  private static List<AuditRecord> auditOf(Observed o, Predicate<AuditRecord> p) {
    return o.audit().stream().filter(p).toList();
  }

  private static boolean mentions(AuditRecord r, String... words) {
    String all = (r.action() + " " + r.target() + " " + r.detail()).toLowerCase(Locale.ROOT);
    for (String w : words) {
      if (all.contains(w)) {
        return true;
      }
    }
    return false;
  }

  private static String audit(AuditRecord r) {
    return "audit #" + r.seq() + " " + r.occurredAt() + " " + r.action() + " " + r.target()
        + " by " + r.actor() + ": " + r.outcome()
        + (r.detail() == null || r.detail().isBlank() ? "" : " (" + r.detail() + ")");
  }

  /** One test case per requirement, in the order of the document. */
  public static List<TestCase> cases(Observed o) {
    List<TestCase> cases = new ArrayList<>();
    cases.add(att1(o));
    cases.add(att2(o));
    cases.add(att3(o));
    cases.add(att4(o));
    cases.add(rec1(o));
    cases.add(rec2(o));
    cases.add(rec3(o));
    cases.add(rec4(o));
    cases.add(obj2(o));
    return cases;
  }

  private static TestCase tc(String id, String req, String title, Outcome outcome,
      String procedure, String expected, String actual, String toRun, List<String> details) {
    List<String> steps = new ArrayList<>(List.of(procedure));
    if (outcome == Outcome.NOT_TESTED) {
      steps.add("Not demonstrated yet; to demonstrate it, run:");
      steps.add("  " + toRun);
    }
    return new TestCase(id, List.of(req), title, outcome, "../shared/REQUIREMENTS.md " + req,
        "Requirement " + req + ": " + Requirements.TEXT.get(req), steps, expected, actual,
        details);
  }

  private static Outcome outcome(boolean contradicted, boolean proven) {
    return contradicted ? Outcome.FAIL : proven ? Outcome.PASS : Outcome.NOT_TESTED;
  }

  /** The device's trust state now, or "" when the server did not list it. */
  private static String trustNow(Observed o, String device) {
    return o.devices().stream().filter(d -> d.deviceId().equals(device)).findFirst()
        .map(DeviceTrust::trustState).orElse("");
  }

  /**
   * Whether {@code a} failed and is still the device's newest judged attestation while the
   * device is trusted now: a failure that left the device trusted, whatever the server's rows
   * say of the trust state (a row may show the device's current state, not the one after it).
   */
  private static boolean failedButTrusted(Observed o, AttestationResult a) {
    if (!"FAIL".equals(a.result()) || !"trusted".equals(trustNow(o, a.deviceId()))) {
      return false;
    }
    AttestationResult newest = null;
    for (AttestationResult x : o.attestations()) {
      if (x.deviceId().equals(a.deviceId()) && judged(x) && at(x.judgedAt()) != null
          && (newest == null || at(x.judgedAt()).isAfter(at(newest.judgedAt())))) {
        newest = x;
      }
    }
    return newest != null && newest.id().equals(a.id());
  }

  /** Each device's judged attestations of {@code reason}, oldest asked first. */
  private static Map<String, List<AttestationResult>> byDevice(Observed o, String reason) {
    return judgedOf(o, reason).stream()
        .collect(Collectors.groupingBy(AttestationResult::deviceId));
  }

  /** The newest asked of {@code mine} judged by {@code by} (any, with {@code by} null). */
  private static AttestationResult judgedBy(List<AttestationResult> mine, Instant by) {
    AttestationResult last = null;
    for (AttestationResult a : mine) {
      Instant judged = at(a.judgedAt());
      if (judged != null && (by == null || !judged.isAfter(by))) {
        last = a;
      }
    }
    return last;
  }

  /**
   * The attestation an update target's order followed: the one the gate recorded with the
   * order ({@link Target#attestationId}: a BEFORE_UPDATE one the wave asked, or the device's
   * newest asked since the wave started, a scheduled pass for one), null when it is beyond the
   * records read. For an order issued before the server recorded it, a guess: the device's
   * newest BEFORE_UPDATE attestation judged by the order's issue (the gate may have taken a
   * scheduled pass instead, so a guess that did not pass contradicts nothing).
   */
  private static AttestationResult gateOf(Target t, Map<String, AttestationResult> byId,
      Map<String, List<AttestationResult>> beforeUpdate) {
    if (t.attestationId() != null) {
      return byId.get(t.attestationId());
    }
    return judgedBy(beforeUpdate.getOrDefault(t.deviceId(), List.of()), at(t.issuedAt()));
  }

  private static Map<String, AttestationResult> byId(Observed o) {
    Map<String, AttestationResult> m = new HashMap<>();
    o.attestations().forEach(a -> m.put(a.id(), a));
    return m;
  }

  /**
   * What the gate judged from: every BEFORE_UPDATE attestation, and the attestation each update
   * order followed (a scheduled pass the wave took, for one). Oldest asked first, once each.
   */
  private static List<AttestationResult> gated(Observed o) {
    Map<String, AttestationResult> byId = byId(o);
    Map<String, List<AttestationResult>> beforeUpdate = byDevice(o, "BEFORE_UPDATE");
    Set<AttestationResult> out = new LinkedHashSet<>(judgedOf(o, "BEFORE_UPDATE"));
    for (Run r : o.deployments()) {
      for (Target t : r.recovery() ? List.<Target>of() : r.targets()) {
        AttestationResult a = t.orderId() == null || at(t.issuedAt()) == null ? null
            : gateOf(t, byId, beforeUpdate);
        if (a != null && judged(a) && t.deviceId().equals(a.deviceId())) {
          out.add(a);
        }
      }
    }
    return out.stream().sorted(byRequested()).toList();
  }

  /**
   * ATT-1: each update order follows a passing attestation of its device: the one the gate
   * recorded with it (BEFORE_UPDATE, or another the wave took).
   */
  static TestCase att1(Observed o) {
    List<AttestationResult> before = judgedOf(o, "BEFORE_UPDATE");
    Map<String, AttestationResult> byId = byId(o);
    Map<String, List<AttestationResult>> beforeUpdate = byDevice(o, "BEFORE_UPDATE");
    // A held target's failure: any but a completion's, the newest by the target's last change.
    Map<String, List<AttestationResult>> notCompletion = o.attestations().stream()
        .filter(IntegrityDocument::judged).filter(a -> !"AFTER_UPDATE".equals(a.reason()))
        .sorted(byRequested()).collect(Collectors.groupingBy(AttestationResult::deviceId));
    List<String> details = new ArrayList<>(List.of(trustBaseSummary(o, "TC-ATT1-01")));
    int gated = 0;
    int held = 0;
    boolean contradicted = false;
    for (Run r : o.deployments()) {
      if (r.recovery()) {
        continue;
      }
      for (Target t : r.targets()) {
        Instant issued = at(t.issuedAt());
        if (t.orderId() != null && issued != null) {
          AttestationResult gate = gateOf(t, byId, beforeUpdate);
          String order = "order " + t.orderId() + " to " + t.deviceId() + " issued at "
              + t.issuedAt();
          boolean recorded = t.attestationId() != null;
          if (gate == null) {
            details.add("deployment " + r.id() + ": " + order + (recorded
                ? " after attestation " + t.attestationId() + ", beyond the records read"
                : " with no BEFORE_UPDATE attestation judged before it and none recorded by"
                    + " the gate (a deployment from before attestation, an order issued before"
                    + " the server recorded the gate's attestation, or one beyond the records"
                    + " read)"));
          } else if (recorded && (!t.deviceId().equals(gate.deviceId())
              || "AFTER_UPDATE".equals(gate.reason()))) {
            contradicted = true;
            details.add("CONTRADICTION deployment " + r.id() + ": " + order + " after "
                + line(o, gate) + ", which no gate takes (another device's, or a"
                + " completion's)");
          } else if (!recorded && !pass(gate)) {
            details.add("deployment " + r.id() + ": " + order + "; the gate's attestation was"
                + " not recorded (an order issued before the server recorded it), and the"
                + " device's newest BEFORE_UPDATE attestation judged before it did not pass: "
                + line(o, gate) + " (the gate may have taken another one, a scheduled pass)");
          } else if (pass(gate)) {
            gated++;
            details.add("deployment " + r.id() + " (" + r.packageName() + " "
                + r.packageVersion() + "): " + line(o, gate) + " → then order " + t.orderId()
                + " issued at " + t.issuedAt());
          } else {
            contradicted = true;
            details.add("CONTRADICTION deployment " + r.id() + ": " + order + " after "
                + line(o, gate));
          }
        } else if (t.orderId() == null && t.reasons() != null && t.reasons().stream()
            .anyMatch(x -> "ATTESTATION_FAILED".equals(x.code()))) {
          AttestationResult last = judgedBy(notCompletion.getOrDefault(t.deviceId(),
              List.of()), at(t.updatedAt()));
          if (last != null && !pass(last)) {
            held++;
            details.add("deployment " + r.id() + ": no order issued to " + t.deviceId()
                + " (target " + t.state() + reasons(t.reasons()) + ") after "
                + line(o, last));
          }
        }
      }
    }
    // The deployments' own record of the gate: success when a target passed, denied when not.
    List<AuditRecord> gate = auditOf(o, r -> "DEPLOYMENT_ATTEST".equals(r.action()));
    gate.forEach(r -> details.add(audit(r)));
    Outcome out = outcome(contradicted, gated > 0);
    return tc("TC-ATT1-01", "ATT-1", "the PVE attests an NE before an update reaches it;"
        + " the OAM proceeds only on a pass", out,
        "Join the update deployments' targets (order, issued at) with the attestation the"
            + " gate recorded with each order (one the wave asked, BEFORE_UPDATE, or the"
            + " device's newest asked since the wave started, which it took); for an order"
            + " issued before the server recorded it, the device's BEFORE_UPDATE attestations"
            + " judged before the order was issued; read the deployments' DEPLOYMENT_ATTEST"
            + " audit rows",
        "Every order follows an attestation that passed; a device that failed it gets no"
            + " order.",
        gated + " order(s) issued after a passing attestation, " + held
            + " target(s) held back after a failed one, " + before.size()
            + " BEFORE_UPDATE attestation(s) judged",
        "neguard deploy create --package P --version V --device D (a trusted device with a"
            + " running agent), approve it with a second approver, wait for it to complete",
        details);
  }

  /**
   * ATT-2: the expected TIM after an update is computed by the server from signed RIMs; shown by
   * AFTER_UPDATE attestations judged against it, and by deployments the server refused to
   * compute one for (NO_REFERENCE).
   */
  static TestCase att2(Observed o) {
    List<AttestationResult> after = judgedOf(o, "AFTER_UPDATE");
    List<String> details = new ArrayList<>();
    after.forEach(a -> details.add(line(o, a)));
    int noReference = 0;
    for (Run r : o.deployments()) {
      for (Target t : r.targets()) {
        if (hasCode(t.reasons(), "NO_REFERENCE")) {
          noReference++;
          details.add("deployment " + r.id() + " (" + r.packageName() + " " + r.packageVersion()
              + "): no expectation computed for " + t.deviceId() + reasons(t.reasons()));
        }
      }
    }
    return tc("TC-ATT2-01", "ATT-2", "the OAM computes the expected TIM after the update from"
        + " signed RIMs, and sends the new software's RIM", outcome(false, !after.isEmpty()),
        "Read the AFTER_UPDATE attestations (judged against the expected components and TIM"
            + " the server stored when it signed the order) and the targets refused with"
            + " NO_REFERENCE",
        "Each completion judged against an expectation computed from the package's signed"
            + " RIM and the device's committed reference; none computed without a signed RIM.",
        after.size() + " completion(s) judged against a computed expectation, " + noReference
            + " target(s) refused for want of a signed reference",
        "a deployment of a signed package to a trusted device with a running agent (see"
            + " ATT-1), until it completes", details);
  }

  /** ATT-3: the NE compares its own re-measurement, and rolls back by itself on a mismatch. */
  static TestCase att3(Observed o) {
    List<String> details = new ArrayList<>();
    int rolledBack = 0;
    for (Run r : o.deployments()) {
      for (Target t : r.targets()) {
        if ("failed".equals(t.state()) && hasCode(t.reasons(), "MEASUREMENT_MISMATCH")) {
          rolledBack++;
          details.add("deployment " + r.id() + " (" + r.packageName() + " " + r.packageVersion()
              + "): the NE " + t.deviceId() + " found its re-measurement differ from the"
              + " expected TIM, rolled back and reported failed" + reasons(t.reasons()));
        }
      }
    }
    List<AttestationResult> confirmed = judgedOf(o, "AFTER_UPDATE").stream()
        .filter(IntegrityDocument::pass).toList();
    confirmed.forEach(a -> details.add("the NE's own comparison matched, then "
        + line(o, a)));
    return tc("TC-ATT3-01", "ATT-3", "the NE re-measures after installing, compares with the"
        + " TIM expected from the received RIM, and rolls back on a mismatch",
        outcome(false, rolledBack + confirmed.size() > 0),
        "Read the targets failed with MEASUREMENT_MISMATCH (the agent's own refusal after"
            + " rolling back) and the completions it reported as matching (AFTER_UPDATE"
            + " passes)",
        "A mismatch on the NE ends in its rollback and a failure naming component and files;"
            + " a match in success with evidence.",
        rolledBack + " self-rollback(s) on a mismatch, " + confirmed.size()
            + " matching completion(s)",
        "a deployment as for ATT-1; for the mismatch, a package whose installed tree differs"
            + " from its RIM on the NE (the integration test AttestCliTest does it)", details);
  }

  /** ATT-4: completion evidence compared; on a match the reference moves, else measures run. */
  static TestCase att4(Observed o) {
    List<AttestationResult> after = judgedOf(o, "AFTER_UPDATE");
    List<String> details = new ArrayList<>();
    boolean contradicted = false;
    for (AttestationResult a : after) {
      boolean bad = failedButTrusted(o, a);
      contradicted |= bad;
      details.add((bad ? "CONTRADICTION (failed, device left trusted) " : "")
          + line(o, a) + (pass(a) ? " → reference updated"
              : " → measures: " + a.trustState()));
    }
    long passes = after.stream().filter(IntegrityDocument::pass).count();
    return tc("TC-ATT4-01", "ATT-4", "the NE reports completion with its TIM; the OAM"
        + " compares, updates its reference on a match, takes measures otherwise",
        outcome(contradicted, !after.isEmpty()),
        "Read the AFTER_UPDATE attestations: their result, and the device's trust state now",
        "A PASS commits the device's new reference; any other result leaves the device not"
            + " trusted (quarantined) and the policy's measures running.",
        after.size() + " completion(s) judged: " + passes + " matched (reference updated), "
            + (after.size() - passes) + " did not",
        "a deployment as for ATT-1, until it completes", details);
  }

  /** REC-1: a failure quarantines the device and runs its NE type's policy. */
  static TestCase rec1(Observed o) {
    List<String> details = new ArrayList<>();
    o.policies().forEach(p -> details.add("policy of " + p.neType() + ": " + p.actions()
        + " (set by " + p.updatedBy() + " at " + p.updatedAt() + ")"));
    List<AttestationResult> quarantines = o.attestations().stream()
        .filter(a -> judged(a) && !pass(a) && "quarantined".equals(a.trustState()))
        .sorted(byRequested()).toList();
    quarantines.forEach(a -> details.add(line(o, a)));
    List<AuditRecord> rows = auditOf(o, r -> mentions(r, "quarantin", "rollback", "reinstall",
        "readmi", "attestation_policy") || "RECOVERY_CREATE".equals(r.action()));
    rows.forEach(r -> details.add(audit(r)));
    List<AttestationResult> readmissions = judgedOf(o, "READMISSION");
    readmissions.forEach(a -> details.add("re-validation: " + line(o, a)));
    long audited = rows.stream().filter(r -> "QUARANTINE".equals(r.action())).count();
    boolean quarantined = !quarantines.isEmpty() || audited > 0
        || rows.stream().anyMatch(r -> mentions(r, "quarantin"));
    return tc("TC-REC1-01", "REC-1", "a broken NE is recovered without a site visit:"
        + " quarantine, rollback, re-install of a known-good package, re-validation",
        outcome(false, quarantined),
        "Read the failed attestations that quarantined a device, the audit rows of the"
            + " policy's actions, the failure policies and the readmission attestations",
        "A failure after trust quarantines the device (audited) and runs its NE type's"
            + " policy; the device is trusted again only after a passing re-attestation.",
        audited + " quarantine(s) audited, " + quarantines.size() + " failed attestation(s)"
            + " of devices quarantined now, " + rows.size()
            + " audit row(s) of quarantine, rollback, reinstall or readmission, "
            + readmissions.size() + " readmission attestation(s), " + o.policies().size()
            + " policy(ies)",
        "neguard attest policy set T --action quarantine --action rollback; change a file"
            + " of a trusted NE's installed tree; neguard attest D --wait (fails); then"
            + " neguard attest readmit D --wait after recovery", details);
  }

  /** REC-2: fleet recovery campaigns in waves, and the devices readmitted by them. */
  static TestCase rec2(Observed o) {
    List<String> details = new ArrayList<>();
    int recovered = 0;
    int campaigns = 0;
    Map<String, DeviceTrust> trust = new HashMap<>();
    o.devices().forEach(d -> trust.put(d.deviceId(), d));
    for (Run r : o.deployments()) {
      if (!r.recovery()) {
        continue;
      }
      campaigns++;
      long ok = r.targets().stream().filter(t -> "succeeded".equals(t.state())).count();
      Set<Integer> waves = new HashSet<>();
      r.targets().forEach(t -> waves.add(t.wave()));
      details.add("recovery campaign " + r.id() + " to " + r.packageName() + " "
          + r.packageVersion() + ": " + r.state() + (r.stateReason().isBlank() ? ""
              : " (" + r.stateReason() + ")") + ", " + r.targets().size() + " device(s) in "
          + waves.size() + " wave(s), " + ok + " recovered");
      for (Target t : r.targets()) {
        if ("succeeded".equals(t.state())) {
          recovered++;
          DeviceTrust d = trust.get(t.deviceId());
          details.add("  " + t.deviceId() + " recovered (order " + t.orderId() + ")"
              + (d == null ? "" : "; trust state now " + d.trustState()));
        }
      }
    }
    List<AttestationResult> readmitted = o.attestations().stream().filter(a -> pass(a)
        && "READMISSION".equals(a.reason()))
        .sorted(byRequested()).toList();
    readmitted.forEach(a -> details.add("readmitted: " + line(o, a)));
    List<AuditRecord> readmittedRows = auditOf(o, r -> "TRUST_STATE".equals(r.action())
        && mentions(r, "readmitted"));
    auditOf(o, r -> r.action().contains("RECOVER")).forEach(r -> details.add(audit(r)));
    readmittedRows.forEach(r -> details.add(audit(r)));
    return tc("TC-REC2-01", "REC-2", "many compromised NEs recovered at once: a fleet recovery"
        + " campaign in waves, approved, with progress, readmitting the NEs",
        outcome(false, recovered > 0),
        "Read the deployments of kind recovery, their targets, and the devices' trust states",
        "A recovery campaign over quarantined NEs runs in waves like any approved deployment;"
            + " each recovered NE passes its attestation and is trusted again.",
        campaigns + " recovery campaign(s), " + recovered + " device(s) recovered, "
            + readmittedRows.size() + " readmission(s) to trusted audited, " + readmitted.size()
            + " READMISSION attestation(s) passed",
        "quarantine NEs (see REC-1), then neguard recover --ne-type T --to PACKAGE@VERSION,"
            + " approve it with a second approver, wait for it to complete", details);
  }

  /** REC-3: first contact validated against signed references before the NE is trusted. */
  static TestCase rec3(Observed o) {
    List<AttestationResult> first = judgedOf(o, "FIRST_CONTACT");
    List<String> details = new ArrayList<>();
    boolean contradicted = false;
    for (AttestationResult a : first) {
      // Trusted now without any attestation that passed: trusted on the NE's word.
      boolean bad = !pass(a) && "trusted".equals(trustNow(o, a.deviceId()))
          && o.attestations().stream().noneMatch(x -> x.deviceId().equals(a.deviceId())
              && pass(x));
      contradicted |= bad;
      details.add((bad ? "CONTRADICTION (did not pass, device trusted without a pass) " : "")
          + line(o, a));
    }
    long trusted = first.stream().filter(IntegrityDocument::pass).count();
    // A first contact that awaited its baselines is trusted by a later attestation: the server
    // audits each such change of trust state.
    List<AuditRecord> firstTrust = auditOf(o, r -> "TRUST_STATE".equals(r.action())
        && r.detail() != null && (r.detail().startsWith("unknown -> ")));
    firstTrust.forEach(r -> details.add(audit(r)));
    return tc("TC-REC3-01", "REC-3", "a new NE is validated against the vendor's signed"
        + " references for its shipped software before it is trusted",
        outcome(contradicted, !first.isEmpty()),
        "Read the FIRST_CONTACT attestations and the devices' trust states now",
        "A newly enrolled NE is trusted only when its first attestation matches signed RIMs"
            + " and approved baselines; one with unsigned software stays untrusted.",
        first.size() + " first contact(s) judged: " + trusted + " passed at once, "
            + (first.size() - trusted) + " did not; " + firstTrust.size() + " audited change(s)"
            + " from unknown (" + firstTrust.stream().filter(r -> r.detail()
                .startsWith("unknown -> trusted")).count() + " to trusted)",
        "enroll a device (neguard device enroll-token; start its agent) and let it poll",
        details);
  }

  /** REC-4: expectations from signed references, per component: a mismatch names what. */
  static TestCase rec4(Observed o) {
    List<String> details = new ArrayList<>();
    Map<String, String> lastTim = new HashMap<>();
    int legitimatelyDiffer = 0;
    for (AttestationResult a : o.attestations().stream().filter(IntegrityDocument::judged)
        .sorted(byRequested()).toList()) {
      if (!pass(a)) {
        continue;
      }
      String before = lastTim.put(a.deviceId(), a.tim());
      if ("AFTER_UPDATE".equals(a.reason()) && before != null && !before.equals(a.tim())) {
        legitimatelyDiffer++;
        details.add(a.deviceId() + ": TIM " + before + " before the update, " + a.tim()
            + " after, and the server's expectation matched the new one (" + a.id() + ")");
      }
    }
    List<AttestationResult> named = o.attestations().stream()
        .filter(a -> judged(a) && names(a, "MEASUREMENT_MISMATCH")).sorted(byRequested())
        .toList();
    named.forEach(a -> details.add("mismatch named: " + line(o, a)));
    return tc("TC-REC4-01", "REC-4", "the expected TIM is computed from signed references,"
        + " never the NE's word; old and new TIM differ legitimately; a mismatch names what",
        outcome(false, legitimatelyDiffer + named.size() > 0),
        "Compare each device's TIM before and after each passing update; read the failed"
            + " attestations' MEASUREMENT_MISMATCH reasons",
        "A passing update changes the TIM as the server expected from the RIMs; a mismatch"
            + " names the component and file.",
        legitimatelyDiffer + " update(s) whose TIM changed as expected, " + named.size()
            + " mismatch(es) naming component and file",
        "a deployment as for ATT-1 to a device attested before; for a named mismatch, change a"
            + " file of an NE's installed tree and attest it", details);
  }

  /** OBJ-2: runtime re-attestation on a schedule detects a change between updates. */
  static TestCase obj2(Observed o) {
    List<AttestationResult> scheduled = judgedOf(o, "SCHEDULED");
    List<AttestationResult> detected = scheduled.stream().filter(a -> !pass(a)
        && names(a, "MEASUREMENT_MISMATCH")).toList();
    List<String> details = new ArrayList<>(List.of(trustBaseSummary(o, "TC-OBJ2-01")));
    detected.forEach(a -> details.add("change detected: " + line(o, a)));
    long passes = scheduled.stream().filter(IntegrityDocument::pass).count();
    details.add(passes + " scheduled attestation(s) passed");
    o.devices().stream().filter(d -> d.nextAttestationAt() != null).limit(20).forEach(d ->
        details.add(d.deviceId() + " next attested at " + d.nextAttestationAt()));
    return tc("TC-OBJ2-01", "OBJ-2", "integrity maintained while the NE runs: scheduled"
        + " re-attestation detects and names a change between updates",
        outcome(false, !detected.isEmpty()),
        "Read the SCHEDULED attestations and those that failed with a named mismatch",
        "NEs are re-attested on a schedule; a file changed between updates fails the next"
            + " one, naming component and file.",
        scheduled.size() + " scheduled attestation(s) judged, " + detected.size()
            + " change(s) detected and named",
        "change a file of a trusted NE's installed tree and wait one attestation interval"
            + " (server setting), or neguard attest D --wait", details);
  }

  private static String reasons(List<ProblemReason> reasons) {
    return reasons == null || reasons.isEmpty() ? "" : ": " + reasons.stream()
        .map(r -> r.code() + " " + r.message()).collect(Collectors.joining("; "));
  }

  // --- writing it -----------------------------------------------------------------------------

  /** The verdict as this document names it: NOT_TESTED reads NOT_DEMONSTRATED. */
  public static String verdict(Outcome o) {
    return o == Outcome.NOT_TESTED ? NOT_DEMONSTRATED : o.name();
  }

  /** Judges {@code o} and writes the document as generated at {@code generatedAt}. */
  public static Document build(Observed o, Instant generatedAt) {
    List<TestCase> cases = cases(o);
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("title", TITLE);
    doc.put("generatedAt", generatedAt.toString());
    doc.put("server", o.server());
    List<Map<String, Object>> json = JsonEvidence.testCases(cases);
    for (int i = 0; i < cases.size(); i++) {
      json.get(i).put("verdict", verdict(cases.get(i).outcome()));
      List<AttestationResult> counted = counted(o, cases.get(i).id());
      if (counted != null) {
        json.get(i).put("trustBases", trustBasesJson(neTrust(o, counted)));
      }
    }
    List<String> failed = ids(cases, Outcome.FAIL);
    List<String> notDemonstrated = ids(cases, Outcome.NOT_TESTED);
    List<String> passed = ids(cases, Outcome.PASS);
    doc.put("verdict", failed.isEmpty() ? "pass" : "fail");
    doc.put("summary", Map.of("passed", passed, "failed", failed, "notDemonstrated",
        notDemonstrated));
    doc.put("requirements", json);
    Map<String, Object> seen = new LinkedHashMap<>();
    seen.put("attestations", o.attestations().size());
    seen.put("devices", o.devices().size());
    seen.put("deployments", o.deployments().size());
    seen.put("auditRows", o.audit().size());
    seen.put("policies", o.policies().size());
    seen.put("baselines", o.baselines().size());
    doc.put("observed", seen);
    doc.put("notes", o.notes());
    doc.put("trustBases", trustBasesJson(attested(o)));
    doc.put("attestations", o.attestations());
    doc.put("devices", o.devices());
    doc.put("policies", o.policies());
    doc.put("baselines", o.baselines());
    doc.put("deployments", o.deployments());
    return new Document(generatedAt, (String) doc.get("verdict"), passed, failed,
        notDemonstrated, JsonEvidence.bytes(doc), html(o, cases, doc));
  }

  /** Every NE with a judged attestation, and what its attestations rested on. */
  private static List<NeTrust> attested(Observed o) {
    return neTrust(o, o.attestations().stream().filter(IntegrityDocument::judged).toList());
  }

  private static List<String> ids(List<TestCase> cases, Outcome o) {
    return cases.stream().filter(c -> c.outcome() == o).map(TestCase::id).toList();
  }

  private static String badge(Outcome o) {
    return HtmlEvidence.badge(o).replace("NOT TESTED", "NOT DEMONSTRATED");
  }

  private static String html(Observed o, List<TestCase> cases, Map<String, Object> doc) {
    StringBuilder h = HtmlEvidence.begin(TITLE);
    h.append("<p>Generated at ").append(escape(doc.get("generatedAt"))).append(" from the"
        + " records of the OAM server ").append(escape(o.server())).append(". Overall verdict: ")
        .append(badge("pass".equals(doc.get("verdict")) ? Outcome.PASS : Outcome.FAIL))
        .append(". A requirement passes only when at least one run that happened proves it;"
            + " without one it is NOT DEMONSTRATED, with what to run.</p>\n");
    List<NeTrust> nes = attested(o);
    long weak = nes.stream().filter(x -> !x.hardwareRooted()).count();
    h.append("<p>").append(nes.isEmpty() ? "No NE attested yet." : weak == 0 ? escape(
        "Every one of the " + nes.size() + " NE(s) attested is hardware-rooted (a TPM whose EK"
        + " is CERTIFIED).") : escape(weak + " of"
        + " the " + nes.size() + " NE(s) attested are not hardware-rooted (a software key, or a"
        + " TPM whose EK is UNVERIFIED or not recorded): their attestations show that the"
        + " validation ran, not that a TPM its manufacturer vouched for signed the"
        + " measurements. They are marked as such wherever cited and do not fail a"
        + " requirement; see \"Trust bases of the NEs attested\".")).append("</p>\n");
    h.append("<h2>How an update is validated (seed 004, RFC 9334 roles)</h2>\n<ol>"
        + "<li>The NE (Attester) is challenged with a fresh nonce; its agent measures every"
        + " component (sha256-tree-v1 per package and platform path), chains them into the"
        + " TIM and signs the list over the nonce with its software key or a TPM quote (its"
        + " trust base; a TPM is hardware-rooted only when its EK certificate chained to a"
        + " configured manufacturer CA: EK trust CERTIFIED).</li>"
        + "<li>The PVE (Verifier) judges it against the vendor-signed RIMs (Reference Value"
        + " Provider) and operator-approved baselines: first contact (REC-3), before each"
        + " update (ATT-1), on a schedule (OBJ-2).</li>"
        + "<li>The OAM (Relying Party) computes the expected components and TIM after the"
        + " update from signed RIMs only (ATT-2, REC-4) and sends the package's RIM in the"
        + " signed order; the NE re-measures and rolls back by itself on a mismatch"
        + " (ATT-3).</li>"
        + "<li>The completion evidence is compared; a match commits the new reference, a"
        + " mismatch runs the NE type's policy: quarantine, rollback, reinstall, readmission"
        + " (ATT-4, REC-1); quarantined fleets are recovered by campaigns (REC-2).</li>"
        + "</ol>\n");
    h.append("<h2>Requirements</h2>\n<table><tr><th>ID</th><th>Requirement</th><th>Observed"
        + "</th><th>Verdict</th></tr>\n");
    for (TestCase c : cases) {
      h.append("<tr><td>").append(escape(c.id())).append("</td><td>")
          .append(escape(c.requirements().get(0) + ": " + c.title())).append("</td><td>")
          .append(escape(c.actual())).append("</td><td>").append(badge(c.outcome()))
          .append("</td></tr>\n");
    }
    h.append("</table>\n<h2>Trust bases of the NEs attested</h2>\n<p>What each NE's judged"
        + " attestations rested on: its trust base as verified and, for a TPM, whether its"
        + " bound EK was CERTIFIED (its certificate chained to a configured manufacturer CA,"
        + " with the EK usage 2.23.133.8.1) or UNVERIFIED (taken on the device's word). An NE"
        + " is counted by its weakest.</p>\n<table><tr><th>Device</th><th>Trust base(s)</th>"
        + "<th>EK trust</th><th>Rooted in</th><th>Hardware-rooted</th></tr>\n");
    for (NeTrust n : nes) {
      h.append("<tr").append(n.hardwareRooted() ? "" : " class=\"bad\"").append("><td>")
          .append(escape(n.deviceId())).append("</td><td>")
          .append(escape(n.trustBases().isEmpty() ? "none verified"
              : String.join(", ", n.trustBases()))).append("</td><td>")
          .append(escape(n.ekTrust() == null ? "no TPM bound" : n.ekTrust()))
          .append("</td><td>").append(escape(n.root().label())).append("</td><td>")
          .append(n.hardwareRooted() ? "yes" : "no").append("</td></tr>\n");
    }
    h.append("</table>\n");
    for (TestCase c : cases) {
      h.append("<h2>").append(escape(c.requirements().get(0))).append(" (test case ")
          .append(escape(c.id())).append(")</h2>\n<table>\n");
      HtmlEvidence.row(h, "Test name", escape(c.id() + ": " + c.title()));
      HtmlEvidence.row(h, "Purpose", escape(c.purpose()));
      HtmlEvidence.row(h, "Procedure executed", "<ol><li>" + String.join("</li><li>",
          c.procedure().stream().map(s -> s.startsWith("  ") ? "<code>" + escape(s.strip())
              + "</code>" : escape(s)).toList()) + "</li></ol>");
      HtmlEvidence.row(h, "Expected result", escape(c.expected()));
      HtmlEvidence.row(h, "Actual result", escape(c.actual()));
      HtmlEvidence.row(h, "Observed runs", c.details().isEmpty() ? "none" : "<ul><li>"
          + String.join("</li><li>", c.details().stream().map(d -> escape(d)).toList())
          + "</li></ul>");
      HtmlEvidence.row(h, "Verdict", badge(c.outcome()));
      h.append("</table>\n");
    }
    h.append("<h2>Attestations observed</h2>\n<table><tr><th>ID</th><th>Device</th>"
        + "<th>Reason</th><th>Result</th><th>Trust base</th><th>TIM</th><th>Trust state"
        + "</th><th>Requested</th><th>Judged</th><th>Reasons</th></tr>\n");
    Map<String, String> ek = ekTrusts(o);
    for (AttestationResult a : o.attestations()) {
      h.append("<tr").append(judged(a) && !pass(a) ? " class=\"bad\"" : "").append("><td>")
          .append(escape(a.id())).append("</td><td>").append(escape(a.deviceId()))
          .append("</td><td>").append(escape(a.reason())).append("</td><td>")
          .append(escape(judged(a) ? a.result() : "awaited")).append("</td><td>")
          .append(escape(root(a, ek.get(a.deviceId())).label())).append("</td><td><code>")
          .append(escape(a.tim()))
          .append("</code></td><td>").append(escape(a.trustState())).append("</td><td>")
          .append(escape(a.requestedAt())).append("</td><td>").append(escape(a.judgedAt()))
          .append("</td><td>").append(escape(reasons(a.reasons()))).append("</td></tr>\n");
    }
    h.append("</table>\n<h2>Trust states now</h2>\n<table><tr><th>Device</th><th>NE type</th>"
        + "<th>Trust state</th><th>Why</th><th>Last passed</th><th>Next</th><th>Last result"
        + "</th><th>EK trust</th></tr>\n");
    for (DeviceTrust d : o.devices()) {
      h.append("<tr><td>").append(escape(d.deviceId())).append("</td><td>")
          .append(escape(d.neType())).append("</td><td>").append(escape(d.trustState()))
          .append("</td><td>").append(escape(d.trustReason())).append("</td><td>")
          .append(escape(d.attestedAt())).append("</td><td>")
          .append(escape(d.nextAttestationAt())).append("</td><td>")
          .append(escape(d.lastResult())).append("</td><td>")
          .append(escape(d.ekTrust() == null ? "no TPM bound" : d.ekTrust()))
          .append("</td></tr>\n");
    }
    h.append("</table>\n<h2>Sources</h2>\n<table>\n");
    HtmlEvidence.row(h, "Read", "<code>" + escape(doc.get("observed")) + "</code>");
    HtmlEvidence.row(h, "Notes", o.notes().isEmpty() ? "none" : "<ul><li>" + String.join(
        "</li><li>", o.notes().stream().map(n -> escape(n)).toList()) + "</li></ul>");
    h.append("</table>\n");
    return HtmlEvidence.end(h);
  }
}
