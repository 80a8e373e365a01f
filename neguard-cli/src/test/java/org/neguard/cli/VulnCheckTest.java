package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code neguard vuln check}: a dpkg database against an offline OSV feed, Debian-aware. The
 * advisories are the inetutils fixes this machine's changelog names ({@link TelnetdAdvisories}).
 */
class VulnCheckTest {
  @TempDir Path dir;

  Path feed(Instant modified) throws Exception {
    return TelnetdAdvisories.feed(dir.resolve("feed-" + modified.getEpochSecond()), modified);
  }

  Path status(String telnetd) throws Exception {
    return Files.writeString(dir.resolve("status-" + telnetd.replace(':', '_')),
        TelnetdAdvisories.dpkgStatus(telnetd));
  }

  @Test
  @DisplayName("HRD-3 an NE's package list with telnetd 2:2.4-2+deb12u1: exit 3, each advisory"
      + " KNOWN_VULNERABILITY with its CVE and fixing version; at +deb12u3, whose revision"
      + " carries both fixes, exit 0")
  void check_debianAware() throws Exception {
    Path feed = feed(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    CliRun old = CliRun.of("vuln", "check", "--feed", feed.toString(), "--status",
        status("2:2.4-2+deb12u1").toString(), "--release", "Debian:12", "--json");
    assertThat(old.exit()).as("%s", old).isEqualTo(3);
    JsonNode j = old.json();
    assertThat(j.path("reasons")).allSatisfy(r -> assertThat(r.path("code").asText())
        .isEqualTo("KNOWN_VULNERABILITY"));
    assertThat(j.path("findings").findValuesAsText("advisory")).containsExactly(
        "DEBIAN-CVE-2026-24061", "DEBIAN-CVE-2026-28372");
    assertThat(j.path("findings").findValuesAsText("fixedIn")).containsExactly(
        "2:2.4-2+deb12u2", "2:2.4-2+deb12u3");
    CliRun fixed = CliRun.of("vuln", "check", "--feed", feed.toString(), "--status",
        status("2:2.4-2+deb12u3").toString(), "--release", "Debian:12");
    assertThat(fixed.exit()).as("%s", fixed).isZero();
    assertThat(fixed.out()).contains("PASS").contains("no known vulnerability");
  }

  @Test
  @DisplayName("HRD-3 this host's own dpkg database and release (from /etc/os-release): read"
      + " whole, and its inetutils (installed by .ci/run) matched against the feed")
  void check_thisHost() throws Exception {
    CliRun r = CliRun.of("vuln", "check", "--feed", feed(Instant.now()).toString(), "--json");
    assertThat(r.exit()).as("%s", r).isIn(0, 3);
    assertThat(r.json().path("release").asText()).startsWith("Debian:");
    assertThat(r.json().path("packages").asInt()).isGreaterThan(100);
  }

  @Test
  @DisplayName("HRD-3 a feed older than --max-feed-age is refused SCAN_POLICY; a malformed one"
      + " MALFORMED; a package list with an impossible version MALFORMED: never a pass")
  void check_badInputs_refused() throws Exception {
    Path stale = feed(Instant.now().minus(30, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS));
    CliRun old = CliRun.of("vuln", "check", "--feed", stale.toString(), "--status",
        status("2:2.4-2+deb12u3").toString(), "--release", "Debian:12", "--json");
    assertThat(old.exit()).as("%s", old).isEqualTo(3);
    assertThat(old.json().path("reasons").path(0).path("code").asText()).isEqualTo(
        "SCAN_POLICY");
    Path feed = feed(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    Files.writeString(feed.resolve("broken.json"), "{\"id\": \"X\", \"id\": \"Y\"}");
    CliRun broken = CliRun.of("vuln", "check", "--feed", feed.toString(), "--status",
        status("2:2.4-2+deb12u3").toString(), "--release", "Debian:12", "--json");
    assertThat(broken.exit()).as("%s", broken).isEqualTo(3);
    assertThat(broken.json().path("reasons").path(0).path("code").asText()).isEqualTo(
        "MALFORMED");
    Files.delete(feed.resolve("broken.json"));
    CliRun impossible = CliRun.of("vuln", "check", "--feed", feed.toString(), "--status",
        status("telnetd-2.4").toString(), "--release", "Debian:12", "--json");
    assertThat(impossible.exit()).as("%s", impossible).isEqualTo(3);
    assertThat(impossible.json().path("reasons").path(0).path("code").asText()).isEqualTo(
        "MALFORMED");
  }

  @Test
  @DisplayName("HRD-3 a dpkg status listing no installed package (an empty file, or only removed"
      + " packages) is never 'no vulnerability': exit 3 SCAN_INCOMPLETE saying what to give,"
      + " against a feed and a database alike")
  void check_emptyStatus_scanIncomplete() throws Exception {
    Path feed = feed(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    Path db = dir.resolve("db-empty");
    assertThat(CliRun.of("vulndb", "import", "--db", db.toString(), feed.toString()).exit())
        .isZero();
    for (String text : new String[] {"", "Package: gone\nStatus: deinstall ok config-files\n"
        + "Version: 1.0\n\n"}) {
      Path status = Files.writeString(dir.resolve("status-empty"), text);
      for (String[] source : new String[][] {{"--feed", feed.toString()},
          {"--db", db.toString()}}) {
        CliRun r = CliRun.of("vuln", "check", source[0], source[1], "--status",
            status.toString(), "--release", "Debian:12", "--json");
        assertThat(r.exit()).as("%s", r).isEqualTo(3);
        assertThat(r.json().path("reasons")).as("%s", r).singleElement().satisfies(x -> {
          assertThat(x.path("code").asText()).isEqualTo("SCAN_INCOMPLETE");
          assertThat(x.path("message").asText()).contains(status.toString(),
              "lists no installed package", "nothing was assessed", "whole /var/lib/dpkg/status");
        });
      }
    }
  }

  @Test
  @DisplayName("HRD-3 a release the advisories do not cover (an Ubuntu host against Debian's"
      + " feed) is never 'no vulnerability': exit 3 SCAN_INCOMPLETE naming the release and what"
      + " to give, given with --release or read from --os-release, against a feed and a"
      + " database alike")
  void check_releaseNotCovered_scanIncomplete() throws Exception {
    Path feed = feed(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    Path db = dir.resolve("db-debian");
    assertThat(CliRun.of("vulndb", "import", "--db", db.toString(), feed.toString()).exit())
        .isZero();
    Path osRelease = Files.writeString(dir.resolve("os-release"),
        "ID=ubuntu\nVERSION_ID=\"22.04\"\nPRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\n");
    Path vulnerable = status("2:2.4-2+deb12u1");
    for (String[] source : new String[][] {{"--feed", feed.toString()},
        {"--db", db.toString()}}) {
      for (String[] release : new String[][] {{"--release", "Ubuntu:22.04"},
          {"--os-release", osRelease.toString()}}) {
        CliRun r = CliRun.of("vuln", "check", source[0], source[1], "--status",
            vulnerable.toString(), release[0], release[1], "--json");
        assertThat(r.exit()).as("%s", r).isEqualTo(3);
        assertThat(r.json().path("reasons")).as("%s", r).singleElement().satisfies(x -> {
          assertThat(x.path("code").asText()).isEqualTo("SCAN_INCOMPLETE");
          assertThat(x.path("message").asText()).contains("hold none for Ubuntu:22.04",
              "nothing was assessed", "--release");
        });
      }
    }
    // the same status and advisories of its release: the two findings, so the refusal above
    // is about the release alone
    CliRun debian = CliRun.of("vuln", "check", "--db", db.toString(), "--status",
        vulnerable.toString(), "--os-release", Files.writeString(dir.resolve("os-release-12"),
            "ID=debian\nVERSION_ID=\"12\"\n").toString(), "--json");
    assertThat(debian.exit()).as("%s", debian).isEqualTo(3);
    assertThat(debian.json().path("findings").findValuesAsText("advisory")).hasSize(2);
    CliRun both = CliRun.of("vuln", "check", "--db", db.toString(), "--release", "Debian:12",
        "--os-release", osRelease.toString());
    assertThat(both.exit()).as("%s", both).isEqualTo(2);
  }

  @Test
  @DisplayName("HRD-3 vuln check --db: the same Debian-aware verdicts from an imported database"
      + " (telnetd +deb12u1 exit 3 with both advisories, +deb12u3 exit 0); a stale database"
      + " SCAN_POLICY; --feed and --db together a usage error (exit 2)")
  void check_db() throws Exception {
    Path db = dir.resolve("db");
    CliRun imported = CliRun.of("vulndb", "import", "--db", db.toString(),
        feed(Instant.now().truncatedTo(ChronoUnit.SECONDS)).toString());
    assertThat(imported.exit()).as("%s", imported).isZero();
    CliRun old = CliRun.of("vuln", "check", "--db", db.toString(), "--status",
        status("2:2.4-2+deb12u1").toString(), "--release", "Debian:12", "--json");
    assertThat(old.exit()).as("%s", old).isEqualTo(3);
    assertThat(old.json().path("reasons")).allSatisfy(r -> assertThat(r.path("code").asText())
        .isEqualTo("KNOWN_VULNERABILITY"));
    assertThat(old.json().path("findings").findValuesAsText("advisory")).containsExactly(
        "DEBIAN-CVE-2026-24061", "DEBIAN-CVE-2026-28372");
    assertThat(old.json().path("findings").findValuesAsText("fixedIn")).containsExactly(
        "2:2.4-2+deb12u2", "2:2.4-2+deb12u3");
    assertThat(old.json().path("findings").findValuesAsText("matchedBy")).containsOnly(
        "source-package");
    CliRun fixed = CliRun.of("vuln", "check", "--db", db.toString(), "--status",
        status("2:2.4-2+deb12u3").toString(), "--release", "Debian:12");
    assertThat(fixed.exit()).as("%s", fixed).isZero();
    assertThat(fixed.out()).contains("PASS").contains("no known vulnerability");

    Path staleDb = dir.resolve("stale");
    assertThat(CliRun.of("vulndb", "import", "--db", staleDb.toString(), feed(Instant.now()
        .minus(30, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS)).toString()).exit())
        .isZero();
    CliRun stale = CliRun.of("vuln", "check", "--db", staleDb.toString(), "--status",
        status("2:2.4-2+deb12u3").toString(), "--release", "Debian:12", "--json");
    assertThat(stale.exit()).as("%s", stale).isEqualTo(3);
    assertThat(stale.json().path("reasons").path(0).path("code").asText()).isEqualTo(
        "SCAN_POLICY");
    CliRun both = CliRun.of("vuln", "check", "--db", db.toString(), "--feed", db.toString());
    assertThat(both.exit()).as("%s", both).isEqualTo(2);
  }
}
