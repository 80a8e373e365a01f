package org.neguard.harden;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A host's distribution release as OSV advisories name it ({@code Debian:12}, {@code
 * AlmaLinux:9}, {@code Red Hat:9.4}), from its os-release file's {@code ID} and {@code
 * VERSION_ID}: the one mapping the agent reports its NE's release with and {@code harden check}
 * and {@code vuln check} take this host's release from, so that the server and the CLI judge
 * one NE under one name. In this jar because the agent carries it. Stateless.
 */
public final class HostRelease {
  /** This host's. */
  public static final Path OS_RELEASE = Path.of("/etc/os-release");
  /** Real os-release files are a few hundred bytes. */
  static final int MAX_BYTES = 64 << 10;
  /**
   * What the server takes as a release (its ReportCheck): a family may start in lower case and
   * a release have two words, as openSUSE's {@code openSUSE:Leap 15.5}.
   */
  public static final Pattern NAME = Pattern.compile(
      "[A-Za-z][A-Za-z ]{0,31}:[A-Za-z0-9._-]{1,16}(?: [A-Za-z0-9._-]{1,16})?");

  private HostRelease() {}

  /** The release cannot be told from the file; the message names the file and why. */
  public static final class Unknown extends Exception {
    Unknown(String message) {
      super(message);
    }
  }

  /**
   * The release named by the os-release file {@code osRelease} (at most {@link #MAX_BYTES}; the
   * last {@code ID=} and {@code VERSION_ID=} lines, quotes removed).
   *
   * @throws Unknown when the file cannot be read or is larger, names no {@code ID} or {@code
   *     VERSION_ID}, or names one that makes no OSV release name
   */
  public static String of(Path osRelease) throws Unknown {
    byte[] bytes;
    try {
      bytes = BoundedRead.atMost(osRelease, MAX_BYTES);
    } catch (IOException e) {
      throw new Unknown("cannot read " + osRelease);
    }
    if (bytes.length > MAX_BYTES) {
      throw new Unknown(osRelease + " has more than " + MAX_BYTES + " bytes");
    }
    String id = null;
    String version = null;
    for (String line : (Iterable<String>) new String(bytes, StandardCharsets.UTF_8).lines()
        ::iterator) {
      if (line.startsWith("ID=")) {
        id = unquote(line.substring(3));
      } else if (line.startsWith("VERSION_ID=")) {
        version = unquote(line.substring(11));
      }
    }
    if (id == null || id.isEmpty() || version == null || version.isEmpty()) {
      throw new Unknown(osRelease + " names no ID and VERSION_ID");
    }
    String release = ecosystem(id, version);
    if (!NAME.matcher(release).matches()) {
      throw new Unknown(osRelease + " names " + id.replaceAll("\\p{Cntrl}", "?") + " "
          + version.replaceAll("\\p{Cntrl}", "?") + ", which makes no OSV release name");
    }
    return release;
  }

  /**
   * The OSV ecosystem of os-release's {@code ID} and {@code VERSION_ID}: {@code Debian:12},
   * {@code Ubuntu:22.04}; the rpm distributions by the names their OSV feeds use, with the
   * major release only ({@code AlmaLinux:9}, {@code Rocky Linux:9}: their records name no
   * minor release); RHEL as {@code Red Hat:9.4}, the host's release, since its records are
   * per product stream ({@code vuln.RedHatStreams}); openSUSE Leap as {@code openSUSE:Leap
   * 15.5}. SUSE Linux Enterprise ({@code Sles:15.5}) names no feed's ecosystem: its records are
   * per product module, which os-release does not name.
   */
  public static String ecosystem(String id, String version) {
    String major = version.contains(".") ? version.substring(0, version.indexOf('.')) : version;
    return switch (id) {
      case "almalinux" -> "AlmaLinux:" + major;
      case "rocky" -> "Rocky Linux:" + major;
      // Red Hat's records name product streams (Red Hat:enterprise_linux:9::baseos), which
      // os-release does not: the host's release, and the server picks the streams of it
      case "rhel" -> "Red Hat:" + version;
      // openSUSE's records name the distribution as PRETTY_NAME does, less the vendor
      case "opensuse-leap" -> "openSUSE:Leap " + version;
      case "mageia" -> "Mageia:" + version;
      default -> id.substring(0, 1).toUpperCase(Locale.ROOT) + id.substring(1) + ":" + version;
    };
  }

  private static String unquote(String v) {
    v = v.strip();
    return v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"")
        || v.startsWith("'") && v.endsWith("'")) ? v.substring(1, v.length() - 1) : v;
  }
}
