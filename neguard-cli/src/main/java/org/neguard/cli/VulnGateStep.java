package org.neguard.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import picocli.CommandLine;

/**
 * The documents of the quickstart's publication-gate step (issue 16): the demo advisory feed, the
 * vulnerable package's SBOM, and the two VEX statements (one without a reason, one with).
 */
final class VulnGateStep {
  /** The telnetd version the vulnerable package carries: before Debian's fix (deb12u2). */
  static final String TELNETD_VERSION = "2:2.4-2+deb12u1";
  /** Its package URL, as syft writes one for a Debian package. */
  static final String TELNETD_PURL = "pkg:deb/debian/inetutils-telnetd@" + TELNETD_VERSION
      + "?arch=amd64&distro=debian-12&upstream=inetutils";
  static final String NO_REASON = "vex-no-reason.openvex.json";
  static final String REASONED = "vex-not-affected.openvex.json";

  /** A package for the step: scanned and signed, carrying {@link #sbom()}. */
  record Package(Path bundle, String name, String version) {}

  private VulnGateStep() {}

  /** A CycloneDX 1.5 SBOM listing the telnetd package. */
  static byte[] sbom() {
    return ("{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.5\",\n"
        + "  \"version\": 1,\n  \"metadata\": {\"component\": {\"type\": \"application\","
        + " \"name\": \"sample-telnet-gw\", \"version\": \"1.0.0\"}},\n  \"components\": [\n"
        + "    {\"type\": \"library\", \"bom-ref\": \"telnetd\", \"name\": \"inetutils-telnetd\","
        + " \"version\": \"" + TELNETD_VERSION + "\", \"purl\": \"" + TELNETD_PURL + "\"}\n"
        + "  ]\n}\n").getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Writes the demo feed (one Debian advisory in OSV form, as the Debian security tracker
   * publishes CVE-2026-24061, with NVD's CVSS vector, 9.8; dated now, as a feed downloaded today)
   * and imports it into {@code work/vulndb} with {@code neguard vulndb import}.
   */
  static Path importFeed(PrintWriter out, PrintWriter err, Path work) throws IOException {
    Path feed = work.resolve("debian-osv-demo.zip");
    String record = "{\"id\": \"DEBIAN-CVE-2026-24061\", \"modified\": \""
        + Instant.now().truncatedTo(ChronoUnit.SECONDS) + "\", \"aliases\":"
        + " [\"CVE-2026-24061\"], \"summary\": \"inetutils: telnetd: environment options from"
        + " clients allow privilege escalation\", \"severity\": [{\"type\": \"CVSS_V3\","
        + " \"score\": \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"}], \"affected\": [{"
        + "\"package\": {\"ecosystem\": \"Debian:12\", \"name\": \"inetutils\"}, \"ranges\":"
        + " [{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}, {\"fixed\":"
        + " \"2:2.4-2+deb12u2\"}]}]}]}";
    try (OutputStream o = Files.newOutputStream(feed); ZipOutputStream z = new ZipOutputStream(o)) {
      z.putNextEntry(new ZipEntry("DEBIAN-CVE-2026-24061.json"));
      z.write(record.getBytes(StandardCharsets.UTF_8));
      z.closeEntry();
    }
    Path db = work.resolve("vulndb");
    String[] args = {"vulndb", "import", "--db", db.toString(), feed.toString()};
    QuickstartText.show(out, args);
    CommandLine cl = Main.newCommandLine(args);
    cl.setOut(out);
    cl.setErr(err);
    int exit = cl.execute(args);
    if (exit != 0) {
      throw new IllegalStateException("'neguard " + String.join(" ", args) + "' exited " + exit);
    }
    return db;
  }

  /**
   * Builds the unsigned package {@code name} {@code version} of the files under {@code tree},
   * carrying {@link #sbom()}, with {@code neguard pkg build --sbom} run by {@code cli}.
   */
  static void build(Path tree, Path out, String name, String version,
      java.util.function.Consumer<String[]> cli) throws IOException {
    Path sbomFile = out.resolveSibling(name + "-" + version + ".cdx.json");
    Files.write(sbomFile, sbom());
    cli.accept(new String[] {"pkg", "build", "--name", name, "--version", version,
        "--security-version", "1", "--ne-type", "mme", "--vendor", "Demo Vendor", "--from",
        tree.toString(), "--out", out.toString(), "--sbom", sbomFile.toString()});
  }

  /** Writes the two VEX documents into {@code dir}; returns it. */
  static Path writeVex(Path dir) throws IOException {
    Files.createDirectories(dir);
    String head = "{\n  \"@context\": \"https://openvex.dev/ns/v0.2.0\",\n"
        + "  \"@id\": \"https://vendor.example/vex/sample-telnet-gw-1.0.0\",\n"
        + "  \"author\": \"Demo Vendor PSIRT\",\n  \"timestamp\": \""
        + Instant.now().truncatedTo(ChronoUnit.SECONDS) + "\",\n  \"version\": 1,\n"
        + "  \"statements\": [{\n    \"vulnerability\": {\"name\": \"CVE-2026-24061\"},\n"
        + "    \"products\": [{\"@id\": \"" + TELNETD_PURL + "\"}],\n"
        + "    \"status\": \"not_affected\"";
    Files.writeString(dir.resolve(NO_REASON), head + "\n  }]\n}\n");
    Files.writeString(dir.resolve(REASONED), head + ",\n"
        + "    \"justification\": \"vulnerable_code_not_in_execute_path\",\n"
        + "    \"impact_statement\": \"telnetd is shipped for the lab image only and never"
        + " started: no inetd entry, port 23 closed (harden check)\"\n  }]\n}\n");
    return dir;
  }
}
