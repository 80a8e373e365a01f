package org.neguard.harden.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.ProtocolProbe;
import org.neguard.harden.ProtocolProbe.Result;
import org.neguard.harden.Transport;
import org.neguard.harden.policy.AllowedPort;
import org.neguard.harden.policy.Policy;
import org.neguard.harden.policy.PortKey;
import org.neguard.harden.policy.ProtocolRule;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;

/**
 * Judges a declared port whose policy entry allows only some protocol versions ({@code snmp}
 * {@code versions: [v3]}, {@code nfs} {@code versions: [v4]}) with the scan's {@link
 * ProtocolProbe}s (docs/HARDENING.md, "Protocol versions").
 *
 * <ul>
 *   <li>{@code PROTOCOL_VERSION} (a failure of HRD-1 and HRD-5) when a version the policy does not
 *       allow answered, or, for NFS, a mountd is registered or answers.
 *   <li>Inconclusive ({@code SCAN_INCOMPLETE}) when no probe ran (an inventory, an nmap import),
 *       when a forbidden version was not asked or got an answer that decides nothing, when the
 *       portmapper could not be asked about mountd, or when no allowed version answered either:
 *       an agent that answers nothing cannot be told from a v3-only one (an SNMP agent drops an
 *       unknown community in silence), so silence passes only next to an allowed version that
 *       answered.
 *   <li>Otherwise allowed, with a note of what confirmed it.
 * </ul>
 */
final class ProtocolVersions {
  /** The rule id findings carry, as the baseline's ids are carried. */
  static final String RULE = "protocol-version";
  private static final Set<String> REQUIREMENTS = Set.of("HRD-1", "HRD-5");

  private ProtocolVersions() {}

  static PortFinding judge(ObservedPort p, AllowedPort a, Observation o, String where,
      String note) {
    ProtocolRule rule = a.protocol();
    String key = a.key().toString();
    String allowed = "allowed as " + rule.describe();
    List<ProtocolProbe> probes = o.protocolProbes().stream()
        .filter(r -> r.protocol().equals(rule.protocol()) && r.port() == p.port()).toList();
    // A separate mountd is NFSv2/v3's: wherever it is, an NFSv4-only host must not have one.
    boolean mountdForbidden = rule.protocol().equals("nfs") && !rule.versions().contains("v2")
        && !rule.versions().contains("v3");
    List<ProtocolProbe> mountd = mountdForbidden
        ? o.protocolProbes().stream().filter(r -> r.protocol().equals("mountd")).toList()
        : List.of();

    List<ProtocolProbe> violations = new ArrayList<>();
    probes.stream().filter(r -> r.result() == Result.SERVED
        && rule.forbiddenVersions().contains(r.version())).forEach(violations::add);
    mountd.stream().filter(r -> r.result() == Result.SERVED).forEach(violations::add);
    if (!violations.isEmpty()) {
      return new PortFinding(p, PortStatus.FORBIDDEN, RULE, a.service(), REQUIREMENTS,
          Reason.about(ReasonCode.PROTOCOL_VERSION, key, where + " is " + allowed + ", but "
              + violations.stream().map(ProtocolVersions::describe)
                  .collect(Collectors.joining("; "))
              + " (HRD-1, HRD-5); " + advice(rule)), note);
    }

    List<String> doubts = new ArrayList<>();
    if (p.state() != PortState.OPEN) {
      doubts.add("the port is " + switch (p.state()) {
        case OPEN_FILTERED -> "open|filtered (nothing answered)";
        case NOT_CHECKED -> "not checked";
        default -> p.state().name().toLowerCase(Locale.ROOT);
      });
    }
    if (probes.isEmpty() && Evaluator.unidentified(o)) {
      // A bare sweep skips the version probes and the portmapper DUMP: never a pass.
      doubts.add("no " + rule.protocol() + " version probe ran on it: the scan ran with"
          + " --no-identify, which skips the SNMP, NFS and mountd version probes and the"
          + " portmapper DUMP; scan again without --no-identify");
    } else if (probes.isEmpty()) {
      doubts.add("no " + rule.protocol() + " version probe ran on it ("
          + ("scan".equals(o.source()) ? "the scan did not find the service"
              : "the " + o.source() + " cannot probe versions") + "): run the NEGuard scan");
    } else {
      for (String v : rule.forbiddenVersions()) {
        List<ProtocolProbe> asked = probes.stream().filter(r -> r.version().equals(v)).toList();
        if (asked.isEmpty()) {
          doubts.add(rule.protocol() + " " + v + " was not probed");
        }
        asked.stream().filter(r -> r.result() == Result.UNDECIDED)
            .forEach(r -> doubts.add(describe(r)));
      }
      boolean answered = probes.stream().anyMatch(r -> r.result() == Result.SERVED
          && rule.versions().contains(r.version()) && r.transport() == a.key().transport());
      if (!answered) {
        doubts.add("no allowed version (" + String.join(", ", rule.versions()) + ") answered"
            + " either, and silence alone cannot tell a server of only those versions from one"
            + " that ignores these requests");
      }
    }
    if (mountdForbidden && !probes.isEmpty()) {
      if (mountd.stream().noneMatch(r -> r.port() == 111 && r.version().equals("any"))) {
        doubts.add("whether a mountd is registered was not asked");
      }
      mountd.stream().filter(r -> r.result() == Result.UNDECIDED)
          .forEach(r -> doubts.add(describe(r)));
    }
    if (!doubts.isEmpty()) {
      return new PortFinding(p, PortStatus.INCONCLUSIVE, RULE, a.service(), REQUIREMENTS,
          Reason.about(ReasonCode.SCAN_INCOMPLETE, key, where + " is " + allowed
              + ", which could not be confirmed: " + String.join("; ", doubts)), note);
    }
    long silent = probes.stream().filter(r -> rule.forbiddenVersions().contains(r.version()))
        .count() + mountd.size();
    String confirmed = rule.describe() + " confirmed: " + String.join(", ", rule.versions())
        + " answered; " + silent + " request(s) in " + String.join(", ", rule.forbiddenVersions())
        + (mountd.isEmpty() ? "" : " and to mountd") + " refused or unanswered";
    return new PortFinding(p, PortStatus.ALLOWED, null, a.service(), Set.of(), null,
        note == null ? confirmed : confirmed + "; " + note);
  }

  /**
   * An open port the policy does not declare, on whose port number another transport's entry
   * restricts the versions ({@code udp/161} SNMP v3 only, and SNMP answering over {@code tcp/161},
   * RFC 3430): a forbidden version answering here is the very service the rule forbids, reached
   * over another transport, so it is named as such ({@code PROTOCOL_VERSION}) and not only as an
   * undeclared port. Null when no such rule or no such answer.
   */
  static PortFinding undeclared(Policy policy, ObservedPort p, Observation o, String where,
      String note) {
    for (Transport t : Transport.values()) {
      Optional<AllowedPort> other = t == p.transport() ? Optional.empty()
          : policy.allowed(new PortKey(t, p.port()));
      if (other.isEmpty() || other.get().protocol() == null) {
        continue;
      }
      ProtocolRule rule = other.get().protocol();
      List<ProtocolProbe> served = o.protocolProbes().stream()
          .filter(r -> r.protocol().equals(rule.protocol()) && r.port() == p.port()
              && r.transport() == p.transport() && r.result() == Result.SERVED
              && rule.forbiddenVersions().contains(r.version())).toList();
      if (!served.isEmpty()) {
        String key = new PortKey(p.transport(), p.port()).toString();
        return new PortFinding(p, PortStatus.FORBIDDEN, RULE, null,
            Set.of("HRD-1", "HRD-4", "HRD-5"),
            Reason.about(ReasonCode.PROTOCOL_VERSION, key, where + " is open and not declared,"
                + " and " + other.get().key() + " is allowed as " + rule.describe() + ", but "
                + served.stream().map(ProtocolVersions::describe)
                    .collect(Collectors.joining("; "))
                + " (HRD-1, HRD-4, HRD-5); " + advice(rule) + ", and close " + key
                + " or declare it with the same versions"), note);
      }
    }
    return null;
  }

  private static String describe(ProtocolProbe r) {
    return r.protocol() + " " + r.version() + " on " + r.transport().name().toLowerCase(Locale.ROOT)
        + "/" + r.port() + ": " + r.request() + " -> " + r.result().name().toLowerCase(Locale.ROOT)
        + (r.detail() == null ? "" : " (" + r.detail() + ")");
  }

  private static String advice(ProtocolRule rule) {
    return rule.protocol().equals("snmp")
        ? "disable every version but " + String.join(", ", rule.versions()) + " in the agent"
            + " (net-snmp: remove the rocommunity/rwcommunity and com2sec lines, keep"
            + " createUser/rouser) and check again"
        : "serve only NFS " + String.join(", ", rule.versions()) + " (Ganesha: NFS_CORE_PARAM"
            + " Protocols = 4; the kernel server: RPCNFSDOPTS=\"-N 2 -N 3\" and"
            + " RPCMOUNTDOPTS=\"--no-nfs-version 3\", no rpc.mountd) and check again";
  }
}
