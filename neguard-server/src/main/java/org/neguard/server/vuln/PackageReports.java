package org.neguard.server.vuln;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.neguard.api.device.OsPackage;
import org.neguard.api.device.PackageReport;
import org.neguard.api.device.PackageVerdict;
import org.neguard.api.device.SocketOwner;
import org.neguard.api.vuln.DeviceVulnSummary;
import org.neguard.api.vuln.DevicePackages;
import org.neguard.api.vuln.DeviceVulnerabilities;
import org.neguard.api.vuln.ExposedPort;
import org.neguard.api.vuln.FleetVulnerabilities;
import org.neguard.api.vuln.Reach;
import org.neguard.api.vuln.VulnFinding;
import org.neguard.server.ServerConfig;
import org.neguard.server.alert.AlertWebhook;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.web.ApiException;
import org.neguard.vuln.Assessment;
import org.neguard.vuln.Component;
import org.neguard.vuln.DpkgPackage;
import org.neguard.vuln.Exposure;
import org.neguard.vuln.Finding;
import org.neguard.vuln.Inventory;
import org.neguard.vuln.Severity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The NEs' package reports and their assessments: a report is checked ({@link ReportCheck}),
 * stored for the device of the client certificate (a report names no device: it cannot speak for
 * another), assessed against the current database, and the findings stored; a device whose
 * findings were assessed against another database than the one open now is assessed again
 * before it is shown. Thread-safe: each device's row is locked while its report is stored.
 */
@org.springframework.stereotype.Component
public final class PackageReports {
  private static final TypeReference<List<OsPackage>> PACKAGES = new TypeReference<>() {};
  private static final TypeReference<List<SocketOwner>> SOCKETS = new TypeReference<>() {};
  private static final TypeReference<List<VulnFinding>> FINDINGS = new TypeReference<>() {};

  private final JdbcClient jdbc;
  private final ObjectMapper json;
  private final VulnDatabase database;
  private final AuditLog audit;
  private final TransactionTemplate tx;
  private final AlertWebhook webhook;
  private final Severity alertOn;

  PackageReports(JdbcClient jdbc, ObjectMapper json, VulnDatabase database, AuditLog audit,
      PlatformTransactionManager transactions, AlertWebhook webhook, ServerConfig config) {
    this.jdbc = jdbc;
    this.json = json;
    this.database = database;
    this.audit = audit;
    this.tx = new TransactionTemplate(transactions);
    this.webhook = webhook;
    this.alertOn = config.vuln().alertOn();
  }

  /** A device's stored report. */
  private record Stored(String format, String release, String digest, int count,
      List<OsPackage> packages, List<SocketOwner> sockets, List<String> notes,
      Instant reportedAt) {}

  /** A device's stored assessment. */
  private record Assessed(String fingerprint, String digest, String state,
      List<VulnFinding> findings, Instant at, int notAssessed, String notAssessedReason) {

    /** What the database could not judge, as a message, if anything. */
    List<String> messages() {
      return notAssessed == 0 ? List.of() : List.of(notAssessed + " package(s) could not be"
          + " assessed, so the findings may be incomplete; e.g. " + notAssessedReason);
    }
  }

  /**
   * Checks, stores and assesses the report {@code body} (already bounded) of {@code deviceId}.
   *
   * @throws ApiException 400 not a report, 422 MALFORMED an impossible one, 413 SIZE_LIMIT too
   *     many packages or sockets; nothing is stored then, and a failure row is audited
   */
  PackageVerdict report(String deviceId, byte[] body) {
    String actor = "device " + deviceId;
    PackageReport r;
    ReportCheck.Checked checked = null;
    try {
      try {
        r = json.readValue(body, PackageReport.class);
      } catch (IOException e) {
        throw ApiException.badInput("not a package report (JSON of PackageReport, docs/SERVER.md"
            + " \"Vulnerabilities\"): " + firstLine(e));
      }
      if (r == null) {
        throw ApiException.badInput("give a package report as the request body");
      }
      ReportCheck.envelope(r);
      if (r.packages() != null) {
        checked = ReportCheck.packages(r);
      }
    } catch (ApiException e) {
      audit.append(AuditEvent.failure(actor, "VULN_PACKAGES", actor, e.getMessage()));
      throw e;
    }
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    ReportCheck.Checked c = checked;
    try {
      return tx.execute(s -> store(deviceId, r, c, now));
    } catch (ApiException e) {
      audit.append(AuditEvent.failure(actor, "VULN_PACKAGES", actor, e.getMessage()));
      throw e;
    }
  }

  private PackageVerdict store(String deviceId, PackageReport r, ReportCheck.Checked checked,
      Instant now) {
    jdbc.sql("SELECT id FROM devices WHERE id = ? FOR UPDATE").param(deviceId)
        .query(String.class).single();
    Optional<Stored> before = stored(deviceId);
    List<OsPackage> packages;
    if (checked == null) {
      // "Unchanged": only if this server holds the list of that digest, else ask for it.
      if (before.isEmpty() || !before.get().digest().equals(r.digest())
          || !before.get().format().equals(r.format())) {
        return new PackageVerdict(PackageVerdict.PACKAGES_NEEDED, before.map(Stored::digest)
            .orElse(null), 0, 0, List.of("the server holds no package list of digest "
            + r.digest() + ": send the list"));
      }
      // The digest covers the list only: the held list under another release would be assessed
      // against that release's advisories, so a changed release brings its list again.
      if (!Objects.equals(before.get().release(), r.release())) {
        return new PackageVerdict(PackageVerdict.PACKAGES_NEEDED, before.get().digest(), 0, 0,
            List.of("the server holds the package list of digest " + r.digest() + " for release "
                + before.get().release() + ", not for release " + r.release()
                + ": send the list"));
      }
      packages = before.get().packages();
      ReportCheck.owners(r.sockets(), packages.stream().map(OsPackage::name)
          .collect(Collectors.toSet()));
    } else {
      packages = r.packages();
    }
    jdbc.sql("DELETE FROM device_os_packages WHERE device_id = ?").param(deviceId).update();
    jdbc.sql("INSERT INTO device_os_packages (device_id, format, release, digest, package_count,"
        + " packages, sockets, notes, reported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .params(deviceId, r.format(), r.release(), r.digest(), packages.size(),
            bytes(packages), bytes(r.sockets()), r.notes().stream().map(n -> n.replaceAll("\\p{Cntrl}", " "))
                .collect(Collectors.joining("\n")), utc(now))
        .update();
    Stored now0 = new Stored(r.format(), r.release(), r.digest(), packages.size(), packages,
        r.sockets(), r.notes(), now);
    VulnDatabase.Current db = database.current(now);
    Assessed a = assess(deviceId, now0, db, now);
    List<String> messages = new ArrayList<>(db.messages());
    messages.addAll(notAssessed(now0, db));
    messages.addAll(a.messages());
    return new PackageVerdict(a.state(), r.digest(), a.findings().size(),
        (int) a.findings().stream().filter(VulnFinding::reachable).count(), messages);
  }

  /** One device's findings, assessed again first if the database changed since. */
  public DeviceVulnerabilities device(String deviceId) {
    String neType = jdbc.sql("SELECT ne_type FROM devices WHERE id = ?").param(deviceId)
        .query(String.class).optional()
        .orElseThrow(() -> ApiException.notFound("no device " + deviceId));
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    VulnDatabase.Current db = database.current(now);
    Optional<Stored> s = stored(deviceId);
    if (s.isEmpty()) {
      return new DeviceVulnerabilities(deviceId, neType, DeviceVulnerabilities.NO_REPORT, null,
          null, 0, null, null, db.feeds(), List.of("the NE has not reported its packages: its"
              + " agent reports them with its socket inventory (inventory.interval in its"
              + " configuration); check that the agent runs and its log's packages_error lines"),
          List.of(), List.of());
    }
    Stored st = s.get();
    Assessed a = current(deviceId, st, db, now);
    List<String> messages = new ArrayList<>(db.messages());
    messages.addAll(notAssessed(st, db));
    messages.addAll(a.messages());
    st.notes().forEach(n -> messages.add("the NE's agent: " + n));
    return new DeviceVulnerabilities(deviceId, neType, a.state(), st.format(), st.release(),
        st.count(), st.reportedAt().toString(), a.at().toString(), db.feeds(), messages,
        ports(st, a.findings()), a.findings());
  }

  /**
   * The package list {@code deviceId} last reported, with its digest and report time (for
   * {@code harden check --server --device}); state NO_REPORT with no list when it never did.
   */
  public DevicePackages packages(String deviceId) {
    String neType = jdbc.sql("SELECT ne_type FROM devices WHERE id = ?").param(deviceId)
        .query(String.class).optional()
        .orElseThrow(() -> ApiException.notFound("no device " + deviceId));
    String answeredAt = Instant.now().truncatedTo(ChronoUnit.MICROS).toString();
    Optional<Stored> s = stored(deviceId);
    if (s.isEmpty()) {
      return new DevicePackages(deviceId, neType, DevicePackages.NO_REPORT, null, null, null,
          null, null, answeredAt, null, null, null);
    }
    Stored st = s.get();
    return new DevicePackages(deviceId, neType, DevicePackages.REPORTED, st.format(),
        st.release(), st.digest(), st.count(), st.reportedAt().toString(), answeredAt,
        st.packages(), st.sockets(), st.notes());
  }

  /** The reported sockets, each with the number of findings reachable through it. */
  private static List<ExposedPort> ports(Stored s, List<VulnFinding> findings) {
    List<ExposedPort> out = new ArrayList<>();
    for (SocketOwner o : s.sockets()) {
      int n = (int) findings.stream().filter(f -> f.reachableThrough().stream().anyMatch(r ->
          r.protocol().equals(o.protocol()) && r.port() == o.port()
              && r.address().equals(o.address()))).count();
      out.add(new ExposedPort(o.protocol(), o.port(), o.address(), o.process(), o.executable(),
          o.owner(), n));
    }
    return out;
  }

  /** Every device, those with reachable findings first, then by their most severe ones. */
  FleetVulnerabilities fleet() {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    VulnDatabase.Current db = database.current(now);
    List<DeviceVulnSummary> out = new ArrayList<>();
    FleetAdvisories advisories = new FleetAdvisories();
    List<String[]> devices = jdbc.sql("SELECT id, ne_type FROM devices ORDER BY id")
        .query((rs, i) -> new String[] {rs.getString(1), rs.getString(2)}).list();
    for (String[] d : devices) {
      Optional<Stored> s = stored(d[0]);
      if (s.isEmpty()) {
        out.add(new DeviceVulnSummary(d[0], d[1], DeviceVulnerabilities.NO_REPORT, 0, 0, 0, 0,
            0, 0, 0, null));
        continue;
      }
      Assessed a = current(d[0], s.get(), db, now);
      advisories.add(d[0], a.findings());
      int[] n = new int[6];
      for (VulnFinding f : a.findings()) {
        n[bucket(f.severity())]++;
      }
      out.add(new DeviceVulnSummary(d[0], d[1], a.state(),
          (int) a.findings().stream().filter(VulnFinding::reachable).count(), n[0], n[1], n[2],
          n[3], n[4], a.findings().size(), a.at().toString()));
    }
    out.sort(Comparator.comparingInt(DeviceVulnSummary::reachable).reversed()
        .thenComparing(Comparator.comparingInt(DeviceVulnSummary::critical).reversed())
        .thenComparing(Comparator.comparingInt(DeviceVulnSummary::high).reversed())
        .thenComparing(Comparator.comparingInt(DeviceVulnSummary::unknown).reversed())
        .thenComparing(Comparator.comparingInt(DeviceVulnSummary::medium).reversed())
        .thenComparing(Comparator.comparingInt(DeviceVulnSummary::low).reversed())
        .thenComparing(DeviceVulnSummary::deviceId));
    return new FleetVulnerabilities(db.state(), db.feeds(), db.messages(), out,
        advisories.list());
  }

  /** 0 critical, 1 high, 2 medium, 3 low or none, 4 unknown. */
  private static int bucket(String severity) {
    return switch (severity) {
      case "CRITICAL" -> 0;
      case "HIGH" -> 1;
      case "MEDIUM" -> 2;
      case "LOW", "NONE" -> 3;
      default -> 4;
    };
  }

  /** The stored assessment if made against the open database and the stored list, else anew. */
  private Assessed current(String deviceId, Stored s, VulnDatabase.Current db, Instant now) {
    Optional<Assessed> a = jdbc.sql("SELECT db_fingerprint, packages_digest, state, findings,"
        + " assessed_at, not_assessed, not_assessed_reason FROM device_vulnerabilities"
        + " WHERE device_id = ?").param(deviceId)
        .query((rs, i) -> new Assessed(rs.getString(1), rs.getString(2), rs.getString(3),
            read(rs.getBytes(4), FINDINGS), rs.getObject(5, OffsetDateTime.class).toInstant(),
            rs.getInt(6), rs.getString(7)))
        .optional();
    // Reused only when the rules of now would store the same kind of answer: a row an older
    // server wrote for a list it assessed then and would not now (an empty one) is made anew.
    if (a.isPresent() && a.get().fingerprint().equals(db.fingerprint())
        && a.get().digest().equals(s.digest())
        && (db.db().isEmpty() || assessable(s, db)
            != a.get().state().equals(DeviceVulnerabilities.NOT_ASSESSED))) {
      // The database's freshness is judged now, not when the findings were made.
      String state = a.get().state().equals(DeviceVulnerabilities.NOT_ASSESSED)
          ? a.get().state() : db.state();
      return new Assessed(a.get().fingerprint(), a.get().digest(), state, a.get().findings(),
          a.get().at(), a.get().notAssessed(), a.get().notAssessedReason());
    }
    // The device's row locked first, as a report does: two readers assessing one device at once
    // replace its assessment one after the other, never both inserting it.
    return tx.execute(x -> {
      jdbc.sql("SELECT id FROM devices WHERE id = ? FOR UPDATE").param(deviceId)
          .query(String.class).single();
      return assess(deviceId, s, db, now);
    });
  }

  /** Assesses {@code s} against {@code db} and stores the result in place of the last one. */
  private Assessed assess(String deviceId, Stored s, VulnDatabase.Current db, Instant now) {
    List<VulnFinding> findings = List.of();
    String state = db.state();
    int notAssessed = 0;
    String reason = null;
    if (db.db().isPresent()) {
      if (assessable(s, db)) {
        Assessment a = db.db().get().assess(inventory(s));
        findings = a.findings().stream().map(PackageReports::finding).toList();
        notAssessed = a.notAssessed().size();
        reason = a.notAssessed().stream().findFirst().map(x -> x.component().name() + " "
            + x.component().version() + ": " + x.reason()).map(r -> r.length() > 1000
            ? r.substring(0, 1000) : r).orElse(null);
      } else {
        state = DeviceVulnerabilities.NOT_ASSESSED;
      }
    }
    int[] n = new int[6];
    findings.forEach(f -> n[bucket(f.severity())]++);
    alertNew(deviceId, findings, db);
    jdbc.sql("DELETE FROM device_vulnerabilities WHERE device_id = ?").param(deviceId).update();
    jdbc.sql("INSERT INTO device_vulnerabilities (device_id, db_fingerprint, packages_digest,"
        + " state, findings, count_total, count_reachable, count_critical, count_high,"
        + " count_medium, count_low, count_unknown, not_assessed, not_assessed_reason,"
        + " assessed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .params(deviceId, db.fingerprint(), s.digest(), state, bytes(findings), findings.size(),
            (int) findings.stream().filter(VulnFinding::reachable).count(), n[0], n[1], n[2],
            n[3], n[4], notAssessed, reason, utc(now))
        .update();
    return new Assessed(db.fingerprint(), s.digest(), state, findings, now, notAssessed,
        reason);
  }

  /**
   * Audits and alerts the findings of {@code findings} at or above {@code --vuln-alert-on} that
   * the device's last stored assessment did not have (by advisory and package: a new installed
   * version with the same advisory is not new). Called under the device's row lock, before the
   * assessment is replaced, so each new finding is alerted once however often the NE reports or
   * its findings are read; the webhook is posted after the commit, the audit row is in it.
   */
  private void alertNew(String deviceId, List<VulnFinding> findings, VulnDatabase.Current db) {
    Set<String> before = jdbc.sql("SELECT findings FROM device_vulnerabilities"
            + " WHERE device_id = ?").param(deviceId)
        .query((rs, i) -> read(rs.getBytes(1), FINDINGS)).optional().orElse(List.of())
        .stream().map(PackageReports::identity).collect(Collectors.toSet());
    List<VulnFinding> fresh = findings.stream()
        .filter(f -> !before.contains(identity(f)) && Severity.ofName(f.severity()).reaches(alertOn)).toList();
    if (fresh.isEmpty()) {
      return;
    }
    String neType = jdbc.sql("SELECT ne_type FROM devices WHERE id = ?").param(deviceId)
        .query(String.class).single();
    for (VulnFinding f : fresh) {
      audit.append(AuditEvent.success("system", "VULN_FINDING", "device " + deviceId,
          "new finding " + f.advisoryId() + (f.cves().isEmpty() ? "" : " ("
              + String.join(", ", f.cves()) + ")") + ", severity " + f.severity()
              + (f.score() == null ? "" : " " + f.score()) + ", in " + f.packageName() + " "
              + f.version() + (f.fixedVersion() == null ? ", no fixed version known"
                  : ", fixed in " + f.fixedVersion()) + (f.reachable() ? ", reachable through "
                  + f.reachableThrough().stream().map(Reach::label)
                      .collect(Collectors.joining(", ")) : ", dormant")
              + "; at or above " + alertOn + "; database " + db.fingerprint()));
    }
    // The webhook itself sends after the commit (AlertWebhook.post).
    fresh.forEach(f -> webhook.post("vulnerability.found", deviceId, neType, "finding", f));
  }

  private static String identity(VulnFinding f) {
    return f.advisoryId() + " " + f.packageName();
  }

  /**
   * Whether the database can say anything about {@code s}: a list (not empty) of dpkg
   * packages, or of rpm packages of an rpm distribution, of a release one of its feeds covers
   * (for a RHEL host, {@code Red Hat:9.4}, a feed of a Red Hat stream of that release).
   * Anything else is NOT_ASSESSED, never "no vulnerabilities".
   */
  private static boolean assessable(Stored s, VulnDatabase.Current db) {
    // An empty list is a database the agent could not read whole (dpkg and rpm are packages
    // themselves), not an NE that runs nothing: assessed, it would be "no vulnerabilities".
    return !s.packages().isEmpty() && (PackageReport.DPKG.equals(s.format())
        || PackageReport.RPM.equals(s.format())
        && org.neguard.vuln.VersionScheme.forEcosystem(String.valueOf(s.release()))
            .filter(v -> v == org.neguard.vuln.VersionScheme.RPM).isPresent())
        && s.release() != null
        && db.db().get().covers(s.release());
  }

  private static List<String> notAssessed(Stored s, VulnDatabase.Current db) {
    if (db.db().isEmpty() || assessable(s, db)) {
      return List.of();
    }
    if (PackageReport.NONE.equals(s.format())) {
      return List.of("the NE reported no package database: nothing was assessed");
    }
    if (s.packages().isEmpty()) {
      return List.of("the NE reported an empty " + s.format() + " package list, which no"
          + " dpkg or rpm system has (the package manager is a package): nothing was assessed;"
          + " check the NE's package database and its agent's packages settings");
    }
    if (PackageReport.RPM.equals(s.format()) && s.release() != null
        && !org.neguard.vuln.VersionScheme.forEcosystem(s.release())
            .filter(v -> v == org.neguard.vuln.VersionScheme.RPM).isPresent()) {
      return List.of("the NE reported rpm packages of " + s.release() + ", which is no rpm"
          + " release this server matches to OSV advisories (AlmaLinux:N, Rocky Linux:N,"
          + " Red Hat:N.M, openSUSE:Leap N.M, Mageia:N; SUSE Linux Enterprise not yet: its"
          + " advisories are per product module, which os-release does not name): nothing was"
          + " assessed");
    }
    return List.of(s.release() == null ? "the NE reported no release (/etc/os-release): its"
        + " packages cannot be matched to a distribution's advisories"
        : "the vulnerability database holds no advisories for " + s.release() + ": import that"
            + " release's OSV feed with 'neguard vulndb import'");
  }

  /** The components and exposures of a stored dpkg or rpm report (checked when stored). */
  private static Inventory inventory(Stored s) {
    List<Component> components = new ArrayList<>();
    for (OsPackage p : s.packages()) {
      components.add(PackageReport.RPM.equals(s.format())
          ? Component.ofRpm(p.name(), p.version(), p.arch(), p.source(), p.sourceVersion(),
              s.release())
          : Component.ofDpkg(new DpkgPackage(p.name(), p.arch(),
              org.neguard.vuln.DebianVersion.parse(p.version()), p.source(),
              org.neguard.vuln.DebianVersion.parse(p.sourceVersion())), s.release()));
    }
    List<Exposure> exposures = new ArrayList<>();
    for (SocketOwner o : s.sockets()) {
      exposures.add(new Exposure(o.protocol(), o.address(), o.port(),
          Optional.ofNullable(o.process()), Optional.ofNullable(o.executable()),
          Optional.ofNullable(o.owner()), Optional.empty()));
    }
    return new Inventory(components, exposures);
  }

  private static VulnFinding finding(Finding f) {
    return new VulnFinding(f.advisoryId(), f.cves(), f.summary(), f.severity().name(),
        f.cvss().map(c -> c.score()).orElse(null), f.cvss().map(c -> c.vector()).orElse(null),
        f.component().name(), f.component().version(), f.component().matchName(), f.affected(),
        f.fixedVersion().orElse(null), f.reachableThrough().stream().map(e -> new Reach(
            e.transport(), e.port(), e.address(), e.process().orElse(null),
            e.executable().orElse(null))).toList(), f.matchedBy());
  }

  private Optional<Stored> stored(String deviceId) {
    return jdbc.sql("SELECT format, release, digest, package_count, packages, sockets, notes,"
        + " reported_at FROM device_os_packages WHERE device_id = ?").param(deviceId)
        .query((rs, i) -> new Stored(rs.getString(1), rs.getString(2), rs.getString(3),
            rs.getInt(4), read(rs.getBytes(5), PACKAGES), read(rs.getBytes(6), SOCKETS),
            rs.getString(7).isEmpty() ? List.of() : List.of(rs.getString(7).split("\n")),
            rs.getObject(8, OffsetDateTime.class).toInstant()))
        .optional();
  }

  private byte[] bytes(Object value) {
    try {
      return json.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private <T> T read(byte[] bytes, TypeReference<T> type) {
    try {
      return json.readValue(bytes, type);
    } catch (IOException e) {
      throw new IllegalStateException("a stored package report or assessment is not readable",
          e);
    }
  }

  private static OffsetDateTime utc(Instant t) {
    return OffsetDateTime.ofInstant(t, ZoneOffset.UTC);
  }

  private static String firstLine(IOException e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
