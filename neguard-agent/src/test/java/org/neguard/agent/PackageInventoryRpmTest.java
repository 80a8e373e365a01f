package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.api.device.OsPackage;
import org.neguard.api.device.PackageReport;
import org.neguard.api.device.SocketOwner;
import org.neguard.testing.RequiredProgram;
import org.neguard.testing.RpmDatabase;

/**
 * The agent's rpm path (issue 16, HRD-3): a real rpm database built with rpmbuild and read
 * through {@code rpm --dbpath}, cross-checked with rpm's own query; what rpm prints that is no
 * package refuses the list whole, and an rpm that prints without end is cut and killed.
 */
@DisplayName("HRD-3 the agent's rpm package inventory")
class PackageInventoryRpmTest {
  /** A source with two binaries of epoch 1, and a noarch one with ~ and ^ and no epoch. */
  static final List<RpmDatabase.Spec> SPECS = List.of(
      new RpmDatabase.Spec("ngtest-ssl", 1, "3.0.1", "43.el9_0", null,
          List.of("ngtest-ssl-libs")),
      new RpmDatabase.Spec("ngtest-tool", null, "1.0~rc1^git2", "3.el9", "noarch", List.of()));

  static PackageInventory inventory(Path tmp, Path rpm, Path db) throws Exception {
    return inventory(tmp, rpm, db, Duration.ofSeconds(PackageInventory.RPM_TIMEOUT_SECONDS));
  }

  static PackageInventory inventory(Path tmp, Path rpm, Path db, Duration timeout)
      throws Exception {
    Files.writeString(tmp.resolve("os-release"), "NAME=\"AlmaLinux\"\nID=\"almalinux\"\n"
        + "VERSION_ID=\"9.3\"\n");
    return new PackageInventory(new AgentConfig.Packages(tmp.resolve("no-dpkg"),
        tmp.resolve("os-release"), db), List.of(rpm), timeout);
  }

  @Test
  @DisplayName("HRD-3 a real rpm database: names, epochs, versions, releases, architectures and"
      + " source rpms as rpm's own query lists them; the release in OSV's spelling (AlmaLinux:9)")
  void realDatabase_matchesRpmQuery(@TempDir Path tmp) throws Exception {
    Path db = RpmDatabase.build(tmp, SPECS);
    Path rpm = Path.of("/usr/bin/rpm");
    PackageReport r = inventory(tmp, rpm, db).take(List.of());
    assertThat(r.notes()).isEmpty();
    assertThat(r.format()).isEqualTo(PackageReport.RPM);
    assertThat(r.release()).isEqualTo("AlmaLinux:9");
    String arch = RpmDatabase.run(List.of(rpm.toString(), "--eval", "%{_arch}")).strip();
    assertThat(r.packages()).containsExactly(
        new OsPackage("ngtest-ssl", "1:3.0.1-43.el9_0", arch, "ngtest-ssl", "3.0.1-43.el9_0"),
        new OsPackage("ngtest-ssl-libs", "1:3.0.1-43.el9_0", arch, "ngtest-ssl",
            "3.0.1-43.el9_0"),
        new OsPackage("ngtest-tool", "0:1.0~rc1^git2-3.el9", "noarch", "ngtest-tool",
            "1.0~rc1^git2-3.el9"));
    // rpm's own answer, asked another way: every field as rpm stores it.
    List<String> outside = RpmDatabase.run(List.of(rpm.toString(), "--dbpath", db.toString(),
        "-qa", "--qf", "%{NAME} %{EPOCH} %{VERSION} %{RELEASE} %{ARCH} %{SOURCERPM}\\n"))
        .lines().sorted().toList();
    assertThat(outside).containsExactly(
        "ngtest-ssl 1 3.0.1 43.el9_0 " + arch + " ngtest-ssl-3.0.1-43.el9_0.src.rpm",
        "ngtest-ssl-libs 1 3.0.1 43.el9_0 " + arch + " ngtest-ssl-3.0.1-43.el9_0.src.rpm",
        "ngtest-tool (none) 1.0~rc1^git2 3.el9 noarch ngtest-tool-1.0~rc1^git2-3.el9.src.rpm");
    assertThat(r.digest()).isEqualTo(PackageReport.digestOf(r.packages()));
  }

  @Test
  @DisplayName("HRD-3 packages.rpm.dbpath: rpm's default when absent, else the directory given,"
      + " relative to the configuration file")
  void rpmDbPath_configured(@TempDir Path tmp) throws Exception {
    String base = "server.url=https://127.0.0.1:8444\nstate.dir=state\ninstall.root=install\n"
        + "tuf.root=root.json\ntrust.anchors=ca.pem\nne.type=mme\ndevice.id=ne-1\n";
    Path f = Files.writeString(tmp.resolve("agent.properties"), base);
    assertThat(AgentConfig.load(f).packages().rpmDbPath()).isNull();
    Files.writeString(f, base + "packages.rpm.dbpath=ne-root/var/lib/rpm\n");
    assertThat(AgentConfig.load(f).packages().rpmDbPath())
        .isEqualTo(tmp.resolve("ne-root/var/lib/rpm"));
  }

  /** An "rpm" printing {@code output} whatever it is asked, exiting {@code exit}. */
  static Path fakeRpm(Path tmp, String output, int exit) throws Exception {
    Path out = Files.writeString(tmp.resolve("out-" + System.nanoTime()), output);
    return script(tmp, "cat '" + out + "'\nexit " + exit);
  }

  /** An "rpm" running the shell commands {@code body}. */
  static Path script(Path tmp, String body) throws Exception {
    Path script = tmp.resolve("rpm-" + System.nanoTime());
    Files.writeString(script, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    return script;
  }

  static PackageReport read(Path tmp, String output, int exit) throws Exception {
    return inventory(tmp, fakeRpm(tmp, output, exit), fakeDb(tmp)).take(List.of());
  }

  /** A directory that passes for an rpm database, for these tests' "rpm"s, which read none. */
  static Path fakeDb(Path tmp) throws Exception {
    Path db = Files.createDirectories(tmp.resolve("db"));
    Files.writeString(db.resolve("rpmdb.sqlite"), "not read by a fake rpm");
    return db;
  }

  @Test
  @DisplayName("HRD-3 no rpm database where packages.rpm.dbpath names one (missing, an empty"
      + " directory, an empty database file) is refused before rpm runs, which would create one"
      + " there, and nothing is created; a real database listing no package (rpm --initdb) is"
      + " refused after rpm: format none with a note, never an empty rpm list")
  void missingOrEmptyDatabase_noList(@TempDir Path tmp) throws Exception {
    Path rpm = RequiredProgram.require("rpm");
    // What the pre-check keeps from happening: rpm given a missing --dbpath makes a database
    // there (its parents too) and lists nothing, exit 0.
    Path made = tmp.resolve("shown/var/lib/rpm");
    assertThat(RpmDatabase.run(List.of(rpm.toString(), "--dbpath", made.toString(), "-qa")))
        .isEmpty();
    assertThat(made.resolve("rpmdb.sqlite")).as("rpm's own side effect").isRegularFile();

    Path missing = tmp.resolve("ne-root/var/lib/rpm");
    Path emptyDir = Files.createDirectories(tmp.resolve("empty-dir"));
    Path emptyFile = Files.createDirectories(tmp.resolve("empty-file"));
    Files.createFile(emptyFile.resolve("rpmdb.sqlite"));
    Path initialized = Files.createDirectories(tmp.resolve("initialized"));
    RpmDatabase.run(List.of(rpm.toString(), "--dbpath", initialized.toString(), "--initdb"));
    for (Object[] c : new Object[][] {{missing, "does not exist"},
        {emptyDir, "holds no rpm database"}, {emptyFile, "holds no rpm database"},
        {initialized, "rpm -qa listed no package in " + initialized}}) {
      Path db = (Path) c[0];
      PackageReport r = inventory(tmp, rpm, db).take(List.of(
          PackageInventoryTest.listening(22, "sshd", "/usr/sbin/sshd")));
      assertThat(r.format()).as("%s", db).isEqualTo(PackageReport.NONE);
      assertThat(r.packages()).as("%s", db).isEmpty();
      assertThat(r.notes()).as("%s", db).singleElement().asString().contains(
          "cannot list the rpm packages", (String) c[1]);
      assertThat(r.sockets()).as("%s", db).extracting(SocketOwner::owner)
          .containsExactly((String) null);
    }
    assertThat(tmp.resolve("ne-root")).as("nothing made where rpm was not run").doesNotExist();
    try (var left = Files.list(emptyDir)) {
      assertThat(left).as("the empty directory stays empty").isEmpty();
    }
    assertThat(emptyFile.resolve("rpmdb.sqlite")).isEmptyFile();
  }

  static final String GOOD = "bash\t0:5.1.8-9.el9\tx86_64\tbash-5.1.8-9.el9.src.rpm\n";

  @Test
  @DisplayName("HRD-3 rpm output that is no package as asked for (a field missing or extra, no"
      + " epoch, a blank or control character, a source rpm without version, a cut last line,"
      + " rpm failing) refuses the whole list with a note naming the line: never guessed")
  void malformedOutput_refusedWhole(@TempDir Path tmp) throws Exception {
    // rpm's signing keys are pseudo-packages: left out, the rest read
    PackageReport keys = read(tmp, GOOD + "gpg-pubkey\t0:fd431d51-4ae0493b\t(none)\t(none)\n",
        0);
    assertThat(keys.notes()).isEmpty();
    assertThat(keys.packages()).extracting(OsPackage::name).containsExactly("bash");

    record Bad(String what, String output, int exit, String note) {}
    for (Bad b : List.of(
        new Bad("three fields", GOOD + "openssl\t1:3.0.7-24.el9\tx86_64\n", 0, "line 2"),
        new Bad("five fields", GOOD + "openssl\t1:3.0.7-24.el9\tx86_64\tx\topenssl-3.0.7-24"
            + ".el9.src.rpm\n", 0, "line 2"),
        new Bad("no epoch", "openssl\t3.0.7-24.el9\tx86_64\topenssl-3.0.7-24.el9.src.rpm\n", 0,
            "line 1"),
        new Bad("no release", "openssl\t1:3.0.7\tx86_64\topenssl-3.0.7-24.el9.src.rpm\n", 0,
            "line 1"),
        new Bad("blank in version", "openssl\t1:3.0.7 -24.el9\tx86_64\topenssl-3.0.7-24.el9"
            + ".src.rpm\n", 0, "line 1"),
        new Bad("control character", "open\u0001ssl\t1:3.0.7-24.el9\tx86_64\topenssl-3.0.7"
            + "-24.el9.src.rpm\n", 0, "line 1"),
        new Bad("empty name", "\t1:3.0.7-24.el9\tx86_64\topenssl-3.0.7-24.el9.src.rpm\n", 0,
            "line 1"),
        new Bad("source without version", GOOD + GOOD.replace("bash", "zsh")
            .replace("zsh-5.1.8-9.el9.src.rpm", "zsh.src.rpm"), 0, "line 2"),
        new Bad("no source rpm", "openssl\t1:3.0.7-24.el9\tx86_64\t(none)\n", 0, "line 1"),
        new Bad("cut last line", GOOD + "openssl\t1:3.0.7-24.el9\tx86_64\topenssl-3.0", 0,
            "middle of a line"),
        new Bad("rpm failed", GOOD, 1, "exited 1"))) {
      PackageReport r = read(tmp, b.output(), b.exit());
      assertThat(r.format()).as(b.what()).isEqualTo(PackageReport.NONE);
      assertThat(r.packages()).as(b.what()).isEmpty();
      assertThat(r.notes()).as(b.what()).singleElement().asString()
          .contains("cannot list the rpm packages", b.note());
    }
  }

  @Test
  @DisplayName("HRD-3 an rpm that prints without end is cut at the byte limit and killed, not"
      + " waited for; more packages than the limit are refused: no list, a note why")
  void hugeOutput_bounded(@TempDir Path tmp) throws Exception {
    Path endless = tmp.resolve("rpm-endless");
    Files.writeString(endless, "#!/bin/sh\nexec yes 'bash\t0:5.1.8-9.el9\tx86_64\t"
        + "bash-5.1.8-9.el9.src.rpm'\n");
    Files.setPosixFilePermissions(endless, PosixFilePermissions.fromString("rwx------"));
    Instant start = Instant.now();
    PackageReport r = inventory(tmp, endless, null).take(List.of());
    assertThat(Duration.between(start, Instant.now())).isLessThan(Duration.ofSeconds(20));
    assertThat(r.format()).isEqualTo(PackageReport.NONE);
    assertThat(r.notes()).singleElement().asString().contains("more than "
        + PackageInventory.MAX_RPM_BYTES + " bytes");

    StringBuilder many = new StringBuilder();
    for (int i = 0; i <= PackageInventory.MAX_PACKAGES; i++) {
      many.append("p").append(i).append("\t0:1-1\tnoarch\tp-1-1.src.rpm\n");
    }
    PackageReport tooMany = read(tmp, many.toString(), 0);
    assertThat(tooMany.format()).isEqualTo(PackageReport.NONE);
    assertThat(tooMany.notes()).singleElement().asString()
        .contains("more than " + PackageInventory.MAX_PACKAGES + " installed packages");
  }

  @Test
  @DisplayName("HRD-3 os-release names the rpm distributions as their OSV feeds do; an ID that"
      + " makes no OSV release name leaves the release unknown with a note, not a refused report")
  void release_osvNames(@TempDir Path tmp) throws Exception {
    assertThat(org.neguard.harden.HostRelease.ecosystem("almalinux", "9.3")).isEqualTo("AlmaLinux:9");
    assertThat(org.neguard.harden.HostRelease.ecosystem("rocky", "8.10")).isEqualTo("Rocky Linux:8");
    assertThat(org.neguard.harden.HostRelease.ecosystem("debian", "12")).isEqualTo("Debian:12");
    assertThat(org.neguard.harden.HostRelease.ecosystem("rhel", "9.4")).isEqualTo("Red Hat:9.4");
    assertThat(org.neguard.harden.HostRelease.ecosystem("opensuse-leap", "15.5"))
        .isEqualTo("openSUSE:Leap 15.5");
    Files.writeString(tmp.resolve("os-release"), "ID=opensuse-tumbleweed\nVERSION_ID="
        + "\"20240801\"\n");
    PackageReport r = new PackageInventory(new AgentConfig.Packages(tmp.resolve("no-dpkg"),
        tmp.resolve("os-release")), List.of(fakeRpm(tmp, GOOD, 0))).take(List.of());
    assertThat(r.format()).isEqualTo(PackageReport.RPM);
    assertThat(r.release()).isNull();
    assertThat(r.notes()).singleElement().asString().contains("opensuse-tumbleweed",
        "release is unknown");
  }

  @Test
  @DisplayName("HRD-3 socket owners on rpm NEs: rpm -qf names the package owning each listening"
      + " executable (the first by name when two own it), as rpm's own query does; one owned by"
      + " no package has none; one gone has none and a note with rpm's error")
  void socketOwners_rpmQf(@TempDir Path tmp) throws Exception {
    Path db = RpmDatabase.build(tmp, List.of(
        new RpmDatabase.Spec("ngtest-daemon", null, "1.0", "1.el9", null, List.of(),
            List.of("/usr/sbin/ngtest-daemon", "/usr/sbin/ngtest-shared")),
        new RpmDatabase.Spec("ngtest-another", null, "1.0", "1.el9", null, List.of(),
            List.of("/usr/sbin/ngtest-shared"))));
    Path unowned = Files.writeString(tmp.resolve("unowned"), "x");
    Path rpm = Path.of("/usr/bin/rpm");
    PackageReport r = inventory(tmp, rpm, db).take(List.of(
        PackageInventoryTest.listening(22, "ngtest-daemon", "/usr/sbin/ngtest-daemon"),
        PackageInventoryTest.listening(23, "ngtest-shared", "/usr/sbin/ngtest-shared"),
        PackageInventoryTest.listening(24, "unowned", unowned.toString()),
        PackageInventoryTest.listening(25, "gone", "/usr/sbin/ngtest-gone")));
    assertThat(r.notes()).singleElement().asString().contains(
        "cannot ask rpm for the owner of /usr/sbin/ngtest-gone",
        "/usr/sbin/ngtest-gone: No such file or directory");
    assertThat(r.sockets()).extracting(SocketOwner::port, SocketOwner::owner).containsExactly(
        tuple(22, "ngtest-daemon"), tuple(23, "ngtest-another"), tuple(24, null),
        tuple(25, null));
    // rpm's own answer for the shared file: both, in its order
    assertThat(RpmDatabase.run(List.of(rpm.toString(), "--dbpath", db.toString(), "-qf",
        "--qf", "%{NAME}\\n", "/usr/sbin/ngtest-shared")).lines().sorted())
        .containsExactly("ngtest-another", "ngtest-daemon");
  }

  @Test
  @DisplayName("HRD-3 an rpm -qf answer that is no package name (a blank, a cut line, rpm"
      + " failing) is refused with a note naming it, the socket left without owner, never"
      + " guessed; one without end is cut at the byte limit and rpm killed")
  void socketOwners_badAnswers_refused(@TempDir Path tmp) throws Exception {
    Path list = Files.writeString(tmp.resolve("qa"), GOOD);
    record Bad(String what, String body, String note) {}
    for (Bad b : List.of(
        new Bad("blank in a name", "printf 'bash\\nfoo bar\\n'", "line 2"),
        new Bad("cut line", "printf 'bash'", "middle of a line"),
        new Bad("not-owned text with exit 0", "echo 'file /usr/sbin/d is not owned by any"
            + " package'", "line 1"),
        new Bad("rpm failing", "echo bash; exit 2", "exited 2"),
        new Bad("endless", "exec yes bash", "more than "
            + PackageInventory.MAX_RPM_OWNER_BYTES + " bytes"))) {
      Path script = script(tmp, "case \" $* \" in *\" -qa \"*) cat '" + list
          + "'; exit 0;; esac\n" + b.body());
      PackageReport r = inventory(tmp, script, fakeDb(tmp)).take(List.of(
          PackageInventoryTest.listening(22, "d", "/usr/sbin/d")));
      assertThat(r.format()).as(b.what()).isEqualTo(PackageReport.RPM);
      assertThat(r.sockets()).as(b.what()).singleElement().satisfies(o ->
          assertThat(o.owner()).isNull());
      assertThat(r.notes()).as(b.what()).singleElement().asString()
          .contains("cannot ask rpm for the owner of /usr/sbin/d", b.note());
    }
  }

  @Test
  @DisplayName("HRD-3 an rpm database rpm cannot read (its file index broken): rpm -qf still says"
      + " 'not owned by any package', with errors; the agent believes no such answer: a note"
      + " with rpm's error and no owner, asked again at the next report")
  void socketOwners_databaseError_notNotOwned(@TempDir Path tmp) throws Exception {
    Path db = RpmDatabase.build(tmp, SPECS);
    // The file index (Basenames) replaced by a table of another shape: rpm -qa still lists
    // the packages, rpm -qf fails on every lookup.
    RpmDatabase.run(List.of(RequiredProgram.require("python3").toString(), "-c",
        "import sqlite3,sys; c = sqlite3.connect(sys.argv[1]);"
            + " c.execute('DROP TABLE Basenames'); c.execute('CREATE TABLE Basenames (x)');"
            + " c.commit()", db.resolve("rpmdb.sqlite").toString()));
    Path exe = Files.writeString(tmp.resolve("ngtest-daemon"), "x");
    Process p = new ProcessBuilder("/usr/bin/rpm", "--dbpath", db.toString(), "-qf",
        exe.toString()).redirectError(tmp.resolve("rpm-errors").toFile()).start();
    String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(1);
    assertThat(said).as("rpm's own answer").isEqualTo("file " + exe
        + " is not owned by any package\n");
    assertThat(Files.readString(tmp.resolve("rpm-errors"))).contains("error:");

    PackageInventory inventory = inventory(tmp, Path.of("/usr/bin/rpm"), db);
    for (int report = 1; report <= 2; report++) {
      PackageReport r = inventory.take(List.of(
          PackageInventoryTest.listening(22, "ngtest-daemon", exe.toString())));
      assertThat(r.format()).isEqualTo(PackageReport.RPM);
      assertThat(r.packages()).hasSize(3);
      assertThat(r.sockets()).singleElement().satisfies(o -> assertThat(o.owner()).isNull());
      assertThat(r.notes()).as("report " + report).singleElement().asString().contains(
          "cannot ask rpm for the owner of " + exe, "not believed", "error:");
    }
  }

  @Test
  @DisplayName("HRD-3 a daemon still running an executable an update replaced (/proc names it"
      + " 'PATH (deleted)'): a 'restart needed' note and no owner; the new file's owner, which"
      + " rpm would name for PATH, is never looked up")
  void socketOwners_deletedExecutable_restartNeeded(@TempDir Path tmp) throws Exception {
    Path path = tmp.resolve("ngtest-daemon");
    Path db = RpmDatabase.build(tmp, List.of(new RpmDatabase.Spec("ngtest-daemon", null, "1.0",
        "1.el9", null, List.of(), List.of(path.toString()))));
    Files.copy(Path.of("/bin/sleep"), path);
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwx------"));
    Process daemon = new ProcessBuilder(path.toString(), "60").start();
    try {
      // an update: the new binary renamed over the old one, which the daemon still runs
      Path next = Files.copy(Path.of("/bin/sleep"), tmp.resolve("next"));
      Files.move(next, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      String exe = Files.readSymbolicLink(Path.of("/proc/" + daemon.pid() + "/exe")).toString();
      assertThat(exe).isEqualTo(path + " (deleted)");
      PackageReport r = inventory(tmp, Path.of("/usr/bin/rpm"), db).take(List.of(
          PackageInventoryTest.listening(22, "ngtest-daemon", exe),
          PackageInventoryTest.listening(23, "ngtest-daemon", exe)));
      assertThat(r.sockets()).extracting(SocketOwner::owner).containsExactly(null, null);
      assertThat(r.notes()).singleElement().asString().contains(exe, "restart needed");
      // what a lookup of the path would have said: the new file's package
      assertThat(RpmDatabase.run(List.of("/usr/bin/rpm", "--dbpath", db.toString(), "-qf",
          "--qf", "%{NAME}\\n", path.toString()))).isEqualTo("ngtest-daemon\n");
    } finally {
      daemon.destroyForcibly().waitFor();
    }
  }

  @Test
  @DisplayName("HRD-3 an rpm that hangs with its output open (waiting for a lock a stuck dnf"
      + " holds) is killed at the timeout: rpm -qa is a note and no list, rpm -qf a note and no"
      + " owner, the other executables not asked in that report; the report is made")
  void hungRpm_killedAtTheTimeout(@TempDir Path tmp) throws Exception {
    Path list = Files.writeString(tmp.resolve("qa"), GOOD);
    Path asked = tmp.resolve("asked");
    for (boolean hangOnList : List.of(true, false)) {
      Path script = script(tmp, "printf '%s\\n' \"$1\" >> '" + asked + "'\n"
          + (hangOnList ? "" : "case \" $* \" in *\" -qa \"*) cat '" + list + "'; exit 0;; esac\n")
          + "sleep 60");
      Files.deleteIfExists(asked);
      PackageInventory inventory = inventory(tmp, script, null, Duration.ofSeconds(2));
      Instant start = Instant.now();
      PackageReport r = inventory.take(List.of(
          PackageInventoryTest.listening(22, "a", "/usr/sbin/a"),
          PackageInventoryTest.listening(23, "b", "/usr/sbin/b"),
          PackageInventoryTest.listening(24, "c", "/usr/sbin/c")));
      assertThat(Duration.between(start, Instant.now())).as("hangOnList " + hangOnList)
          .isLessThan(Duration.ofSeconds(20));
      assertThat(r.sockets()).extracting(SocketOwner::owner).containsExactly(null, null, null);
      if (hangOnList) {
        assertThat(r.format()).isEqualTo(PackageReport.NONE);
        assertThat(r.notes()).singleElement().asString().contains(
            "cannot list the rpm packages", "rpm -qa took more than 2 s", "lock");
      } else {
        assertThat(r.format()).isEqualTo(PackageReport.RPM);
        assertThat(r.notes()).containsExactly(
            "cannot ask rpm for the owner of /usr/sbin/a: rpm -qf /usr/sbin/a took more than 2 s"
                + " and was killed; is a stuck rpm or dnf holding the rpm database's lock?",
            "rpm was not asked for the owners of 2 more listening executables (rpm hung);"
                + " asked again at the next report");
        assertThat(Files.readAllLines(asked)).containsExactly("-qa", "-qf");
      }
    }
  }
}
