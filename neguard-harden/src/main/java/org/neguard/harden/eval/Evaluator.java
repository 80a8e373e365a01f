package org.neguard.harden.eval;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.ProcessInfo;
import org.neguard.harden.SnmpAccess;
import org.neguard.harden.Transport;
import org.neguard.harden.policy.AddressRange;
import org.neguard.harden.policy.AllowedPort;
import org.neguard.harden.policy.Baseline;
import org.neguard.harden.policy.ForbiddenRule;
import org.neguard.harden.policy.Policy;
import org.neguard.harden.policy.PortKey;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;

/**
 * Judges an {@link Observation} against a {@link Policy} (HRD-1..HRD-6). The rules, in order,
 * for each observed port (docs/HARDENING.md, "Evaluation"):
 *
 * <ol>
 *   <li>{@code CLOSED}: nothing to judge.
 *   <li>Forbidden by a rule in force (by port, by identified service name, or SNMPv1/v2c write
 *       access found by the probe): {@code FORBIDDEN_SERVICE}, even when declared.
 *   <li>Filtered, open|filtered or not checked: inconclusive, never taken for closed. It counts
 *       against HRD-5 on a forbidden port and against HRD-1/HRD-4 on an undeclared one; on a
 *       declared port it decides nothing.
 *   <li>Open and not declared: {@code UNDECLARED_SERVICE}.
 *   <li>Declared with {@code reachableOn}, open on another address (a wildcard bind counts as
 *       every address): {@code WRONG_INTERFACE}.
 *   <li>An SNMP port (udp/161, tcp/161, a service named snmp) that was not probed for v1/v2c
 *       write access, or where a readable community could not be tested: inconclusive for HRD-5.
 *   <li>Declared with {@code protocol: {versions: [...]}}: a version not allowed that answered is
 *       {@code PROTOCOL_VERSION}; a rule the version probes could not confirm is inconclusive
 *       ({@link ProtocolVersions}).
 *   <li>Declared, found by a scan without identification ({@code --no-identify}) open (or, on
 *       UDP, open|filtered) with no service name: inconclusive for HRD-5, since a service the
 *       forbidden list names (Telnet on a declared port, a mountd the portmapper would have
 *       named) would look the same.
 *   <li>Otherwise allowed.
 * </ol>
 *
 * An incomplete observation never passes ({@code SCAN_INCOMPLETE}). A declared port not seen open
 * is stale: reported, never a failure. A scan that records the port ranges it examined has the
 * forbidden and declared ports outside them added as NOT_CHECKED ({@link Coverage}).
 *
 * <p>Stateless and thread-safe; it never touches the network.
 */
public final class Evaluator {
  private static final Set<String> COUNTED_V1_V2C = Set.of("v1", "v2c");
  /** The scan parameter that says whether services were identified (HardenScanner). */
  static final String IDENTIFICATION = "serviceIdentification";
  private static final List<ReasonCode> ORDER = List.of(
      ReasonCode.FORBIDDEN_SERVICE, ReasonCode.PROTOCOL_VERSION, ReasonCode.UNDECLARED_SERVICE,
      ReasonCode.WRONG_INTERFACE, ReasonCode.SCAN_INCOMPLETE);

  private final Clock clock;

  private Evaluator(Clock clock) {
    this.clock = clock;
  }

  /** An evaluator that stamps evaluations with {@code clock}'s time. */
  public static Evaluator withClock(Clock clock) {
    return new Evaluator(Objects.requireNonNull(clock, "clock"));
  }

  /** Evaluates with the system clock. */
  public static Evaluation evaluate(Policy policy, Observation observation) {
    return withClock(Clock.systemUTC()).apply(policy, observation);
  }

  /**
   * Evaluates with the system clock, HRD-3 judged on the port scan and on {@code
   * vulnerabilities}, the assessment of what the host runs.
   */
  public static Evaluation evaluate(Policy policy, Observation observation,
      VulnerabilityInput vulnerabilities) {
    return withClock(Clock.systemUTC()).apply(policy, observation,
        Optional.of(vulnerabilities));
  }

  /** Evaluates {@code observation} against {@code policy}, without vulnerability assessment. */
  public Evaluation apply(Policy policy, Observation observation) {
    return apply(policy, observation, Optional.empty());
  }

  /**
   * Evaluates {@code observation} against {@code policy}; HRD-3 passes only when the port scan
   * and the vulnerability assessment both pass (empty: the assessment did not run, so HRD-3 is
   * at best NOT_TESTED).
   */
  public Evaluation apply(Policy policy, Observation observation,
      Optional<VulnerabilityInput> vulnerabilities) {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(observation, "observation");
    Objects.requireNonNull(vulnerabilities, "vulnerabilities");
    VulnerabilityJudge.Judged vulns = VulnerabilityJudge.judge(policy, vulnerabilities,
        clock.instant());
    List<PortFinding> findings = new ArrayList<>();
    List<ObservedPort> ports = Coverage.ports(policy, observation);
    for (ObservedPort p : ports) {
      findings.add(judge(policy, p, observation));
    }
    List<StaleEntry> stale = stale(policy, ports);
    List<Reason> reasons = new ArrayList<>();
    if (!observation.complete()) {
      reasons.add(Reason.about(ReasonCode.SCAN_INCOMPLETE, observation.host(),
          "the " + observation.source() + " of " + observation.host() + " is incomplete"
              + (observation.notes().isEmpty() ? "" : " (" + String.join("; ",
                  observation.notes()) + ")")
              + ": an interrupted or partial examination never passes; run it again to the end"));
    }
    findings.stream().map(PortFinding::reason).filter(Objects::nonNull).forEach(reasons::add);
    reasons.addAll(vulns.reasons());
    reasons.sort(Comparator.comparingInt(r -> {
      int i = ORDER.indexOf(r.code());
      return i < 0 ? ORDER.size() : i;
    }));
    List<RequirementResult> requirements = requirements(policy, observation, findings, stale,
        vulns.result());
    Verdict overall = requirements.stream().map(RequirementResult::verdict)
        .reduce(Verdict.NOT_TESTED, Verdict::and);
    if (overall == Verdict.NOT_TESTED) {
      overall = Verdict.INCONCLUSIVE;
    }
    if (overall == Verdict.PASS && !reasons.isEmpty()) {
      // Every reason counts against a requirement; a pass with reasons would be a bug here.
      throw new IllegalStateException("pass with reasons: " + reasons);
    }
    return new Evaluation(policy, observation, clock.instant(), findings, stale, requirements,
        overall, reasons, vulns.result());
  }

  private PortFinding judge(Policy policy, ObservedPort p, Observation observation) {
    PortKey key = new PortKey(p.transport(), p.port());
    Optional<AllowedPort> declared = policy.allowed(key);
    String declaredService = declared.map(AllowedPort::service).orElse(null);
    String where = key + " on " + p.address() + describe(p);
    if (p.state() == PortState.CLOSED) {
      return new PortFinding(p, PortStatus.CLOSED, null, declaredService, Set.of(), null, null);
    }
    boolean open = p.state() == PortState.OPEN;
    List<String> waived = new ArrayList<>();

    // 2. Forbidden, by port or by identified service name.
    for (ForbiddenRule r : policy.forbidden()) {
      if (r.kind() != ForbiddenRule.Kind.PORT) {
        continue;
      }
      boolean byPort = r.forbidsPort(key);
      boolean byName = open && r.forbidsServiceName(p.service());
      if (!byPort && !byName) {
        continue;
      }
      if (policy.waiver(r, key).isPresent()) {
        waived.add(waiverNote(policy, r, key));
        continue;
      }
      String ruleText = "rule '" + r.id() + "' (" + r.title() + (r.origin()
          == ForbiddenRule.Origin.BASELINE ? ", HRD-5)" : ", operator policy: " + r.why() + ")");
      if (open) {
        return new PortFinding(p, PortStatus.FORBIDDEN, r.id(), declaredService,
            declared.isPresent() ? Set.of("HRD-1", "HRD-5") : Set.of("HRD-1", "HRD-4", "HRD-5"),
            Reason.about(ReasonCode.FORBIDDEN_SERVICE, key.toString(),
                where + " is open: forbidden by " + ruleText
                    + (byPort ? "" : " (identified as '" + p.service() + "')")
                    + "; disable the service and check again"),
            note(waived));
      }
      return new PortFinding(p, PortStatus.INCONCLUSIVE, r.id(), declaredService,
          Set.of("HRD-1", "HRD-5"),
          Reason.about(ReasonCode.SCAN_INCOMPLETE, key.toString(),
              where + " is " + state(p) + ": whether forbidden " + ruleText + " is open could not"
                  + " be decided; " + advice(p)),
          note(waived));
    }

    // 2b. SNMPv1/v2c write access, on any port the probe found it.
    ForbiddenRule snmp = Baseline.rule("snmp-write").orElseThrow();
    boolean snmpWaived = policy.waiver(snmp, key).isPresent();
    boolean snmpConcerned = snmp.concerns(key, p.service()) || !p.snmp().isEmpty();
    String snmpDoubt = null;
    if (snmpConcerned && snmpWaived) {
      waived.add(waiverNote(policy, snmp, key));
    } else if (snmpConcerned) {
      List<SnmpAccess> v12 = p.snmp().stream()
          .filter(a -> COUNTED_V1_V2C.contains(a.version().toLowerCase(Locale.ROOT))).toList();
      List<SnmpAccess> writable = v12.stream()
          .filter(a -> a.access() == SnmpAccess.Access.WRITE).toList();
      if (!writable.isEmpty()) {
        return new PortFinding(p, PortStatus.FORBIDDEN, snmp.id(), declaredService,
            declared.isPresent() ? Set.of("HRD-1", "HRD-5") : Set.of("HRD-1", "HRD-4", "HRD-5"),
            Reason.about(ReasonCode.FORBIDDEN_SERVICE, key.toString(),
                where + ": " + snmp.title() + " found: " + writable.stream()
                    .map(Evaluator::describe).collect(Collectors.joining(", "))
                    + " (HRD-5); disable SNMPv1/v2c write access (use SNMPv3) and check again"),
            note(waived));
      }
      List<SnmpAccess> unknown = v12.stream()
          .filter(a -> a.access() == SnmpAccess.Access.READ_WRITE_UNKNOWN).toList();
      if (!unknown.isEmpty()) {
        snmpDoubt = "readable " + unknown.stream().map(Evaluator::describe)
            .collect(Collectors.joining(", ")) + " could not be tested for write access";
      } else if (p.snmp().isEmpty()) {
        // Not only when open: an unanswered UDP probe (open|filtered) or an unexamined port may
        // hide a writable agent just as well, and only a write probe settles it.
        snmpDoubt = "SNMP was not probed for v1/v2c write access here (nmap cannot do it: use"
            + " the NEGuard scan)";
      }
    }

    // 3. Inconclusive states.
    if (!open) {
      if (declared.isPresent() && snmpDoubt != null) {
        return new PortFinding(p, PortStatus.INCONCLUSIVE, snmp.id(), declaredService,
            Set.of("HRD-5"),
            Reason.about(ReasonCode.SCAN_INCOMPLETE, key.toString(),
                where + " is " + state(p) + ": " + snmpDoubt + "; " + snmp.title()
                    + " is forbidden (HRD-5), so this cannot pass until a write probe has run"),
            note(waived));
      }
      if (declared.isPresent() && declared.get().protocol() != null) {
        // A version rule is not satisfied by silence alone (ProtocolVersions).
        return ProtocolVersions.judge(p, declared.get(), observation, where, note(waived));
      }
      if (declared.isPresent() && p.transport() == Transport.UDP
          && p.state() == PortState.OPEN_FILTERED) {
        // With identification, the portmapper's list would have sent an RPC program's own
        // request here (a mountd answers it and is forbidden by name); a bare sweep did not.
        PortFinding unnamed = unidentified(policy, p, declared.get(), observation, where,
            note(waived));
        if (unnamed != null) {
          return unnamed;
        }
      }
      if (declared.isPresent()) {
        return new PortFinding(p, PortStatus.INCONCLUSIVE, null, declaredService, Set.of(),
            null, join("declared; " + state(p) + ", not confirmed open", note(waived)));
      }
      return new PortFinding(p, PortStatus.INCONCLUSIVE, null, null, Set.of("HRD-1", "HRD-4"),
          Reason.about(ReasonCode.SCAN_INCOMPLETE, key.toString(),
              where + " is " + state(p) + " and not declared: whether an undeclared service"
                  + " listens could not be decided; " + advice(p)),
          note(waived));
    }

    // 4. Undeclared; named as a forbidden version when one answered that a rule on the same
    // port over another transport forbids (SNMP over TCP next to udp/161 v3 only).
    if (declared.isEmpty()) {
      PortFinding version = ProtocolVersions.undeclared(policy, p, observation, where,
          note(waived));
      if (version != null) {
        return version;
      }
      return new PortFinding(p, PortStatus.UNDECLARED, null, null, Set.of("HRD-1", "HRD-4"),
          Reason.about(ReasonCode.UNDECLARED_SERVICE, key.toString(),
              where + " is open but not declared for NE type '" + policy.neType()
                  + "': remove the service, or declare it with a justification (HRD-1, HRD-4)"
                  + (snmpDoubt == null ? "" : "; also " + snmpDoubt)),
          note(waived));
    }
    AllowedPort a = declared.get();

    // 5. Wrong interface.
    Boolean reachable = a.restricted() ? reachable(a, p.address(), observation) : Boolean.TRUE;
    if (reachable == null) {
      return new PortFinding(p, PortStatus.INCONCLUSIVE, null, a.service(),
          Set.of("HRD-1", "HRD-4"),
          Reason.about(ReasonCode.SCAN_INCOMPLETE, key.toString(),
              "declared " + key + " (" + a.service() + ") may be reachable only on ["
                  + a.whereAllowed() + "]; it is open on " + p.address() + describe(p)
                  + ", and this observation does not record which addresses those interfaces"
                  + " have: check it with a local inventory, or name addresses in the policy"),
          note(waived));
    }
    if (!reachable) {
      String ranges = a.whereAllowed();
      return new PortFinding(p, PortStatus.WRONG_INTERFACE, null, a.service(),
          Set.of("HRD-1", "HRD-4"),
          Reason.about(ReasonCode.WRONG_INTERFACE, key.toString(),
              "declared " + key + " (" + a.service() + ") may be reachable only on [" + ranges
                  + "] but is open on " + p.address()
                  + (AddressRange.isWildcard(p.address()) ? " (every interface)" : "")
                  + describe(p) + ": bind it to the allowed addresses only"),
          note(waived));
    }

    // A protocol version the policy does not allow that answered is a conclusive failure: it
    // outranks the doubt below (v1 read-only looks like "write unknown" to the write probe).
    PortFinding versions = a.protocol() == null ? null : ProtocolVersions.judge(p, a, observation,
        where, snmpDoubt == null ? note(waived) : join("also: " + snmpDoubt, note(waived)));
    if (versions != null && versions.status() == PortStatus.FORBIDDEN) {
      return versions;
    }

    // 6. SNMP without a conclusive write probe.
    if (snmpDoubt != null) {
      // An unconfirmed version rule is a second doubt on the same port: say both.
      boolean versionDoubt = versions != null && versions.status() == PortStatus.INCONCLUSIVE;
      return new PortFinding(p, PortStatus.INCONCLUSIVE, snmp.id(), a.service(),
          versionDoubt ? versions.requirements() : Set.of("HRD-5"),
          Reason.about(ReasonCode.SCAN_INCOMPLETE, key.toString(),
              where + ": " + snmpDoubt + "; " + snmp.title() + " is forbidden (HRD-5), so this"
                  + " cannot pass until a write probe has run"
                  + (versionDoubt ? "; and " + versions.reason().message() : "")),
          note(waived));
    }
    // 7. Protocol versions the policy allows (snmp v3 only, nfs v4 only), confirmed or not.
    if (versions != null) {
      return versions;
    }
    // 8. A declared port a bare sweep found open but did not identify: a forbidden service by
    // name (Telnet moved to a declared port) would look the same.
    PortFinding unnamed = unidentified(policy, p, a, observation, where, note(waived));
    if (unnamed != null) {
      return unnamed;
    }
    return new PortFinding(p, PortStatus.ALLOWED, null, a.service(), Set.of(), null,
        note(waived));
  }

  /**
   * Whether {@code o} is a NEGuard scan run without service identification ({@code
   * --no-identify}, recorded by {@code HardenScanner} as {@value #IDENTIFICATION}): no banner or
   * handshake, no portmapper DUMP, no protocol-version probe. The scanner records the parameter
   * in every scan; an observation edited to hide it gains nothing it could not have by editing
   * the ports themselves.
   */
  static boolean unidentified(Observation o) {
    return "scan".equals(o.source()) && "false".equals(o.parameters().get(IDENTIFICATION));
  }

  /**
   * INCONCLUSIVE for a declared port whose service a scan without identification left unnamed,
   * where the forbidden list's names would have applied; null otherwise.
   */
  private static PortFinding unidentified(Policy policy, ObservedPort p, AllowedPort a,
      Observation o, String where, String note) {
    // SCTP is never named, with identification or without: nothing was skipped there.
    if (p.service() != null || p.transport() == Transport.SCTP || !unidentified(o)) {
      return null;
    }
    PortKey key = a.key();
    List<String> rules = policy.forbidden().stream()
        .filter(r -> r.kind() == ForbiddenRule.Kind.PORT && !r.serviceNames().isEmpty()
            && policy.waiver(r, key).isEmpty())
        .map(ForbiddenRule::id).toList();
    if (rules.isEmpty()) {
      return null;
    }
    return new PortFinding(p, PortStatus.INCONCLUSIVE, null, a.service(), Set.of("HRD-1", "HRD-5"),
        Reason.about(ReasonCode.SCAN_INCOMPLETE, key.toString(), where + " is declared ("
            + a.service() + ") and " + state(p) + ", but the scan ran with --no-identify: what"
            + " answers there was not identified (no banner or handshake, no portmapper DUMP"
            + " naming RPC programs such as mountd), so the forbidden rules that match by service"
            + " name (" + String.join(", ", rules) + ") could not be checked on it (HRD-5);"
            + " scan again without --no-identify"),
        note);
  }

  /**
   * Whether {@code address} is an allowed place for {@code a}: true, false, or null when that
   * depends on interfaces the observation does not describe.
   */
  private static Boolean reachable(AllowedPort a, String address, Observation observation) {
    if (AddressRange.isWildcard(address)) {
      return false;
    }
    if (a.reachableOn().stream().anyMatch(r -> r.contains(address))) {
      return true;
    }
    boolean unknown = false;
    for (String name : a.interfaces()) {
      String addresses = observation.parameters().get(Observation.INTERFACE_PARAMETER + name);
      if (addresses == null) {
        unknown = true;
        continue;
      }
      for (String each : addresses.split(",")) {
        if (!each.isBlank() && AddressRange.parse(each.trim()).contains(address)) {
          return true;
        }
      }
    }
    return unknown && !observation.parameters().containsKey(Observation.INTERFACES_RECORDED) ? null : false;
  }

  private static List<StaleEntry> stale(Policy policy, List<ObservedPort> ports) {
    List<StaleEntry> stale = new ArrayList<>();
    for (AllowedPort a : policy.allowed()) {
      List<ObservedPort> seen = ports.stream()
          .filter(p -> p.transport() == a.key().transport() && p.port() == a.key().port())
          .toList();
      if (seen.stream().anyMatch(p -> p.state() == PortState.OPEN)) {
        continue;
      }
      Optional<ObservedPort> doubt = seen.stream()
          .filter(p -> p.state() != PortState.CLOSED).findFirst();
      stale.add(new StaleEntry(a, doubt.map(p -> "not confirmed: " + state(p))
          .orElse("not listening")));
    }
    return stale;
  }

  private static List<RequirementResult> requirements(
      Policy policy, Observation o, List<PortFinding> findings, List<StaleEntry> stale,
      VulnerabilityResult vulns) {
    Map<String, Verdict> worst = new LinkedHashMap<>();
    for (String id : List.of("HRD-1", "HRD-4", "HRD-5")) {
      worst.put(id, Verdict.PASS);
    }
    Map<PortStatus, Long> counts = new EnumMap<>(PortStatus.class);
    for (PortFinding f : findings) {
      counts.merge(f.status(), 1L, Long::sum);
      Verdict v = f.status() == PortStatus.INCONCLUSIVE ? Verdict.INCONCLUSIVE : Verdict.FAIL;
      for (String id : f.requirements()) {
        worst.merge(id, v, Verdict::and);
      }
    }
    if (!o.complete()) {
      worst.replaceAll((id, v) -> v.and(Verdict.INCONCLUSIVE));
    }
    long open = o.ports().stream().filter(p -> p.state() == PortState.OPEN).count();
    String incomplete = o.complete() ? "" : "; the observation is INCOMPLETE";
    List<RequirementResult> out = new ArrayList<>();
    out.add(new RequirementResult("HRD-1", Requirements.title("HRD-1"), worst.get("HRD-1"),
        "every open port is declared, allowed on the address it is open on, and not forbidden",
        open + " open: " + count(counts, PortStatus.ALLOWED) + " allowed, "
            + count(counts, PortStatus.FORBIDDEN) + " forbidden, "
            + count(counts, PortStatus.UNDECLARED) + " undeclared, "
            + count(counts, PortStatus.WRONG_INTERFACE) + " on a wrong interface; "
            + count(counts, PortStatus.INCONCLUSIVE) + " inconclusive" + incomplete));
    // The declared list is the policy (the parser guarantees a service and a justification per
    // entry); the list of what is actually open is the observation, which must be whole.
    out.add(new RequirementResult("HRD-2", Requirements.title("HRD-2"),
        o.complete() ? Verdict.PASS : Verdict.INCONCLUSIVE,
        "the NE type's policy declares every port it may open, with service and justification,"
            + " and the open ports and their services are listed",
        "policy '" + policy.neType() + "' declares " + policy.allowed().size()
            + " port(s), each with a service and a justification; " + stale.size()
            + " declared but not seen open (stale); " + open + " open port(s) listed"
            + incomplete));
    boolean scan = !"inventory".equals(o.source());
    Verdict portHalf = portScanVerdict(o);
    // Both halves of HRD-3 ("port-scanning and vulnerability-assessment tools"): a conclusive
    // FAIL or a doubt in either decides; a PASS needs both; one half not tested leaves it so.
    Verdict both = portHalf.and(vulns.verdict());
    Verdict hrd3 = both == Verdict.PASS && (portHalf == Verdict.NOT_TESTED
        || vulns.verdict() == Verdict.NOT_TESTED) ? Verdict.NOT_TESTED : both;
    out.add(new RequirementResult("HRD-3", Requirements.title("HRD-3"), hrd3,
        "the open ports and services are examined with a port-scanning tool, and what the host"
            + " runs is assessed for known vulnerabilities (none at or above the threshold"
            + " unless waived with a reason)",
        "port scan " + portHalf + ": " + (scan ? (o.tool() == null ? "unknown tool" : o.tool())
            + " (" + o.source() + ") examined " + o.host() + incomplete
            : "a local inventory is not a port scan: import nmap XML (--nmap-xml) or run the"
                + " NEGuard scan for HRD-3")
            + ". Vulnerability assessment " + vulns.verdict() + ": " + vulns.actual()));
    out.add(new RequirementResult("HRD-4", Requirements.title("HRD-4"), worst.get("HRD-4"),
        "no open port is missing from the declared list",
        count(counts, PortStatus.UNDECLARED) + " undeclared and "
            + count(counts, PortStatus.WRONG_INTERFACE) + " on a wrong interface found"
            + incomplete));
    out.add(new RequirementResult("HRD-5", Requirements.title("HRD-5"), worst.get("HRD-5"),
        "no forbidden service is open (baseline of seed 003 R5"
            + (policy.extensions().isEmpty() ? "" : " + " + policy.extensions().size()
                + " operator rule(s)")
            + (policy.waivers().isEmpty() ? "" : ", less " + policy.waivers().size()
                + " waiver(s)") + ")",
        count(counts, PortStatus.FORBIDDEN) + " forbidden open"
            + findings.stream().filter(f -> f.status() == PortStatus.FORBIDDEN)
                .map(f -> f.key() + " (" + f.rule() + ")")
                .collect(Collectors.joining(", ", findings.stream()
                    .anyMatch(f -> f.status() == PortStatus.FORBIDDEN) ? ": " : "", ""))
            + incomplete));
    // HRD-6 asks that the procedure was performed and documented: a FAIL of HRD-4 or HRD-5 is a
    // conclusive, documented result; an undecided port is not.
    Verdict hrd6 = o.complete() && worst.get("HRD-4") != Verdict.INCONCLUSIVE
        && worst.get("HRD-5") != Verdict.INCONCLUSIVE ? Verdict.PASS : Verdict.INCONCLUSIVE;
    out.add(new RequirementResult("HRD-6", Requirements.title("HRD-6"), hrd6,
        "the list of open ports and services was obtained, unnecessary and forbidden ones were"
            + " checked, and the evidence records it",
        hrd6 == Verdict.PASS
            ? "the procedure ran to the end; this evidence lists " + findings.size()
                + " port(s) and every discrepancy"
            : "the procedure could not reach a conclusion for every port" + incomplete));
    return out;
  }

  /**
   * HRD-3's first half: {@code PASS} for a complete scan or nmap import, {@code INCONCLUSIVE}
   * for an incomplete one, {@code NOT_TESTED} for a local inventory (which is no port scan).
   */
  public static Verdict portScanVerdict(Observation o) {
    return "inventory".equals(o.source()) ? Verdict.NOT_TESTED
        : o.complete() ? Verdict.PASS : Verdict.INCONCLUSIVE;
  }

  private static long count(Map<PortStatus, Long> counts, PortStatus s) {
    return counts.getOrDefault(s, 0L);
  }

  private static String waiverNote(Policy policy, ForbiddenRule r, PortKey key) {
    return policy.waiver(r, key).map(w -> "rule '" + r.id() + "' waived: " + w.reason()
        + (w.reference() == null ? "" : " (" + w.reference() + ")")).orElse(null);
  }

  private static String note(List<String> notes) {
    return notes.isEmpty() ? null : String.join("; ", notes);
  }

  private static String join(String a, String b) {
    return b == null ? a : a + "; " + b;
  }

  private static String advice(ObservedPort p) {
    return p.state() == PortState.NOT_CHECKED
        ? "include it in the examination (for nmap: -p with this port, -sU for UDP, -sY for SCTP)"
        : "examine it from a position without packet filtering, or use the local inventory";
  }

  private static String state(ObservedPort p) {
    String s = switch (p.state()) {
      case OPEN -> "open";
      case CLOSED -> "closed";
      case FILTERED -> "filtered";
      case OPEN_FILTERED -> "open|filtered";
      case NOT_CHECKED -> "not checked";
    };
    return p.evidence() == null || p.state() == PortState.OPEN ? s : s + " (" + p.evidence() + ")";
  }

  /** " (service ssh, process sshd pid 12 /usr/sbin/sshd user root)", or "". */
  static String describe(ObservedPort p) {
    List<String> parts = new ArrayList<>();
    if (p.service() != null) {
      parts.add("service " + p.service());
    }
    ProcessInfo proc = p.process();
    if (proc != null) {
      parts.add("process " + proc.name() + " pid " + proc.pid()
          + (proc.executable() == null ? "" : " " + proc.executable())
          + (proc.user() == null ? "" : " user " + proc.user()));
    }
    return parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")";
  }

  /** A community is a secret unless it is a well-known default: show only its length. */
  static String describe(SnmpAccess a) {
    return a.version() + " " + SnmpAccess.shown(a.community())
        + (a.detail() == null ? "" : " (" + a.detail() + ")");
  }
}
