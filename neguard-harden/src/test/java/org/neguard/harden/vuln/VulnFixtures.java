package org.neguard.harden.vuln;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.neguard.progress.ProgressListener;
import org.neguard.verdict.RefusalException;
import org.neguard.vuln.VulnDb;

/**
 * Test data for the vulnerability half of HRD-3: neguard-vuln's OSV fixtures (the inetutils
 * fixes this machine's changelog names; their sources in
 * neguard-vuln/src/test/resources/org/neguard/vuln/osv/SOURCES.md) imported into a database, and
 * dpkg databases (status plus info/*.list) written for a test.
 */
public final class VulnFixtures {
  /** neguard-vuln's OSV fixtures, read where they are (the modules are siblings). */
  public static final Path OSV = Path.of("..", "neguard-vuln", "src", "test", "resources", "org",
      "neguard", "vuln", "osv");

  /** The fixtures' ids. */
  public static final List<String> IDS = List.of("DEBIAN-CVE-2023-40303",
      "DEBIAN-CVE-2026-24061", "DEBIAN-CVE-2026-28372");

  private VulnFixtures() {}

  /**
   * The fixtures as one OSV zip feed named {@code name}, each record's {@code modified} set to
   * {@code modified} (null: as written), so that freshness can be tested either way.
   */
  public static Path feed(Path dir, String name, Instant modified) throws IOException {
    Path zip = dir.resolve(name);
    try (OutputStream out = Files.newOutputStream(zip);
        ZipOutputStream z = new ZipOutputStream(out)) {
      for (String id : IDS) {
        String json = Files.readString(OSV.resolve(id + ".json"));
        if (modified != null) {
          json = json.replaceFirst("\"modified\": \"[^\"]+\"", "\"modified\": \"" + modified
              + "\"");
        }
        z.putNextEntry(new ZipEntry(id + ".json"));
        z.write(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        z.closeEntry();
      }
    }
    return zip;
  }

  /** A database in {@code dir}/vulndb holding the fixtures dated {@code modified}. */
  public static VulnDb db(Path dir, Instant modified) throws IOException, RefusalException {
    Path db = dir.resolve("vulndb");
    VulnDb.importFeeds(db, List.of(feed(Files.createDirectories(dir.resolve("feed")),
        "debian-12-osv.zip", modified)), ProgressListener.NONE);
    return VulnDb.open(db);
  }

  /**
   * A dpkg database in {@code dir}: {@code status} with inetutils-inetd and inetutils-telnetd at
   * {@code inetutils} (source inetutils) and bash 5.2.15-2+b7, and {@code info/} listing their
   * executables as Debian 12 ships them ({@code /bin/bash} before merged /usr); returns the
   * status file.
   */
  public static Path dpkg(Path dir, String inetutils) throws IOException {
    Files.createDirectories(dir.resolve("info"));
    Files.writeString(dir.resolve("status"), """
        Package: inetutils-inetd
        Status: install ok installed
        Architecture: amd64
        Source: inetutils
        Version: %1$s

        Package: inetutils-telnetd
        Status: install ok installed
        Architecture: amd64
        Source: inetutils
        Version: %1$s

        Package: bash
        Status: install ok installed
        Architecture: amd64
        Source: bash (5.2.15-2)
        Version: 5.2.15-2+b7
        """.formatted(inetutils));
    for (Map.Entry<String, String> e : Map.of(
        "inetutils-inetd.list", "/.\n/usr\n/usr/sbin\n/usr/sbin/inetutils-inetd\n",
        "inetutils-telnetd.list", "/.\n/usr\n/usr/sbin\n/usr/sbin/telnetd\n",
        "bash:amd64.list", "/.\n/bin\n/bin/bash\n/usr/share/doc/bash\n").entrySet()) {
      Files.writeString(dir.resolve("info").resolve(e.getKey()), e.getValue());
    }
    return dir.resolve("status");
  }
}
