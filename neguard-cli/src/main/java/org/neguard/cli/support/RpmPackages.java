package org.neguard.cli.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.neguard.agent.PackageInventory;
import org.neguard.api.device.OsPackage;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.neguard.vuln.Component;
import org.neguard.vuln.VersionScheme;

/**
 * An rpm database's installed packages as the CLI assesses them ({@code vuln check --rpmdb},
 * {@code harden check --rpmdb}): read with the agent's own reader ({@code rpm -qa}, bounded; a
 * line that is no package refuses the list), each version then checked by rpm's rules. One
 * reader, so that the two commands and the agent never disagree on what a database holds.
 * Stateless.
 */
public final class RpmPackages {
  /** Where rpm is looked for. */
  private static final List<Path> RPM = List.of(Path.of("/usr/bin/rpm"), Path.of("/bin/rpm"));

  /**
   * Where an rpm distribution keeps this host's database: {@code /usr/lib/sysimage/rpm} on
   * newer ones (Fedora 36+, openSUSE), {@code /var/lib/rpm} (a link to it, or the database).
   */
  public static final List<Path> LOCAL = List.of(Path.of("/usr/lib/sysimage/rpm"),
      Path.of("/var/lib/rpm"));

  private RpmPackages() {}

  /** Whether {@code release} names an rpm distribution's OSV ecosystem ({@code AlmaLinux:9}). */
  public static boolean isRpmRelease(String release) {
    return release != null && VersionScheme.forEcosystem(release)
        .filter(v -> v == VersionScheme.RPM).isPresent();
  }

  /** This host's rpm program. */
  public static Path rpm(String option) throws RefusalException {
    return RPM.stream().filter(Files::isExecutable).findFirst().orElseThrow(() ->
        new RefusalException(ReasonCode.BAD_INPUT, option + " needs rpm on this host"
            + " (/usr/bin/rpm): install it (Debian's package rpm reads an NE's database)"));
  }

  /** This host's rpm database directory, if it has one with rpm to read it. */
  public static java.util.Optional<Path> local() {
    if (RPM.stream().noneMatch(Files::isExecutable)) {
      return java.util.Optional.empty();
    }
    return LOCAL.stream().filter(Files::isDirectory).findFirst();
  }

  /**
   * The packages of the rpm database in {@code rpmdb}, as components of {@code release}.
   *
   * @param option the option that named the database, for messages ({@code --rpmdb})
   * @throws RefusalException BAD_INPUT without rpm; SCAN_INCOMPLETE when {@code rpmdb} holds
   *     no rpm database (rpm is not run: it would create one) or rpm lists no package;
   *     MALFORMED when rpm fails or lists a line that is no package, or a version rpm would
   *     not build: nothing is assessed then
   */
  public static List<Component> read(Path rpmdb, String release, String option)
      throws IOException, RefusalException {
    Path rpm = rpm(option);
    List<OsPackage> listed;
    try {
      listed = PackageInventory.readRpm(rpm, rpmdb);
    } catch (PackageInventory.IncompleteRpmList e) {
      throw incomplete(rpmdb, option, e.getMessage());
    } catch (IllegalStateException e) {
      throw refused(rpmdb, e.getMessage());
    }
    List<Component> components = new ArrayList<>(listed.size());
    for (OsPackage p : listed) {
      try {
        components.add(Component.ofRpm(p.name(), p.version(), p.arch(), p.source(),
            p.sourceVersion(), release));
      } catch (IllegalArgumentException e) {
        throw refused(rpmdb, p.name() + ": " + e.getMessage());
      }
    }
    return components;
  }

  /**
   * The package of the database in {@code rpmdb} owning each of {@code executables} ({@code
   * rpm -qf}, as the agent asks), those no package owns left out.
   *
   * @throws RefusalException MALFORMED when rpm's answer is no owner as asked for
   */
  public static java.util.Map<String, String> owners(Path rpmdb, List<String> executables,
      String option) throws IOException, RefusalException {
    Path rpm = rpm(option);
    java.util.Map<String, String> out = new java.util.HashMap<>();
    for (String exe : (Iterable<String>) executables.stream().distinct()
        .filter(e -> e.startsWith("/"))::iterator) {
      try {
        String owner = PackageInventory.rpmOwner(rpm, rpmdb, exe);
        if (!owner.isEmpty()) {
          out.put(exe, owner);
        }
      } catch (PackageInventory.IncompleteRpmList e) {
        throw incomplete(rpmdb, option, e.getMessage());
      } catch (IllegalStateException e) {
        throw refused(rpmdb, "asked for the owner of " + exe + ", " + e.getMessage());
      }
    }
    return out;
  }

  /**
   * No rpm database at {@code rpmdb}, or one listing no package: what it holds is unknown, which
   * is not "nothing vulnerable" (the dpkg path's empty status is refused the same way).
   */
  private static RefusalException incomplete(Path rpmdb, String option, String message) {
    return RefusalException.about(ReasonCode.SCAN_INCOMPLETE, rpmdb.toString(), option + " "
        + rpmdb + ": " + message + "; nothing was assessed. Give the directory of a whole copy"
        + " of the NE's rpm database (its /var/lib/rpm or /usr/lib/sysimage/rpm, with its"
        + " rpmdb.sqlite or Packages file)");
  }

  private static RefusalException refused(Path rpmdb, String message) {
    return RefusalException.about(ReasonCode.MALFORMED, rpmdb.toString(), "the rpm database "
        + rpmdb + " is refused: " + message + "; nothing was assessed. Check that it is a whole"
        + " copy of the NE's rpm database and that this host's rpm can read it");
  }
}
