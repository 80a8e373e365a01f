package org.neguard.cli.harden;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.neguard.cli.support.CommandBase;
import org.neguard.cli.support.ForceOption;
import org.neguard.cli.support.Output;
import org.neguard.cli.support.OutputFiles;
import org.neguard.cli.support.TerminalProgress;
import org.neguard.cli.support.Version;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservationCodec;
import org.neguard.harden.eval.Evaluation;
import org.neguard.harden.eval.Evaluator;
import org.neguard.harden.eval.PortFinding;
import org.neguard.harden.eval.RequirementResult;
import org.neguard.harden.eval.StaleEntry;
import org.neguard.harden.nmap.NmapXmlImporter;
import org.neguard.harden.policy.AllowedPort;
import org.neguard.harden.policy.Baseline;
import org.neguard.harden.policy.ForbiddenRule;
import org.neguard.harden.policy.Policy;
import org.neguard.harden.policy.PolicyParser;
import org.neguard.harden.policy.PortKey;
import org.neguard.harden.probe.HardenScanner;
import org.neguard.harden.probe.PortList;
import org.neguard.harden.probe.ScanOptions;
import org.neguard.harden.report.EvidenceJson;
import org.neguard.harden.report.EvidenceWriter;
import org.neguard.io.AtomicFiles;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code neguard harden check} (HRD-1..HRD-6). */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description = {
      "Judge an NE's open ports and services against its NE type's policy: every open port "
          + "must be declared (HRD-1, HRD-4), allowed on the address it is open on, and not "
          + "forbidden (HRD-5: the seed's baseline plus the policy's extensions, less reasoned "
          + "waivers).",
      "A filtered or unchecked port never counts as closed; an incomplete observation never "
          + "passes. --report DIR writes the evidence (HRD-6): HTML, JSON and JUnit XML in the TS "
          + "33.117 test-case shape. Exit 0 pass, 3 anything forbidden, undeclared or "
          + "inconclusive, 1 error."
    })
final class HardenCheckCommand extends CommandBase {
  @Option(names = "--policy", required = true, paramLabel = "FILE",
      description = "The NE type's hardening policy (YAML; see docs/HARDENING.md).")
  Path policyFile;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Input input;

  /** Where the observation comes from: exactly one. */
  static final class Input {
    @Option(names = "--inventory", paramLabel = "FILE",
        description = "An observation in JSON ('harden inventory --json' or 'harden scan --json').")
    Path inventory;

    @Option(names = "--nmap-xml", paramLabel = "FILE",
        description = "nmap's XML output (nmap -oX FILE); needs --host.")
    Path nmapXml;

    @Option(names = "--target", paramLabel = "HOST",
        description = "Scan HOST now: every TCP port, the top UDP ports and every UDP and SCTP"
            + " port the policy declares or forbids, with the SNMP write probe.")
    String target;
  }

  @Option(names = "--host", paramLabel = "HOST",
      description = "The NE the evidence must be about (its address, or the name nmap was"
          + " given). Required with --nmap-xml; checked against the inventory when given.")
  String host;

  @Option(names = "--report", paramLabel = "DIR",
      description = "Write the evidence here: " + EvidenceWriter.HTML + ", " + EvidenceWriter.JSON
          + ", " + EvidenceWriter.JUNIT + " (existing ones are refused unless --force).")
  Path report;

  @Mixin ForceOption force;

  @Override
  public Object target() {
    return host;
  }

  @Override
  public Integer call() throws Exception {
    Output output = output();
    if (report != null && !force.force) {
      for (String name : List.of(EvidenceWriter.HTML, EvidenceWriter.JSON, EvidenceWriter.JUNIT)) {
        OutputFiles.check(report.resolve(name), false);
      }
    }
    Policy policy = PolicyParser.parse(policyFile);
    Observation observation = observation(policy);
    Evaluation e = Evaluator.evaluate(policy, observation);
    String generator = generator();
    List<Path> written = report == null ? List.of()
        : EvidenceWriter.write(e, report, generator,
            force.force ? AtomicFiles.Existing.REPLACE : AtomicFiles.Existing.REFUSE);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("result", e.verdict().name());
    details.put("host", observation.host());
    details.put("neType", policy.neType());
    Map<String, String> reqs = new LinkedHashMap<>();
    for (RequirementResult r : e.requirements()) {
      reqs.put(r.id(), r.verdict().name());
    }
    details.put("requirements", reqs);
    details.put("report", written.stream().map(Path::toString).toList());
    details.put("evidence", EvidenceJson.of(e, generator));
    String text = text(e, written);
    return e.passed() ? output.pass(text, details)
        : output.failWithDetails(text, e.reasons(), details);
  }

  /**
   * The one place the observation comes from, so that another source (a live scan with
   * {@code --target}) slots in here.
   */
  Observation observation(Policy policy) throws RefusalException, IOException {
    if (input.target != null) {
      if (host != null && !host.equalsIgnoreCase(input.target)) {
        throw usage("--host " + host + " and --target " + input.target + " name different NEs");
      }
      return scan(input.target, policy);
    }
    if (input.nmapXml != null) {
      if (host == null) {
        throw usage("--nmap-xml needs --host HOST: the NE the scan must be about");
      }
      return NmapXmlImporter.read(input.nmapXml, host, mustCover(policy));
    }
    Observation o = ObservationCodec.read(input.inventory);
    if (host != null && !host.equalsIgnoreCase(o.host())) {
      throw RefusalException.about(ReasonCode.BAD_INPUT, input.inventory.toString(),
          input.inventory + " is about host '" + o.host() + "', not " + host
              + ": check the inventory of the NE under test");
    }
    return o;
  }

  /** A live scan that covers whatever the policy names, besides the usual ports. */
  private Observation scan(String target, Policy policy) throws RefusalException, IOException {
    ScanOptions defaults = ScanOptions.defaults();
    java.util.SortedSet<Integer> udp = new java.util.TreeSet<>();
    java.util.SortedSet<Integer> sctp = new java.util.TreeSet<>();
    for (int p : defaults.udpPorts().toArray()) {
      udp.add(p);
    }
    for (int p : defaults.sctpPorts().toArray()) {
      sctp.add(p);
    }
    for (PortKey k : mustCover(policy)) {
      switch (k.transport()) {
        case UDP -> udp.add(k.port());
        case SCTP -> sctp.add(k.port());
        default -> { } // every TCP port is scanned anyway
      }
    }
    ScanOptions options = defaults
        .withUdpPorts(PortList.of(udp.stream().mapToInt(Integer::intValue).toArray()))
        .withSctpPorts(PortList.of(sctp.stream().mapToInt(Integer::intValue).toArray()));
    try (TerminalProgress progress = TerminalProgress.items(output())) {
      return HardenScanner.create(options, progress).scan(target);
    }
  }

  /** The ports an imported scan must account for: every forbidden and every declared one. */
  static Set<PortKey> mustCover(Policy policy) {
    Set<PortKey> keys = new HashSet<>(Baseline.ports());
    for (ForbiddenRule r : policy.extensions()) {
      keys.addAll(r.ports());
    }
    for (AllowedPort a : policy.allowed()) {
      keys.add(a.key());
    }
    return keys;
  }

  static String generator() {
    return "NEGuard " + Version.number();
  }

  static String text(Evaluation e, List<Path> written) {
    Observation o = e.observation();
    StringBuilder sb = new StringBuilder();
    sb.append(e.passed() ? "PASS" : "FAIL").append("  ").append(o.host()).append(" against ")
        .append(e.policy().neType()).append(" policy (").append(e.policy().source())
        .append("): ").append(e.verdict()).append('\n');
    sb.append(String.format("  examined   %s by %s, %s .. %s%s%n", o.source(),
        o.tool() == null ? "unknown tool" : o.tool(), o.started(), o.finished(),
        o.complete() ? "" : " (INCOMPLETE)"));
    for (RequirementResult r : e.requirements()) {
      sb.append(String.format("  %-6s %-13s %s%n", r.id(), r.verdict(), r.actual()));
    }
    if (!e.findings().isEmpty()) {
      sb.append("  ports\n");
      for (PortFinding f : e.findings()) {
        sb.append(String.format("    %-11s %-16s %-14s %-12s %s%n", f.key(), f.port().address(),
            f.port().state(), f.port().service() == null ? "-" : f.port().service(),
            f.status() + (f.rule() == null ? "" : " (" + f.rule() + ")")));
      }
    }
    for (StaleEntry s : e.stale()) {
      sb.append("  stale      ").append(s.entry().key()).append(" (")
          .append(s.entry().service()).append("): ").append(s.note()).append('\n');
    }
    for (Path p : written) {
      sb.append("  evidence   ").append(p).append('\n');
    }
    String out = sb.toString();
    return out.endsWith("\n") ? out.substring(0, out.length() - 1) : out;
  }
}
