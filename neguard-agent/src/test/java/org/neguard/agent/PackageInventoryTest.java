package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.api.device.OsPackage;
import org.neguard.api.device.PackageReport;
import org.neguard.api.device.SocketOwner;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.ProcessInfo;
import org.neguard.harden.Transport;
import org.neguard.testing.DpkgStatusCases;

/**
 * What an NE runs, read by the agent (issue 16, HRD-3): this machine's own dpkg database
 * cross-checked with dpkg-query and dpkg -S as outside checkers; the list bounded before memory
 * is spent; cached until dpkg changes it.
 */
@DisplayName("HRD-3 the agent's package inventory")
class PackageInventoryTest {
  private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java")
      .toAbsolutePath().normalize();

  static List<String> run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return out.lines().toList();
  }

  static ObservedPort listening(int port, String process, String executable) {
    return new ObservedPort(Transport.TCP, "0.0.0.0", port, PortState.OPEN, null, "test",
        new ProcessInfo(100, process, executable, "root"), List.of());
  }

  @Test
  @DisplayName("HRD-3 this machine's installed packages, as dpkg-query lists them, with the"
      + " release of /etc/os-release")
  void systemPackages_matchDpkgQuery() throws Exception {
    PackageReport r = new PackageInventory(AgentConfig.Packages.system()).take(List.of());
    Set<String> expected = new TreeSet<>();
    for (String l : run("dpkg-query", "-W", "-f",
        "${db:Status-Status}\t${Package}\t${Version}\t${Architecture}\n")) {
      String[] f = l.split("\t");
      if (f[0].equals("installed")) {
        expected.add(f[1] + " " + f[2] + " " + f[3]);
      }
    }
    assertThat(r.format()).isEqualTo(PackageReport.DPKG);
    Set<String> read = r.packages().stream().map(p -> p.name() + " " + p.version() + " "
        + p.arch()).collect(Collectors.toCollection(TreeSet::new));
    assertThat(read).isEqualTo(expected);
    assertThat(r.digest()).isEqualTo(PackageReport.digestOf(r.packages()));
    String id = run("sh", "-c", ". /etc/os-release; echo \"$ID:$VERSION_ID\"").get(0);
    assertThat(r.release()).isEqualToIgnoringCase(id);
    // Source packages as dpkg-query names them (advisories name source packages).
    OsPackage jre = r.packages().stream().filter(p -> p.name().equals("openjdk-17-jre-headless"))
        .findFirst().orElseThrow();
    assertThat(jre.source() + " " + jre.sourceVersion()).isEqualTo(run("dpkg-query", "-W",
        "-f", "${source:Package} ${source:Version}", "openjdk-17-jre-headless").get(0));
  }

  @Test
  @DisplayName("HRD-3 each listening socket names the package owning its executable, as dpkg -S"
      + " finds it, /usr-merged paths included; an executable no package owns names none")
  void socketOwners_matchDpkgS(@TempDir Path tmp) throws Exception {
    Path stray = Files.writeString(tmp.resolve("backdoor"), "#!/bin/sh\n");
    PackageReport r = new PackageInventory(AgentConfig.Packages.system()).take(List.of(
        listening(8443, "java", JAVA.toString()),
        // /proc shows /usr/bin/bash where dpkg lists /bin/bash (usrmerge).
        listening(2222, "bash", "/usr/bin/bash"),
        listening(31337, "backdoor", stray.toString())));
    String javaOwner = run("dpkg", "-S", JAVA.toString()).get(0).split(":")[0];
    String bashOwner = run("dpkg", "-S", "/bin/bash").get(0).split(":")[0];
    assertThat(r.sockets()).extracting(SocketOwner::port, SocketOwner::owner).containsExactly(
        org.assertj.core.groups.Tuple.tuple(8443, javaOwner),
        org.assertj.core.groups.Tuple.tuple(2222, bashOwner),
        org.assertj.core.groups.Tuple.tuple(31337, null));
    assertThat(run("dpkg", "-S", "/usr/bin/bash").get(0)).contains("no path found");
  }

  /** A dpkg admin directory of the test's own: a status file and an info directory. */
  static Path admindir(Path tmp, String status) throws IOException {
    Path d = tmp.resolve("dpkg");
    Files.createDirectories(d.resolve("info"));
    Files.writeString(d.resolve("status"), status);
    Files.writeString(tmp.resolve("os-release"), "ID=debian\nVERSION_ID=\"12\"\n");
    return d;
  }

  static String paragraph(String name, String version, String source) {
    return "Package: " + name + "\nStatus: install ok installed\nArchitecture: amd64\n"
        + (source == null ? "" : "Source: " + source + "\n") + "Version: " + version
        + "\nDescription: x\n continued\n\n";
  }

  @Test
  @DisplayName("HRD-3 the list is read again only when dpkg changed it; only installed packages;"
      + " Source with and without a version")
  void status_cachedUntilChanged(@TempDir Path tmp) throws Exception {
    Path d = admindir(tmp, paragraph("inetutils-telnetd", "2:2.4-2+deb12u1", "inetutils")
        + paragraph("libssl3", "3.0.15-1~deb12u1", "openssl (3.0.15-1~deb12u1)")
        + "Package: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n\n");
    PackageInventory inv = new PackageInventory(new AgentConfig.Packages(d,
        tmp.resolve("os-release")), List.of());
    PackageReport first = inv.take(List.of());
    assertThat(first.packages()).containsExactly(
        new OsPackage("inetutils-telnetd", "2:2.4-2+deb12u1", "amd64", "inetutils",
            "2:2.4-2+deb12u1"),
        new OsPackage("libssl3", "3.0.15-1~deb12u1", "amd64", "openssl", "3.0.15-1~deb12u1"));
    assertThat(first.release()).isEqualTo("Debian:12");
    assertThat(inv.take(List.of()).packages()).isSameAs(first.packages());

    Files.writeString(d.resolve("status"), paragraph("inetutils-telnetd", "2:2.4-2+deb12u3",
        "inetutils"));
    Files.setLastModifiedTime(d.resolve("status"), FileTime.from(Instant.now().plusSeconds(5)));
    PackageReport second = inv.take(List.of());
    assertThat(second.digest()).isNotEqualTo(first.digest());
    assertThat(second.packages()).extracting(OsPackage::version)
        .containsExactly("2:2.4-2+deb12u3");
  }

  @Test
  @DisplayName("HRD-3 a status listing more packages than the limit is not held in memory: no"
      + " list, a note saying why")
  void hugeStatus_refusedAtTheLimit(@TempDir Path tmp) throws Exception {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i <= PackageInventory.MAX_PACKAGES; i++) {
      b.append(paragraph("pkg" + i, "1.0", null));
    }
    Path d = admindir(tmp, b.toString());
    PackageReport r = new PackageInventory(new AgentConfig.Packages(d,
        tmp.resolve("os-release")), List.of()).take(List.of());
    assertThat(r.format()).isEqualTo(PackageReport.NONE);
    assertThat(r.packages()).isEmpty();
    assertThat(r.notes()).singleElement().asString()
        .contains("more than " + PackageInventory.MAX_PACKAGES + " installed packages");
  }

  @Test
  @DisplayName("HRD-3 no dpkg database and no rpm: format none with a note, never an empty list"
      + " passed off as a clean one")
  void noDatabase_noted(@TempDir Path tmp) throws Exception {
    Files.writeString(tmp.resolve("os-release"), "ID=debian\nVERSION_ID=12\n");
    PackageReport r = new PackageInventory(new AgentConfig.Packages(tmp.resolve("none"),
        tmp.resolve("os-release")), List.of(tmp.resolve("no-rpm"))).take(List.of(
        listening(22, "sshd", "/usr/sbin/sshd")));
    assertThat(r.format()).isEqualTo(PackageReport.NONE);
    assertThat(r.notes()).singleElement().asString().contains("rpm is not installed");
    assertThat(r.sockets()).extracting(SocketOwner::owner).containsExactly((String) null);
  }

  @Test
  @DisplayName("HRD-3 a dpkg status listing no installed package (empty, or only removed ones):"
      + " format none with a note, never an empty dpkg list the server would call clean")
  void emptyStatus_noList(@TempDir Path tmp) throws Exception {
    for (String status : List.of("", "Package: gone\nStatus: deinstall ok config-files\n"
        + "Version: 1.0\n\n")) {
      Path d = admindir(tmp, status);
      PackageReport r = new PackageInventory(new AgentConfig.Packages(d,
          tmp.resolve("os-release")), List.of()).take(List.of());
      assertThat(r.format()).as(status).isEqualTo(PackageReport.NONE);
      assertThat(r.packages()).as(status).isEmpty();
      assertThat(r.notes()).as(status).singleElement().asString().contains(
          "cannot read the dpkg status", "lists no installed package");
    }
  }

  /**
   * The bytes of {@code vuln.DpkgStatusAmbiguityTest} (neguard-vuln), refused for the same
   * reason: the NE's list is never one the CLI would have read differently.
   */
  @Test
  @DisplayName("HRD-3 a dpkg status read two ways (a field twice, a stray continuation line, no"
      + " field, a CR in Status): format none with the CLI's reason, never a list without the"
      + " package")
  void ambiguousStatus_noList(@TempDir Path tmp) throws Exception {
    for (DpkgStatusCases.Ambiguous c : DpkgStatusCases.AMBIGUOUS) {
      Path d = admindir(tmp, c.status());
      PackageReport r = new PackageInventory(new AgentConfig.Packages(d,
          tmp.resolve("os-release")), List.of()).take(List.of());
      assertThat(r.format()).as(c.name()).isEqualTo(PackageReport.NONE);
      assertThat(r.packages()).as(c.name()).isEmpty();
      assertThat(r.notes()).as(c.name()).singleElement().asString().contains(
          "cannot read the dpkg status", "MALFORMED", c.refusal());
    }
    Path d = admindir(tmp, DpkgStatusCases.WELL_FORMED);
    PackageReport r = new PackageInventory(new AgentConfig.Packages(d,
        tmp.resolve("os-release")), List.of()).take(List.of());
    assertThat(r.format()).isEqualTo(PackageReport.DPKG);
    assertThat(r.packages()).extracting(OsPackage::name, OsPackage::source,
        OsPackage::sourceVersion).containsExactly(
        org.assertj.core.groups.Tuple.tuple("bash", "bash", "5.2.15-2"),
        org.assertj.core.groups.Tuple.tuple("dpkg", "dpkg", "1.21.22"));
  }

  @Test
  @DisplayName("HRD-3 an owner is looked up once per executable until dpkg changes its file"
      + " lists")
  void owners_cachedUntilInfoChanges(@TempDir Path tmp) throws Exception {
    Path d = admindir(tmp, paragraph("inetutils-telnetd", "2:2.4-2+deb12u1", "inetutils"));
    Files.writeString(d.resolve("info/inetutils-telnetd.list"), "/.\n/usr\n/usr/sbin\n"
        + "/usr/sbin/telnetd\n");
    PackageInventory inv = new PackageInventory(new AgentConfig.Packages(d,
        tmp.resolve("os-release")), List.of());
    List<ObservedPort> ports = new ArrayList<>(List.of(listening(23, "telnetd",
        "/usr/sbin/telnetd")));
    assertThat(inv.take(ports).sockets()).extracting(SocketOwner::owner)
        .containsExactly("inetutils-telnetd");
    // The list removed without dpkg touching the directory's time: the cached owner stays.
    FileTime t = Files.getLastModifiedTime(d.resolve("info"));
    Files.delete(d.resolve("info/inetutils-telnetd.list"));
    Files.setLastModifiedTime(d.resolve("info"), t);
    assertThat(inv.take(ports).sockets()).extracting(SocketOwner::owner)
        .containsExactly("inetutils-telnetd");
    // dpkg changed the directory: looked up again, owned by none now.
    Files.setLastModifiedTime(d.resolve("info"), FileTime.from(t.toInstant().plusSeconds(5)));
    assertThat(inv.take(ports).sockets()).extracting(SocketOwner::owner)
        .containsExactly((String) null);
  }
}
