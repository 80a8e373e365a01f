package org.neguard.cli.harden;

import org.neguard.io.HostName;
import org.neguard.io.MachineId;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.ForceOption;
import org.neguard.cli.support.Output;
import org.neguard.cli.support.RpmPackages;
import org.neguard.cli.support.OutputFiles;
import org.neguard.cli.support.TerminalProgress;
import org.neguard.cli.support.Version;
import org.neguard.harden.HostRelease;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservationCodec;
import org.neguard.harden.eval.Evaluation;
import org.neguard.harden.eval.Evaluator;
import org.neguard.harden.eval.PortFinding;
import org.neguard.harden.eval.RequirementResult;
import org.neguard.harden.eval.StaleEntry;
import org.neguard.harden.eval.VulnerabilityInput;
import org.neguard.harden.eval.VulnerabilityResult;
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
import org.neguard.harden.vuln.VulnerabilityAssessor;
import org.neguard.io.AtomicFiles;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.neguard.vuln.Severity;
import org.neguard.vuln.VulnDb;
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
final class HardenCheckCommand extends ClientCommand {
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

  @Option(names = "--vulndb", paramLabel = "DIR",
      description = "Assess what the host runs against this vulnerability database (feeds"
          + " imported with 'neguard vulndb import'): HRD-3's second half. Without it HRD-3 is"
          + " at best NOT_TESTED.")
  Path vulndb;

  @Option(names = "--dpkg-status", paramLabel = "FILE",
      description = "The host's dpkg status file (an NE's copied here, with its info/ directory"
          + " beside it to map the listening executables to packages). Default: this host's"
          + " /var/lib/dpkg/status when the observation is this host's local inventory (its"
          + " name and its machine id, /etc/machine-id, this host's);"
          + " required for any other unless --rpmdb or --cpe-only.")
  Path dpkgStatus;

  @Option(names = "--rpmdb", paramLabel = "DIR",
      description = "The host's rpm database (an NE's /var/lib/rpm copied here; read with rpm"
          + " -qa as 'vuln check --rpmdb' reads it), matched by rpm's version rules; needs"
          + " --release naming an rpm distribution (AlmaLinux:9, Rocky Linux:9, Red Hat:9.4,"
          + " openSUSE:Leap 15.5). Default: this host's, when the observation is this host's"
          + " local inventory and it has an rpm database and no dpkg status.")
  Path rpmdb;

  @Option(names = "--device", paramLabel = "ID",
      description = "Assess the packages NE ID last reported to the OAM server (--server, with"
          + " the token of 'neguard login' or $NEGUARD_TOKEN) instead of a dpkg status file;"
          + " a device that never reported, an old report or a doubtful answer is a refusal.")
  String device;

  @Option(names = "--max-report-age", paramLabel = "DURATION",
      converter = org.neguard.cli.support.DurationConverter.class,
      description = "With --device, the oldest the NE's package report may be, by the server's"
          + " clock (default 1d): an older one is refused, never assessed.")
  java.time.Duration maxReportAge;

  @Option(names = "--cpe-only",
      description = "For a remote observation without a package list: match only the products"
          + " and versions the services revealed (CPEs), which cannot see a distribution's"
          + " backported fixes.")
  boolean cpeOnly;

  @Option(names = "--release", paramLabel = "ECOSYSTEM",
      description = "The host's distribution release as an OSV ecosystem, e.g. Debian:12,"
          + " AlmaLinux:9, Red Hat:9.4 (default: from --os-release, else from this host's"
          + " /etc/os-release for a dpkg status or for this host's own rpm database).")
  String release;

  @Option(names = "--os-release", paramLabel = "FILE",
      description = "The host's os-release file (an NE's etc/os-release copied here), its ID and"
          + " VERSION_ID named as the agent names its NE's release (ID=rhel VERSION_ID=9.4:"
          + " Red Hat:9.4); instead of --release.")
  Path osRelease;

  @Option(names = "--max-vulndb-age", paramLabel = "DURATION",
      converter = org.neguard.cli.support.DurationConverter.class,
      description = "The oldest the database's feeds may be (default 7d): an older database"
          + " makes HRD-3 INCONCLUSIVE, never a pass.")
  java.time.Duration maxVulndbAge;

  @Option(names = "--fail-on", paramLabel = "high|critical",
      description = "The lowest severity of a finding that fails HRD-3 unless waived (default"
          + " high; a finding no feed grades counts as reaching it).")
  String failOn;

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
    if (vulndb == null) {
      for (Object[] o : new Object[][] {{"--dpkg-status", dpkgStatus}, {"--rpmdb", rpmdb},
          {"--release", release}, {"--os-release", osRelease},
          {"--max-vulndb-age", maxVulndbAge}, {"--fail-on", failOn},
          {"--cpe-only", cpeOnly ? Boolean.TRUE : null}, {"--device", device},
          {"--max-report-age", maxReportAge}}) {
        if (o[1] != null) {
          throw usage(o[0] + " belongs to the vulnerability assessment: give --vulndb DIR too");
        }
      }
    }
    deviceOptions();
    if (release != null && osRelease != null) {
      throw usage("--release and --os-release exclude each other: give the release, or the"
          + " os-release file naming it");
    }
    if (rpmdb != null && (dpkgStatus != null || cpeOnly)) {
      throw usage("--rpmdb and " + (cpeOnly ? "--cpe-only" : "--dpkg-status") + " exclude each"
          + " other: give the host's one package database (its rpm database or its dpkg"
          + " status), or none with --cpe-only");
    }
    if (vulndb != null && dpkgStatus == null && rpmdb == null && device == null && !cpeOnly
        && (input.target != null || input.nmapXml != null)) {
      // Said before a scan that may take minutes, not after it.
      throw usage(remoteWithoutPackages(input.target != null ? input.target : host));
    }
    if (cpeOnly && dpkgStatus != null) {
      throw usage("--cpe-only and --dpkg-status exclude each other: with a package list the"
          + " packages are assessed too");
    }
    Severity threshold = threshold();
    Policy policy = PolicyParser.parse(policyFile);
    Observation observation = observation(policy);
    Evaluation e = vulndb == null ? Evaluator.evaluate(policy, observation)
        : Evaluator.evaluate(policy, observation, vulnerabilities(observation, threshold));
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

  /** {@code --device} excludes the other package sources; its own options need it. */
  private void deviceOptions() {
    if (device == null) {
      if (maxReportAge != null || serverOptionsGiven()) {
        throw usage((maxReportAge != null ? "--max-report-age" : "--server, --cacert, --config"
            + " and --insecure-plain-http") + " belong to --device ID: the check talks to a"
            + " server only to fetch an NE's package list");
      }
      return;
    }
    if (dpkgStatus != null || rpmdb != null || cpeOnly) {
      throw usage("--device and " + (cpeOnly ? "--cpe-only" : dpkgStatus != null
          ? "--dpkg-status" : "--rpmdb") + " exclude each other: the package list is the NE's"
          + " report, or a package database copied from it, or none");
    }
    if (release != null || osRelease != null) {
      throw usage((release != null ? "--release" : "--os-release") + " does not go with"
          + " --device: the NE's report names its release");
    }
  }

  /** {@code --fail-on}: high (the default) or critical. */
  private Severity threshold() {
    if (failOn == null) {
      return Severity.HIGH;
    }
    return switch (failOn.toLowerCase(java.util.Locale.ROOT)) {
      case "high" -> Severity.HIGH;
      case "critical" -> Severity.CRITICAL;
      default -> throw usage("--fail-on '" + failOn + "' is not one of high, critical");
    };
  }

  /**
   * HRD-3's second half: the packages of the observed host (its dpkg status) and its open ports
   * matched against the database. This host's package list is used only for this host's own
   * inventory, proven by the machine id it recorded (a host name is not proof): assessing
   * another host with ours would judge the wrong machine.
   */
  private VulnerabilityInput vulnerabilities(Observation o, Severity threshold)
      throws IOException, RefusalException {
    if (device != null) {
      // Fetched and checked first: a refusal about the report costs no database open.
      ReportedPackages.Fetched f = ReportedPackages.fetch(server(), device,
          maxReportAge == null ? DEFAULT_MAX_REPORT_AGE : maxReportAge);
      return VulnerabilityAssessor.assessReported(o, request(VulnDb.open(vulndb),
          java.util.Optional.empty(), "reported", f.release(), threshold), f.list());
    }
    boolean namedThisHost = "inventory".equals(o.source())
        && o.host().equalsIgnoreCase(HostName.local());
    // A name proves nothing: clones of one image and hosts left at a default name share theirs.
    // Only the machine id the inventory recorded, equal to this machine's, makes it this host's.
    java.util.Optional<String> notThisMachine = namedThisHost
        ? notThisMachine(o, MachineId.local()) : java.util.Optional.empty();
    boolean thisHost = namedThisHost && notThisMachine.isEmpty();
    java.util.Optional<Path> localRpm = thisHost && dpkgStatus == null && rpmdb == null
        && !cpeOnly && !java.nio.file.Files.exists(LOCAL_STATUS) ? RpmPackages.local()
        : java.util.Optional.empty();
    if (rpmdb != null || localRpm.isPresent()) {
      return rpm(o, rpmdb != null ? rpmdb : localRpm.get(), rpmdb != null
          ? "given with --rpmdb" : "this host's", threshold);
    }
    java.util.Optional<Path> status;
    String label;
    if (dpkgStatus != null) {
      status = java.util.Optional.of(dpkgStatus);
      label = "given with --dpkg-status";
    } else if (cpeOnly) {
      status = java.util.Optional.empty();
      label = "none";
    } else if (thisHost) {
      status = java.util.Optional.of(LOCAL_STATUS);
      label = "this host's";
    } else {
      throw usage(notThisMachine.orElseGet(
          () -> remoteWithoutPackages(o.host() + " (" + o.source() + ")")));
    }
    String ecosystem = release;
    if (ecosystem == null) {
      ecosystem = releaseFrom(osRelease != null ? osRelease : HostRelease.OS_RELEASE, false);
    } else if (!ecosystem.matches("[A-Za-z][A-Za-z0-9.-]{0,31}(:[0-9A-Za-z.]{1,16})?")) {
      throw usage("--release '" + ecosystem + "' is not an OSV ecosystem such as Debian:12");
    }
    return VulnerabilityAssessor.assess(o, request(VulnDb.open(vulndb), status, label,
        ecosystem, threshold));
  }

  /**
   * The assessment of an rpm database's packages ({@code --rpmdb}, or this host's), read as
   * {@code vuln check --rpmdb} reads it, with the owners of the listening executables from it.
   */
  private VulnerabilityInput rpm(Observation o, Path db, String label, Severity threshold)
      throws IOException, RefusalException {
    String release = this.release;
    if (release == null && osRelease == null && rpmdb != null) {
      // another host's database: this host's os-release would name the wrong release
      throw usage("the rpm database " + db + " needs --release naming its distribution's OSV"
          + " ecosystem, for example AlmaLinux:9, Rocky Linux:9, Red Hat:9.4 or openSUSE:Leap"
          + " 15.5, or --os-release FILE (the NE's etc/os-release copied here)");
    }
    if (release == null) {
      // this host's own database, or the os-release given with it
      release = releaseFrom(osRelease != null ? osRelease : HostRelease.OS_RELEASE, true);
    } else if (!RpmPackages.isRpmRelease(release)) {
      throw usage("--release '" + release + "' is no rpm distribution's OSV ecosystem (such"
          + " as AlmaLinux:9, Rocky Linux:9, Red Hat:9.4, openSUSE:Leap 15.5), so the rpm"
          + " database " + db + " cannot be matched; SUSE Linux Enterprise is not assessed yet");
    }
    String option = rpmdb != null ? "--rpmdb" : "this host's rpm database";
    List<org.neguard.vuln.Component> components = RpmPackages.read(db, release, option);
    Map<String, String> owners = RpmPackages.owners(db, VulnerabilityAssessor.executables(o),
        option);
    String description = db + " (" + label + ", rpm database read with rpm -qa, "
        + components.size() + " installed rpm packages)";
    return VulnerabilityAssessor.assessReported(o, request(VulnDb.open(vulndb),
        java.util.Optional.empty(), label, release, threshold),
        new VulnerabilityAssessor.PackageList(components, description,
            java.util.Optional.of(exe -> java.util.Optional.ofNullable(owners.get(exe))),
            List.of()));
  }

  /**
   * The release named by the os-release file {@code file} ({@code --os-release}, or this
   * host's), read as the agent reads its NE's; a usage error naming the file when it names none,
   * or a release of the other package format ({@code rpm}: an rpm distribution's, else not).
   */
  private String releaseFrom(Path file, boolean rpm) {
    String named;
    try {
      named = HostRelease.of(file);
    } catch (HostRelease.Unknown e) {
      throw usage("cannot tell the release: " + e.getMessage() + "; give --release, for example "
          + (rpm ? "AlmaLinux:9 or Red Hat:9.4" : "Debian:12"));
    }
    if (RpmPackages.isRpmRelease(named) != rpm) {
      throw usage(file + " names " + named + ", which is " + (rpm ? "no" : "an")
          + " rpm distribution's OSV ecosystem, so it is not the release of the "
          + (rpm ? "rpm database (SUSE Linux Enterprise is not assessed yet)" : "dpkg status")
          + ": give --release");
    }
    return named;
  }

  /** The assessment's request: the same for every package source. */
  private VulnerabilityAssessor.Request request(VulnDb db, java.util.Optional<Path> status,
      String label, String ecosystem, Severity threshold) {
    return new VulnerabilityAssessor.Request(db, status, label, ecosystem, threshold,
        maxVulndbAge == null ? java.time.Duration.ofDays(7) : maxVulndbAge,
        java.time.Instant.now());
  }

  /** How old an NE's package report may be by default: agents report far more often. */
  static final java.time.Duration DEFAULT_MAX_REPORT_AGE = java.time.Duration.ofDays(1);

  private static String remoteWithoutPackages(String host) {
    return "the observation is of " + host + ", not this host's local inventory: give"
        + " --dpkg-status FILE (that host's /var/lib/dpkg/status copied here, its info/"
        + " directory beside it), --rpmdb DIR (its rpm database copied here) or --cpe-only to"
        + " match only the services' identified products";
  }

  /**
   * Why an inventory naming this host is not provably this machine's, so that this host's
   * package database must not judge it (HRD-3), or empty when the machine id it recorded is
   * {@code localId}, this machine's.
   */
  static java.util.Optional<String> notThisMachine(Observation o,
      java.util.Optional<String> localId) {
    String why;
    if (o.machineId() == null) {
      why = "records no machine id (taken before 'harden inventory' recorded /etc/machine-id,"
          + " or on a host without a valid one)";
    } else if (localId.isEmpty()) {
      why = "this host has no valid machine id (/etc/machine-id, /var/lib/dbus/machine-id) to"
          + " compare the inventory's with";
    } else if (!localId.get().equals(o.machineId())) {
      why = "is another machine's: its machine id is not this host's /etc/machine-id (a clone"
          + " of the same image, or a default host name)";
    } else {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of("the inventory names this host (" + o.host() + ") but "
        + why + ", so this host's package database would judge the wrong machine: give"
        + " --dpkg-status FILE (that host's /var/lib/dpkg/status copied here, its info/"
        + " directory beside it) or --rpmdb DIR (its rpm database copied here), or take a fresh"
        + " inventory on that host with this version's 'neguard harden inventory'");
  }

  /** This host's dpkg database. */
  static final Path LOCAL_STATUS = Path.of("/var/lib/dpkg/status");

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
    VulnerabilityResult v = e.vulnerabilities();
    if (v.ran()) {
      sb.append("  vulnerabilities ").append(v.verdict()).append(": ").append(v.actual())
          .append('\n');
      v.input().get().stale().ifPresent(s -> sb.append("    database NOT CURRENT: ").append(s)
          .append('\n'));
      for (VulnerabilityResult.JudgedFinding j : v.findings()) {
        var f = j.finding();
        sb.append(String.format("    %-16s %-24s %-8s %s %s%s%s%n", j.status(), f.advisoryId(),
            f.severity(), f.component().name(), f.component().version(),
            f.fixedVersion().map(x -> " -> " + x).orElse(""),
            f.reachable() ? " via " + String.join(", ", f.reachableThrough().stream()
                .map(x -> x.label() + x.process().map(p -> " (" + p + ")").orElse(""))
                .toList()) : ""));
        j.waiver().ifPresent(w -> sb.append("      waived: ").append(w.reason()).append('\n'));
      }
      for (var w : v.unusedWaivers()) {
        sb.append("    waiver of ").append(w.scope()).append(" matches no finding\n");
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
