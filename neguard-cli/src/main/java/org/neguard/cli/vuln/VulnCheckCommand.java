package org.neguard.cli.vuln;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.cli.support.CommandBase;
import org.neguard.cli.support.DurationConverter;
import org.neguard.cli.support.Output;
import org.neguard.cli.support.RpmPackages;
import org.neguard.harden.HostRelease;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.neguard.vuln.AdvisoryIndex;
import org.neguard.vuln.DebianMatcher;
import org.neguard.vuln.DpkgPackage;
import org.neguard.vuln.DpkgStatus;
import org.neguard.vuln.Assessment;
import org.neguard.vuln.Component;
import org.neguard.vuln.Finding;
import org.neguard.vuln.Inventory;
import org.neguard.vuln.VulnDb;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code neguard vuln check}: this host's (or a copied) dpkg database, or an rpm database,
 * against an OSV feed or the vulnerability database.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
    description = {"Match the installed Debian packages against an OSV advisory feed imported"
        + " offline, by source package and Debian's version rules, so that a fix the"
        + " distribution backported into a revision is not reported; or, with --rpmdb, an rpm"
        + " database's packages by rpm's version rules (epoch, version, release).",
        "Exit 0 when no installed package is affected; 3 with each affected package, the"
            + " advisory and its CVE ids, the installed and the fixing version"
            + " (KNOWN_VULNERABILITY), when the feed or database is older than"
            + " --max-feed-age (SCAN_POLICY), or when a package could not be assessed or the"
            + " advisories hold none for the release (SCAN_INCOMPLETE); 1 when the feed or the"
            + " package list cannot be read."})
final class VulnCheckCommand extends CommandBase {
  /** Where the advisories come from: exactly one of them. */
  static final class Source {
    @Option(names = "--db", paramLabel = "DIR",
        description = "The vulnerability database ('neguard vulndb import'): its OSV"
            + " advisories, with NVD's CVSS where the advisory gives none.")
    Path db;

    @Option(names = "--feed", paramLabel = "PATH",
        description = "One OSV feed read directly, without a database: a directory of OSV JSON"
            + " records, or a zip of them (OSV's per-ecosystem all.zip).")
    Path feed;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  @Option(names = "--status", paramLabel = "FILE", defaultValue = "/var/lib/dpkg/status",
      description = "The dpkg status database to assess (default: this host's, ${DEFAULT-VALUE};"
          + " an NE's copied here works the same).")
  Path status;

  @Option(names = "--rpmdb", paramLabel = "DIR",
      description = "Assess the rpm database in DIR instead of a dpkg status (rpm --dbpath DIR"
          + " -qa; an NE's /var/lib/rpm copied here), by binary and source rpm name in rpm's"
          + " version order. Needs rpm on this host and --release, for example AlmaLinux:9,"
          + " Rocky Linux:9, or Red Hat:9.4 for a RHEL 9.4 host (every Red Hat stream of that"
          + " release).")
  Path rpmdb;

  @Option(names = "--release", paramLabel = "ECOSYSTEM",
      description = "The OSV ecosystem of the host's release, for example Debian:12 (default:"
          + " from --os-release, else from this host's /etc/os-release).")
  String release;

  @Option(names = "--os-release", paramLabel = "FILE",
      description = "The host's os-release file (an NE's etc/os-release copied here), its ID and"
          + " VERSION_ID named as the agent names its NE's release (ID=debian VERSION_ID=12:"
          + " Debian:12); instead of --release.")
  Path osRelease;

  @Option(names = "--max-feed-age", paramLabel = "DURATION", defaultValue = "7d",
      converter = DurationConverter.class,
      description = "Refuse a feed whose newest record is older than this (default"
          + " ${DEFAULT-VALUE}): an old feed misses every advisory published since.")
  Duration maxFeedAge;

  @Override
  public Integer call() throws Exception {
    Output out = output();
    if (release != null && osRelease != null) {
      throw usage("--release and --os-release exclude each other: give the release, or the"
          + " os-release file naming it");
    }
    // where the release comes from, so that a refusal names it
    String from = release != null ? "--release" : (osRelease != null ? osRelease
        : HostRelease.OS_RELEASE) + " names";
    if (release == null && (osRelease != null || rpmdb == null)) {
      release = releaseOf(osRelease != null ? osRelease : HostRelease.OS_RELEASE);
    }
    if (rpmdb != null) {
      return checkRpm(out);
    }
    String ecosystem = release;
    if (RpmPackages.isRpmRelease(ecosystem)) {
      throw new RefusalException(ReasonCode.BAD_INPUT, from + " " + ecosystem + ", an rpm"
          + " distribution's release, which a dpkg status is not of: give --rpmdb DIR with it,"
          + " or --release naming the dpkg status's release");
    }
    if (source.db != null) {
      List<Component> components = DpkgStatus.readInstalled(status).stream()
          .map(p -> Component.ofDpkg(p, ecosystem)).toList();
      return checkDb(out, ecosystem, components, VulnDb.open(source.db));
    }
    Path feed = source.feed;
    AdvisoryIndex index = AdvisoryIndex.importFeed(feed);
    Instant newest = fresh(index);
    if (!index.covers(ecosystem)) {
      throw notCovered(ecosystem);
    }
    List<DpkgPackage> installed = DpkgStatus.readInstalled(status);
    List<DebianMatcher.Finding> findings = DebianMatcher.match(installed, index, ecosystem);
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("release", ecosystem);
    d.put("feed", Map.of("path", feed.toString(), "advisories", index.size(), "newest",
        newest.toString()));
    d.put("packages", installed.size());
    List<Map<String, Object>> rows = new ArrayList<>();
    List<Reason> reasons = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    for (DebianMatcher.Finding f : findings) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("package", f.pkg().name());
      r.put("source", f.pkg().source());
      r.put("installed", f.pkg().version().toString());
      r.put("sourceVersion", f.pkg().sourceVersion().toString());
      r.put("advisory", f.advisory().id());
      r.put("cves", f.advisory().cves());
      r.put("fixedIn", f.fixedIn().map(Object::toString).orElse(null));
      r.put("cvss", f.advisory().cvss().orElse(null));
      r.put("summary", f.advisory().summary());
      rows.add(r);
      String line = f.pkg().name() + " " + f.pkg().version() + " (source " + f.pkg().source()
          + " " + f.pkg().sourceVersion() + "): " + f.advisory().id() + " "
          + f.advisory().cves() + ", " + f.fixedIn().map(v -> "fixed in " + v)
              .orElse("no fixed version yet");
      reasons.add(Reason.about(ReasonCode.KNOWN_VULNERABILITY, f.pkg().name(), line));
      text.append('\n').append(Output.printable(line));
    }
    d.put("findings", rows);
    String what = installed.size() + " installed packages of " + ecosystem + " against "
        + index.size() + " advisories (newest " + newest + ")";
    if (findings.isEmpty()) {
      return out.pass("PASS  " + what + ": no known vulnerability", d);
    }
    return out.failWithDetails(what + ": " + findings.size() + " finding(s)" + text, reasons,
        d);
  }

  /** The feed's newest record's time, refused SCAN_POLICY when older than --max-feed-age. */
  private Instant fresh(AdvisoryIndex index) throws RefusalException {
    Instant newest = index.newest().orElseThrow(() -> new RefusalException(
        ReasonCode.SCAN_POLICY, "the feed " + source.feed + " holds no advisory"));
    if (newest.isBefore(Instant.now().minus(maxFeedAge))) {
      throw new RefusalException(ReasonCode.SCAN_POLICY, "the feed's newest record is from "
          + newest + ", older than --max-feed-age " + maxFeedAge.toString().substring(2)
          .toLowerCase(java.util.Locale.ROOT) + ": import a current feed");
    }
    return newest;
  }

  /**
   * The check of an rpm database ({@code --rpmdb}): its packages as the agent reads them (rpm
   * -qa, bounded; a line that is no package refuses the list), each version checked by rpm's
   * rules, then matched against the database or the feed.
   */
  private int checkRpm(Output out) throws Exception {
    if (!RpmPackages.isRpmRelease(release)) {
      throw new RefusalException(ReasonCode.BAD_INPUT, "--rpmdb needs --release naming an rpm"
          + " distribution's OSV ecosystem (AlmaLinux:9, Rocky Linux:9, Red Hat:9.4, openSUSE,"
          + " SUSE or Mageia), not " + (release == null ? "none" : "'" + release + "'"));
    }
    List<Component> components = RpmPackages.read(rpmdb, release, "--rpmdb");
    if (source.db != null) {
      return checkDb(out, release, components, VulnDb.open(source.db));
    }
    AdvisoryIndex index = AdvisoryIndex.importFeed(source.feed);
    Instant newest = fresh(index);
    if (!index.covers(release)) {
      throw notCovered(release);
    }
    return report(out, release, components.size(), index.assess(new Inventory(components,
        List.of())), "feed", Map.of("path", source.feed.toString(), "advisories",
        index.size(), "newest", newest.toString()), "the feed " + source.feed + " ("
        + index.size() + " advisories, newest " + newest + ")");
  }

  /**
   * No advisory for the release (given, or read from os-release): nothing can be said, which is
   * not "no vulnerability" (an Ubuntu host against Debian's feed would otherwise pass).
   */
  private static RefusalException notCovered(String ecosystem) {
    return new RefusalException(ReasonCode.SCAN_INCOMPLETE, "the advisories hold none for "
        + ecosystem + ", the release of the packages to assess: nothing was assessed; import"
        + " that distribution's OSV feed (ecosystem " + ecosystem + "), or give --release"
        + " naming the release the package list is of");
  }

  /**
   * The check against a database: its freshness first, then that it covers the release, then
   * every installed package.
   */
  private int checkDb(Output out, String ecosystem, List<Component> components, VulnDb db)
      throws Exception {
    db.requireFresh(maxFeedAge, Instant.now());
    if (!db.covers(ecosystem)) {
      throw notCovered(ecosystem);
    }
    Assessment a = db.assess(new Inventory(components, List.of()));
    long advisories = db.feeds().stream().mapToLong(org.neguard.vuln.FeedInfo::records).sum();
    return report(out, ecosystem, components.size(), a, "db", Map.of("path",
        source.db.toString(), "feeds", VulnDbStatusCommand.json(db.feeds())), "the "
        + db.feeds().size() + " feed(s) of " + source.db + " (" + advisories + " records)");
  }

  /** The assessment's findings and what it could not judge, as reasons and JSON rows. */
  private int report(Output out, String ecosystem, int packages, Assessment a, String key,
      Map<String, Object> against, String againstText) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("release", ecosystem);
    d.put(key, against);
    d.put("packages", packages);
    d.put("method", a.method());
    List<Map<String, Object>> rows = new ArrayList<>();
    List<Reason> reasons = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    for (Finding f : a.findings()) {
      Component c = f.component();
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("package", c.name());
      r.put("source", c.matchName());
      r.put("installed", c.version());
      r.put("sourceVersion", c.matchVersion());
      r.put("advisory", f.advisoryId());
      r.put("cves", f.cves());
      r.put("affected", f.affected());
      r.put("fixedIn", f.fixedVersion().orElse(null));
      r.put("severity", f.severity());
      r.put("cvss", f.cvss().orElse(null));
      r.put("summary", f.summary());
      r.put("matchedBy", f.matchedBy());
      rows.add(r);
      String line = c.name() + " " + c.version() + " (source " + c.matchName() + " "
          + c.matchVersion() + "): " + f.advisoryId() + " " + f.cves() + " " + f.severity()
          + f.cvss().map(v -> " " + v.score()).orElse("") + ", " + f.fixedVersion()
              .map(v -> "fixed in " + v).orElse("no fixed version yet");
      reasons.add(Reason.about(ReasonCode.KNOWN_VULNERABILITY, c.name(), line));
      text.append('\n').append(Output.printable(line));
    }
    List<Map<String, Object>> unjudged = new ArrayList<>();
    for (Assessment.NotAssessed n : a.notAssessed()) {
      unjudged.add(Map.of("package", n.component().name(), "reason", n.reason()));
      String line = n.component().name() + " " + n.component().version() + " not assessed: "
          + n.reason();
      reasons.add(Reason.about(ReasonCode.SCAN_INCOMPLETE, n.component().name(), line));
      text.append('\n').append(Output.printable(line));
    }
    d.put("findings", rows);
    d.put("notAssessed", unjudged);
    String what = packages + " installed packages of " + ecosystem + " against "
        + againstText;
    if (reasons.isEmpty()) {
      return out.pass("PASS  " + what + ": no known vulnerability", d);
    }
    return out.failWithDetails(what + ": " + rows.size() + " finding(s), " + unjudged.size()
        + " not assessed" + text, reasons, d);
  }

  /**
   * The release the os-release file {@code file} names ({@code --os-release}, else this
   * host's), as the agent names an NE's ({@code HostRelease}).
   */
  static String releaseOf(Path file) throws RefusalException {
    try {
      return HostRelease.of(file);
    } catch (HostRelease.Unknown e) {
      throw new RefusalException(ReasonCode.BAD_INPUT, "cannot tell the release: "
          + e.getMessage() + "; give --release, for example Debian:12");
    }
  }
}
