package org.neguard.cli.harden;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.neguard.api.device.OsPackage;
import org.neguard.api.device.PackageReport;
import org.neguard.api.device.SocketOwner;
import org.neguard.api.vuln.DevicePackages;
import org.neguard.cli.support.RpmPackages;
import org.neguard.cli.support.ServerClient;
import org.neguard.harden.vuln.VulnerabilityAssessor;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.neguard.vuln.Component;
import org.neguard.vuln.DebianVersion;
import org.neguard.vuln.DpkgPackage;

/**
 * The package list an NE's agent last reported to the OAM server ({@code GET
 * /api/devices/{id}/packages}), fetched for {@code harden check --server URL --device ID} and
 * checked as strictly as a dpkg status file is read, since whatever it leaves out is a
 * vulnerability nobody sees (docs/VULNERABILITIES.md "An NE's reported packages in the
 * hardening check"). Every doubt is a refusal with its reason code, never a pass: a device that
 * never reported (SCAN_INCOMPLETE), a report older than {@code --max-report-age} (SCAN_POLICY),
 * a list that is neither dpkg's nor rpm's, is empty, names no release, or is rpm's of a
 * release no rpm advisories are matched for (SUSE Linux Enterprise, an unknown distribution:
 * SCAN_INCOMPLETE),
 * an answer larger than {@link #MAX_BYTES} (SIZE_LIMIT), not strict JSON, about another
 * device, with an impossible package (dpkg would refuse it, rpm would not build it), a package
 * twice, a count or socket owner that disagrees with the list (MALFORMED), a list that
 * does not hash to its digest (DIGEST_MISMATCH). Stateless.
 */
final class ReportedPackages {
  /**
   * The server stores at most 20,000 packages and 4,096 sockets (its ReportCheck); their JSON
   * stays well below this. Read no further than one byte past it, whatever the server sends.
   */
  static final int MAX_BYTES = 16 << 20;
  static final int MAX_PACKAGES = 20_000;
  /** A report time this far after the server's answer time means a broken answer. */
  private static final Duration SKEW = Duration.ofMinutes(5);
  /**
   * Strict: a duplicate key (two parsers could take either value), trailing data, a number
   * where a string belongs refused. Fields a newer server adds are ignored.
   */
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .disable(com.fasterxml.jackson.databind.MapperFeature.ALLOW_COERCION_OF_SCALARS)
      .build();

  private ReportedPackages() {}

  /** The list, checked, and the NE's release it is to be matched in. */
  record Fetched(VulnerabilityAssessor.PackageList list, String release) {}

  /**
   * Fetches and checks the packages {@code deviceId} last reported to {@code server}.
   *
   * @throws RefusalException as the class says; the server's own refusals (no such device,
   *     not authorized) as it gave them
   */
  static Fetched fetch(ServerClient server, String deviceId, Duration maxAge)
      throws IOException, RefusalException {
    byte[] body;
    try (InputStream in = server.stream("/api/devices/" + ServerClient.encode(deviceId)
        + "/packages")) {
      body = in.readNBytes(MAX_BYTES + 1);
    }
    return check(body, deviceId, server.server(), maxAge);
  }

  /** Checks the server's answer {@code body} about {@code deviceId}. */
  static Fetched check(byte[] body, String deviceId, String server, Duration maxAge)
      throws RefusalException {
    String subject = "device " + deviceId;
    if (body.length > MAX_BYTES) {
      throw RefusalException.about(ReasonCode.SIZE_LIMIT, subject, server + " answered more than "
          + (MAX_BYTES >> 20) + " MiB for the package list of " + deviceId + ": no NE's list is"
          + " that large; check that the URL is the OAM server's");
    }
    DevicePackages d;
    try {
      d = JSON.readValue(body, DevicePackages.class);
    } catch (IOException e) {
      throw malformed(subject, server, "not the JSON of a package list (" + firstLine(e) + ")");
    }
    if (d == null || !deviceId.equals(d.deviceId())) {
      throw malformed(subject, server, "the answer is about device '"
          + (d == null ? null : printable(d.deviceId())) + "', not " + deviceId);
    }
    if (DevicePackages.NO_REPORT.equals(d.state())) {
      throw RefusalException.about(ReasonCode.SCAN_INCOMPLETE, subject, deviceId + " has"
          + " never reported its packages to " + server + ", so nothing can be assessed: check"
          + " that its agent runs (it reports them with its socket inventory), or give"
          + " --dpkg-status FILE copied from the NE");
    }
    if (!DevicePackages.REPORTED.equals(d.state())) {
      throw malformed(subject, server, "state '" + printable(d.state()) + "' is neither "
          + DevicePackages.REPORTED + " nor " + DevicePackages.NO_REPORT);
    }
    Instant reported = instant(d.reportedAt(), "reportedAt", subject, server);
    Instant answered = instant(d.answeredAt(), "answeredAt", subject, server);
    if (reported.isAfter(answered.plus(SKEW))) {
      throw malformed(subject, server, "the report is dated " + reported + ", after the"
          + " server's answer (" + answered + ")");
    }
    // Both times are the server's: the age does not depend on this host's clock.
    Duration age = Duration.between(reported, answered);
    if (age.compareTo(maxAge) > 0) {
      throw RefusalException.about(ReasonCode.SCAN_POLICY, subject, deviceId + "'s last"
          + " package report is of " + reported + ", " + human(age) + " old, older than"
          + " --max-report-age " + human(maxAge) + ": what it runs now may differ. Check that"
          + " its agent runs and reports, or allow an older report with --max-report-age");
    }
    boolean rpm = PackageReport.RPM.equals(d.format());
    if (!rpm && !PackageReport.DPKG.equals(d.format())) {
      throw RefusalException.about(ReasonCode.SCAN_INCOMPLETE, subject, deviceId + " reported"
          + " its packages as '" + printable(d.format()) + "', neither dpkg nor rpm, so nothing"
          + " was assessed: check that its agent can read its package database, or give"
          + " --dpkg-status FILE or --rpmdb DIR copied from the NE");
    }
    if (d.release() == null) {
      throw RefusalException.about(ReasonCode.SCAN_INCOMPLETE, subject, deviceId + " reported"
          + " no release (its /etc/os-release), so its packages cannot be matched to a"
          + " distribution's advisories");
    }
    // As the server stores it: a family may start in lower case and a release have two words
    // (openSUSE:Leap 15.5).
    if (!d.release().matches(
        "[A-Za-z][A-Za-z ]{0,31}:[A-Za-z0-9._-]{1,16}(?: [A-Za-z0-9._-]{1,16})?")) {
      throw malformed(subject, server, "release '" + printable(d.release()) + "' is not an"
          + " OSV release name like Debian:12");
    }
    if (rpm && !RpmPackages.isRpmRelease(d.release())) {
      throw RefusalException.about(ReasonCode.SCAN_INCOMPLETE, subject, deviceId + " reported"
          + " rpm packages of " + printable(d.release()) + ", which is no rpm release matched"
          + " to OSV advisories (AlmaLinux:N, Rocky Linux:N, Red Hat:N.M, openSUSE:Leap N.M,"
          + " Mageia:N; SUSE Linux Enterprise not yet: its advisories are per product module,"
          + " which os-release does not name), so it was not assessed: assess it with the"
          + " distribution's own scanner and keep that evidence");
    }
    List<OsPackage> list = d.packages();
    if (list == null) {
      throw malformed(subject, server, "a reported list without its packages");
    }
    if (list.size() > MAX_PACKAGES) {
      throw RefusalException.about(ReasonCode.SIZE_LIMIT, subject, "the list has " + list.size()
          + " packages, more than " + MAX_PACKAGES);
    }
    if (d.count() == null || d.count() != list.size()) {
      throw malformed(subject, server, "the answer counts " + d.count() + " packages but lists "
          + list.size());
    }
    if (list.isEmpty()) {
      // dpkg and rpm are installed packages themselves: an empty list is a database the agent
      // could not read whole (an rpm run on an empty --dbpath creates one), never "nothing runs"
      throw RefusalException.about(ReasonCode.SCAN_INCOMPLETE, subject, deviceId + " reported"
          + " an empty " + d.format() + " package list, so nothing was assessed: check the NE's"
          + " package database and its agent's packages settings (packages.rpm.dbpath,"
          + " packages.dpkg.admindir), let it report again, or give --dpkg-status FILE or"
          + " --rpmdb DIR copied from the NE");
    }
    List<Component> installed = new ArrayList<>(list.size());
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      OsPackage p = list.get(i);
      if (p == null || p.name() == null || p.version() == null || p.arch() == null
          || p.source() == null || p.sourceVersion() == null) {
        throw malformed(subject, server, "package " + (i + 1) + " lacks a name, version, arch,"
            + " source or source version");
      }
      String at = "package " + (i + 1) + " (" + printable(p.name()) + ")";
      try {
        installed.add(rpm ? rpmPackage(p, d.release()) : Component.ofDpkg(new DpkgPackage(
            p.name(), p.arch(), DebianVersion.parse(p.version()), p.source(),
            DebianVersion.parse(p.sourceVersion())), d.release()));
      } catch (IllegalArgumentException e) {
        throw malformed(subject, server, at + ": " + printable(e.getMessage()) + "; "
            + (rpm ? "rpm builds" : "dpkg accepts") + " no such package, so the list is"
            + " refused whole. Check the NE's agent version and its package database, and let"
            + " it report again");
      }
      if (!seen.add(p.name() + ":" + p.arch())) {
        throw malformed(subject, server, at + " is listed twice");
      }
    }
    if (d.digest() == null || !PackageReport.digestOf(list).equals(d.digest())) {
      throw RefusalException.about(ReasonCode.DIGEST_MISMATCH, subject, "the package list "
          + server + " sent for " + deviceId + " does not hash to the report's digest "
          + printable(d.digest()) + ": it was altered or cut on its way; nothing was assessed");
    }
    Map<String, String> owners = owners(d.sockets(), installed, subject, server);
    String description = "the " + list.size() + " " + d.format() + " packages " + deviceId + " ("
        + printable(d.neType()) + ") reported to " + server + " at " + reported + " ("
        + human(age) + " before the check), digest " + d.digest();
    List<String> notes = d.notes() == null ? List.of() : d.notes().stream().limit(32)
        .map(n -> "the NE's agent: " + printable(n)).toList();
    return new Fetched(new VulnerabilityAssessor.PackageList(installed, description,
        Optional.of(exe -> Optional.ofNullable(owners.get(exe))), notes), d.release());
  }

  /**
   * The package owning each socket's executable, as the agent read it on the NE (dpkg's file
   * lists, {@code rpm -qf}). Each owner must be a package of the list, and one executable has
   * one owner.
   */
  private static Map<String, String> owners(List<SocketOwner> sockets,
      List<Component> installed, String subject, String server) throws RefusalException {
    Set<String> names = new HashSet<>();
    installed.forEach(p -> names.add(p.name()));
    Map<String, String> owners = new HashMap<>();
    for (SocketOwner s : sockets == null ? List.<SocketOwner>of() : sockets) {
      if (s == null || s.executable() == null || s.owner() == null) {
        continue;
      }
      if (!names.contains(s.owner())) {
        throw malformed(subject, server, "socket " + printable(s.protocol() + "/" + s.port())
            + " is owned by package '" + printable(s.owner()) + "', which the list does not"
            + " hold");
      }
      String before = owners.putIfAbsent(s.executable(), s.owner());
      if (before != null && !before.equals(s.owner())) {
        throw malformed(subject, server, printable(s.executable()) + " is owned by both "
            + printable(before) + " and " + printable(s.owner()));
      }
    }
    return owners;
  }

  /**
   * An installed rpm as {@code rpm -qa} lists it, checked as the server's ReportCheck does: an
   * epoch (rpm's EPOCHNUM always gives one) and a release, printable names without blanks.
   */
  private static Component rpmPackage(OsPackage p, String release) {
    for (String t : List.of(p.name(), p.version(), p.arch(), p.source(), p.sourceVersion())) {
      if (!RPM_TOKEN.matcher(t).matches()) {
        throw new IllegalArgumentException("'" + t + "' is not an rpm name or version");
      }
    }
    org.neguard.vuln.RpmVersion v = org.neguard.vuln.RpmVersion.parse(p.version());
    if (!v.hasEpoch() || v.release().isEmpty()
        || org.neguard.vuln.RpmVersion.parse(p.sourceVersion()).release().isEmpty()) {
      throw new IllegalArgumentException("an installed rpm's version is EPOCH:VERSION-RELEASE"
          + " and its source's VERSION-RELEASE, not '" + p.version() + "' and '"
          + p.sourceVersion() + "'");
    }
    return Component.ofRpm(p.name(), p.version(), p.arch(), p.source(), p.sourceVersion(),
        release);
  }

  /** rpm names and versions: no blanks or control characters, as rpm itself builds them. */
  private static final java.util.regex.Pattern RPM_TOKEN =
      java.util.regex.Pattern.compile("[A-Za-z0-9._+~^:-]{1,256}");

  private static Instant instant(String value, String field, String subject, String server)
      throws RefusalException {
    if (value == null) {
      throw malformed(subject, server, "no " + field);
    }
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw malformed(subject, server, field + " '" + printable(value) + "' is not an ISO-8601"
          + " time");
    }
  }

  private static RefusalException malformed(String subject, String server, String message) {
    return RefusalException.about(ReasonCode.MALFORMED, subject, "the package list from "
        + server + " is refused: " + message + "; nothing was assessed");
  }

  /** {@code 2d 3h}, {@code 5m 2s}: two units at most. */
  static String human(Duration d) {
    long s = Math.max(0, d.getSeconds());
    if (s >= 86_400) {
      return s / 86_400 + "d" + (s % 86_400 >= 3600 ? " " + s % 86_400 / 3600 + "h" : "");
    }
    if (s >= 3600) {
      return s / 3600 + "h" + (s % 3600 >= 60 ? " " + s % 3600 / 60 + "m" : "");
    }
    return s >= 60 ? s / 60 + "m" + (s % 60 > 0 ? " " + s % 60 + "s" : "") : s + "s";
  }

  private static String firstLine(IOException e) {
    String m = e instanceof com.fasterxml.jackson.core.JsonProcessingException j
        ? j.getOriginalMessage() : String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return printable(nl < 0 ? m : m.substring(0, nl));
  }

  /** At most 80 characters, control characters replaced: a message quotes the server's text. */
  private static String printable(String s) {
    if (s == null) {
      return "null";
    }
    String t = s.length() > 80 ? s.substring(0, 80) + "..." : s;
    return t.replaceAll("\\p{Cntrl}", "?");
  }
}
