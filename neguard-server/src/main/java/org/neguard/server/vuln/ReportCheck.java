package org.neguard.server.vuln;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.neguard.api.device.OsPackage;
import org.neguard.api.device.PackageReport;
import org.neguard.api.device.SocketOwner;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.ReasonCode;
import org.neguard.vuln.DebianVersion;
import org.neguard.vuln.DpkgPackage;
import org.neguard.vuln.RpmVersion;

/**
 * Checks an agent's package report before anything of it is stored: a list that claims
 * impossible versions or names, lists a package twice, does not hash to its digest, or names a
 * socket owner it does not hold is refused whole (422 MALFORMED, naming the entry), since a
 * partial list would hide exactly what was tampered with; more than {@link #MAX_PACKAGES}
 * packages or {@link #MAX_SOCKETS} sockets is 413 SIZE_LIMIT. Stateless.
 */
final class ReportCheck {
  /** A Debian system has a few thousand packages; refuse an order of magnitude more. */
  static final int MAX_PACKAGES = 20_000;
  static final int MAX_SOCKETS = 4096;
  static final int MAX_NOTES = 32;
  private static final Pattern DIGEST = Pattern.compile("[0-9a-f]{64}");
  /**
   * OSV ecosystem and release: {@code Debian:12}, {@code Ubuntu:22.04}, {@code Rocky Linux:9},
   * {@code openSUSE:Leap 15.5} (a family in lower case, a release of two words), {@code Red
   * Hat:9.4} (a RHEL host, whose streams the server picks).
   */
  private static final Pattern RELEASE = Pattern.compile(
      "[A-Za-z][A-Za-z ]{0,31}:[A-Za-z0-9._-]{1,16}(?: [A-Za-z0-9._-]{1,16})?");
  private static final Pattern PROTOCOL = Pattern.compile("tcp|udp|sctp");
  /** rpm names and versions: no blanks or control characters, as rpm itself builds them. */
  private static final Pattern RPM_TOKEN = Pattern.compile("[A-Za-z0-9._+~^:-]{1,256}");

  private ReportCheck() {}

  /** A report as checked: for dpkg, its packages as dpkg would read them. */
  record Checked(PackageReport report, List<DpkgPackage> dpkg) {}

  /**
   * Checks the envelope of {@code r}: format, release, digest, sockets, notes; the list, when
   * sent, with {@link #packages}.
   */
  static void envelope(PackageReport r) {
    if (r.format() == null || !List.of(PackageReport.DPKG, PackageReport.RPM, PackageReport.NONE)
        .contains(r.format())) {
      throw malformed("format is '" + r.format() + "', not dpkg, rpm or none");
    }
    if (r.release() != null && !RELEASE.matcher(r.release()).matches()) {
      throw malformed("release '" + printable(r.release()) + "' is not an OSV release name like"
          + " Debian:12");
    }
    if (r.digest() == null || !DIGEST.matcher(r.digest()).matches()) {
      throw malformed("digest is not a lower-case hex SHA-256");
    }
    if (r.sockets().size() > MAX_SOCKETS) {
      throw ApiException.of(ReasonCode.SIZE_LIMIT, "the report lists " + r.sockets().size()
          + " sockets, more than " + MAX_SOCKETS);
    }
    if (r.notes().size() > MAX_NOTES || r.notes().stream().anyMatch(n -> n == null
        || n.length() > 1000)) {
      throw malformed("more than " + MAX_NOTES + " notes, or a note of more than 1000"
          + " characters");
    }
    for (SocketOwner s : r.sockets()) {
      if (s == null || s.protocol() == null || !PROTOCOL.matcher(s.protocol()).matches()
          || s.port() < 1 || s.port() > 65535 || s.address() == null
          || s.address().length() > 512 || s.process() != null && s.process().length() > 256
          || s.executable() != null && s.executable().length() > 4096) {
        throw malformed("socket " + (s == null ? "null" : printable(s.protocol() + "/"
            + s.port())) + " is not a listening socket (tcp, udp or sctp; port 1..65535)");
      }
    }
  }

  /**
   * Checks {@code r}'s package list (present) against its format and digest, and its sockets'
   * owners against the list.
   */
  static Checked packages(PackageReport r) {
    List<OsPackage> list = r.packages();
    if (list.size() > MAX_PACKAGES) {
      throw ApiException.of(ReasonCode.SIZE_LIMIT, "the report lists " + list.size()
          + " packages, more than " + MAX_PACKAGES);
    }
    if (PackageReport.NONE.equals(r.format()) && !list.isEmpty()) {
      throw malformed("format none lists " + list.size() + " packages");
    }
    List<DpkgPackage> dpkg = new ArrayList<>();
    Set<String> names = new HashSet<>();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      OsPackage p = list.get(i);
      if (p == null || p.name() == null || p.version() == null || p.arch() == null
          || p.source() == null || p.sourceVersion() == null) {
        throw malformed("package " + (i + 1) + " lacks a name, version, arch, source or"
            + " source version");
      }
      String at = "package " + (i + 1) + " (" + printable(p.name()) + ")";
      if (PackageReport.DPKG.equals(r.format())) {
        try {
          dpkg.add(new DpkgPackage(p.name(), p.arch(), DebianVersion.parse(p.version()),
              p.source(), DebianVersion.parse(p.sourceVersion())));
        } catch (IllegalArgumentException e) {
          throw malformed(at + ": " + printable(e.getMessage()) + "; dpkg accepts no such"
              + " package: the NE's list is refused whole");
        }
      } else {
        for (String t : List.of(p.name(), p.version(), p.arch(), p.source(),
            p.sourceVersion())) {
          if (!RPM_TOKEN.matcher(t).matches()) {
            throw malformed(at + ": '" + printable(t) + "' is not an rpm name or version");
          }
        }
        try {
          // what rpm -qa gives for an installed package: EPOCH:VERSION-RELEASE, and the source
          // rpm's VERSION-RELEASE; a version rpmbuild would not build is no package
          if (!RpmVersion.parse(p.version()).hasEpoch()
              || RpmVersion.parse(p.version()).release().isEmpty()
              || RpmVersion.parse(p.sourceVersion()).release().isEmpty()) {
            throw new IllegalArgumentException("an installed rpm's version is"
                + " EPOCH:VERSION-RELEASE and its source's VERSION-RELEASE, not "
                + p.version() + " and " + p.sourceVersion());
          }
        } catch (IllegalArgumentException e) {
          throw malformed(at + ": " + printable(e.getMessage()) + "; rpm builds no such"
              + " package: the NE's list is refused whole");
        }
      }
      if (!seen.add(p.name() + ":" + p.arch())) {
        throw malformed(at + ": " + printable(p.name() + ":" + p.arch()) + " is listed twice");
      }
      names.add(p.name());
    }
    if (!PackageReport.digestOf(list).equals(r.digest())) {
      throw malformed("the digest is not the SHA-256 of the package list sent");
    }
    owners(r.sockets(), names);
    return new Checked(r, dpkg);
  }

  /** Each socket's owner is a package of the list. */
  static void owners(List<SocketOwner> sockets, Set<String> names) {
    for (SocketOwner s : sockets) {
      if (s.owner() != null && !names.contains(s.owner())) {
        throw malformed("socket " + s.protocol() + "/" + s.port() + " is owned by package '"
            + printable(s.owner()) + "', which the package list does not hold");
      }
    }
  }

  static ApiException malformed(String message) {
    return ApiException.of(ReasonCode.MALFORMED, "package report: " + message);
  }

  /** At most 80 characters, control characters replaced: a message quotes the NE's input. */
  private static String printable(String s) {
    if (s == null) {
      return "null";
    }
    String t = s.length() > 80 ? s.substring(0, 80) + "..." : s;
    return t.replaceAll("\\p{Cntrl}", "?");
  }
}
