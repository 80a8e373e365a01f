package org.neguard.api.device;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * What an NE runs ({@code POST /api/device/v1/packages}, issue 16, HRD-3): its installed OS
 * packages and, for each listening socket, the package owning the executable. Sent by the
 * agent beside its socket inventory (port drift). The package list travels only when it changed:
 * otherwise {@code packages} is null and {@code digest} names the list the server holds; a server
 * that does not hold it answers {@link PackageVerdict#PACKAGES_NEEDED} and the agent sends it.
 *
 * @param format {@code dpkg}, {@code rpm}, or {@code none} (no package database on the NE)
 * @param release the NE's release in advisories' terms ({@code Debian:12}, from
 *     {@code /etc/os-release} {@code ID} and {@code VERSION_ID}), or null when unknown
 * @param digest {@link #digestOf} the package list
 * @param packages the installed packages, or null when unchanged since the list of {@code digest}
 * @param sockets the listening sockets with their owning package
 * @param notes what the agent could not read, each a sentence ({@code rpm is not installed})
 */
public record PackageReport(String format, String release, String digest,
    List<OsPackage> packages, List<SocketOwner> sockets, List<String> notes) {
  public static final String DPKG = "dpkg";
  public static final String RPM = "rpm";
  public static final String NONE = "none";

  public PackageReport {
    packages = packages == null ? null : List.copyOf(packages);
    sockets = sockets == null ? List.of() : List.copyOf(sockets);
    notes = notes == null ? List.of() : List.copyOf(notes);
  }

  /**
   * The SHA-256 (hex) of a package list, in its order: one line per package, its five fields
   * separated by tabs. The agent and the server compute it alike, so an unchanged list is
   * recognised without being sent.
   */
  public static String digestOf(List<OsPackage> packages) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (OsPackage p : packages) {
        md.update(p.line().getBytes(StandardCharsets.UTF_8));
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** This report without its package list (the server holds the list of its digest). */
  public PackageReport withoutPackages() {
    return new PackageReport(format, release, digest, null, sockets, notes);
  }
}
