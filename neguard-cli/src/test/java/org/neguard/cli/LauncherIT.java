package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command, as a new user types it: {@code ./neguard quickstart}, through the
 * launcher and the packaged jar, in a separate process. Every test here runs on the JDK the
 * launcher picks on this machine (a JDK 25 or newer with its AOT cache where one is installed,
 * else the default JDK with class-data sharing), so what users run is what is tested.
 */
class LauncherIT {
  private static final int AOT_MIN = 25;
  private static final Pattern DEBUG =
      Pattern.compile("(?m)^neguard: java (\\S+), cache: (none|cds|aot)( (\\S+))?$");
  private static final Pattern RUNTIME =
      Pattern.compile("(?m)^Java (\\d+)\\S* \\(.*\\) in (\\S+)$");

  @TempDir Path dir;

  private static Path launcher() {
    return Path.of("..", "neguard").toAbsolutePath().normalize();
  }

  /** What a run printed: stdout and stderr apart (the launcher's own lines go to stderr). */
  private record Run(int exit, String out, String err) {}

  private Run run(Map<String, String> env, List<String> unset, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(launcher().toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    unset.forEach(pb.environment()::remove);
    pb.environment().putAll(env);
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    // A first run trains the launcher's cache (the quickstart's package steps, and on a JDK 25 a
    // training run after them), before the command: a minute or more on a loaded 2-core machine.
    assertThat(p.waitFor(10, TimeUnit.MINUTES)).isTrue();
    return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  /** The feature version in a JDK's release file (25 for JAVA_VERSION="25.0.3"), or 0. */
  private static int feature(Path home) {
    try {
      Matcher m = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)")
          .matcher(Files.readString(home.resolve("release"), StandardCharsets.UTF_8));
      return m.find() ? Integer.parseInt(m.group(1)) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  /** The newest JDK 25 or newer the launcher's rules allow: JAVA_HOME's, else the usual places. */
  private static int newestAotJdk() throws IOException {
    String javaHome = System.getenv("JAVA_HOME");
    if (javaHome != null && Files.isExecutable(Path.of(javaHome, "bin", "java"))
        && feature(Path.of(javaHome)) >= AOT_MIN) {
      return feature(Path.of(javaHome));
    }
    int best = 0;
    for (String place : List.of("/usr/lib/jvm", "/usr/java", "/opt/java")) {
      Path d = Path.of(place);
      if (Files.isDirectory(d)) {
        try (var homes = Files.list(d)) {
          for (Path home : (Iterable<Path>) homes::iterator) {
            if (Files.isExecutable(home.resolve("bin/java"))) {
              best = Math.max(best, feature(home));
            }
          }
        }
      }
    }
    return best >= AOT_MIN ? best : 0;
  }

  @Test
  void version_throughLauncher_runsOnThePickedJdkWithItsCache() throws Exception {
    // Issue 17: a JDK 25 or newer where one is installed, with the AOT cache; else class-data
    // sharing. The launcher says what it picked, and the JVM that ran says what it is.
    Run r = run(Map.of("NEGUARD_LAUNCHER_DEBUG", "1"), List.of("NEGUARD_AOT", "NEGUARD_CDS",
        "NEGUARD_JDK_DIRS", "NEGUARD_CACHE_DIR"), "--version");
    assertThat(r.exit()).as(r.err()).isZero();
    Matcher said = DEBUG.matcher(r.err());
    assertThat(said.find()).as(r.err()).isTrue();
    Matcher ran = RUNTIME.matcher(r.out());
    assertThat(ran.find()).as(r.out()).isTrue();
    Path home = Path.of(ran.group(2));
    assertThat(Path.of(said.group(1))).isEqualTo(home.resolve("bin/java").toRealPath());
    int expected = newestAotJdk();
    if (expected > 0) {
      assertThat(Integer.parseInt(ran.group(1))).as(r.out()).isEqualTo(expected);
      assertThat(said.group(2)).as(r.err() + " (see neguard-cli/target/neguard-aot.log)")
          .isEqualTo("aot");
    } else {
      assertThat(Integer.parseInt(ran.group(1))).isLessThan(AOT_MIN);
      assertThat(said.group(2)).as(r.err()).isEqualTo("cds");
    }
    assertThat(Path.of(said.group(4))).isRegularFile();
    assertThat(r.err()).doesNotContain("warning", "no AOT cache");
  }

  /**
   * A JDK home whose release file says {@code version}, in front of the JDK running this test; its
   * java refuses the training's quickstart (as on a machine without ClamAV), so no cache is made.
   */
  private Path fakeJdk(String name, String version) throws IOException {
    Path home = Files.createDirectories(dir.resolve("jdks").resolve(name).resolve("bin"))
        .getParent();
    Files.writeString(home.resolve("release"), "JAVA_VERSION=\"" + version + "\"\n");
    Path java = home.resolve("bin/java");
    Files.writeString(java, "#!/bin/sh\n"
        + "for a; do [ \"$a\" = quickstart ] && { echo refused >&2; exit 1; }; done\n"
        + "exec '" + Path.of(System.getProperty("java.home"), "bin", "java") + "' \"$@\"\n");
    assertThat(java.toFile().setExecutable(true)).isTrue();
    return home;
  }

  @Test
  void jdkChoice_javaHomeWhenNewEnough_elseTheNewestJdk25OrLater() throws Exception {
    Path old = fakeJdk("jdk-24", "24.0.2");
    Path newer = fakeJdk("jdk-26", "26");
    Path newest = fakeJdk("jdk-30", "30.0.1");
    Map<String, String> env = Map.of("NEGUARD_JDK_DIRS", dir.resolve("jdks").toString() + "/*",
        "NEGUARD_CACHE_DIR", dir.resolve("cache").toString(), "NEGUARD_LAUNCHER_DEBUG", "1");
    List<String> unset = List.of("JAVA_HOME", "NEGUARD_AOT");
    Map<String, String> withHome = new java.util.HashMap<>(env);

    assertThat(run(env, unset, "--version").err()).contains("java " + newest.resolve("bin/java"));
    withHome.put("JAVA_HOME", newer.toString());
    assertThat(run(withHome, List.of("NEGUARD_AOT"), "--version").err())
        .contains("java " + newer.resolve("bin/java"));
    withHome.put("JAVA_HOME", old.toString()); // too old for an AOT cache: the newest instead
    assertThat(run(withHome, List.of("NEGUARD_AOT"), "--version").err())
        .contains("java " + newest.resolve("bin/java"));
    withHome.put("NEGUARD_AOT", "0"); // no search: JAVA_HOME's, with class-data sharing
    assertThat(run(withHome, List.of(), "--version").err())
        .contains("java " + old.resolve("bin/java"));
  }

  @Test
  void aotTraining_thatFails_runsTheCommandWithoutCacheAndSaysSoOnce() throws Exception {
    Path home = fakeJdk("jdk-99", "99.0.1");
    Path java = home.resolve("bin/java");
    Map<String, String> env = Map.of("NEGUARD_JDK_DIRS", home.toString(),
        "NEGUARD_CACHE_DIR", dir.resolve("cache").toString(), "NEGUARD_LAUNCHER_DEBUG", "1");
    List<String> unset = List.of("JAVA_HOME", "NEGUARD_AOT");

    Run first = run(env, unset, "--version");
    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(first.out()).startsWith("neguard ");
    assertThat(first.err()).contains("neguard: java " + java + ", cache: none");
    assertThat(first.err().split("no AOT cache", -1)).as(first.err()).hasSize(2);
    assertThat(dir.resolve("cache/neguard-aot.log")).content().contains("refused");

    Run second = run(env, unset, "--version");
    assertThat(second.exit()).as(second.err()).isZero();
    assertThat(second.err()).contains("cache: none").doesNotContain("no AOT cache");
  }

  @Test
  void cdsTraining_thatFails_runsTheCommandWithoutArchiveAndIsNotRetried() throws Exception {
    // A JDK older than 25 trains a class-data archive; a training that fails (a JDK 17 crashed
    // dumping one) must not be run again before every command, as it was.
    Path home = fakeJdk("jdk-17", "17.0.15");
    Map<String, String> env = Map.of("JAVA_HOME", home.toString(), "NEGUARD_AOT", "0",
        "NEGUARD_CACHE_DIR", dir.resolve("cache").toString(), "NEGUARD_LAUNCHER_DEBUG", "1");
    List<String> unset = List.of("NEGUARD_CDS", "NEGUARD_JDK_DIRS");

    Run first = run(env, unset, "--version");
    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(first.out()).startsWith("neguard ");
    assertThat(first.err()).contains("cache: none");
    assertThat(first.err().split("no class-data-sharing archive", -1)).as(first.err())
        .hasSize(2);
    assertThat(dir.resolve("cache/neguard-cds.jsa.java")).content().startsWith("failed ");

    Run second = run(env, unset, "--version");
    assertThat(second.exit()).as(second.err()).isZero();
    assertThat(second.err()).contains("cache: none")
        .doesNotContain("no class-data-sharing archive");
  }

  @Test
  void aotTraining_inACacheDirectoryThatCannotBeWritten_runsTheCommandWithoutCache()
      throws Exception {
    Path home = fakeJdk("jdk-99", "99");
    Path notADirectory = Files.writeString(dir.resolve("file"), "x");
    Run r = run(Map.of("NEGUARD_JDK_DIRS", home.toString(),
            "NEGUARD_CACHE_DIR", notADirectory.resolve("cache").toString()),
        List.of("JAVA_HOME", "NEGUARD_AOT"), "--version");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("neguard ");
    assertThat(r.err().split("no AOT cache", -1)).as(r.err()).hasSize(2);
  }

  /**
   * 'neguard agent --config FILE' with a file that does not exist (the agent's exit 2), none of
   * the agent's launcher variables but those in env.
   */
  private Run agentWithoutConfig(Map<String, String> env) throws Exception {
    return run(env, List.of("NEGUARD_AGENT_OPTS", "NEGUARD_AGENT_CDS", "NEGUARD_JAVA_OPTS"),
        "agent", "--config", dir.resolve("no-such-agent.properties").toString());
  }

  @Test
  void agent_throughLauncher_dumpsItsOwnClassDataArchiveAndRunsWithIt() throws Exception {
    // Issue 14: the agent's classes from neguard-cli/src/main/jvm/agent.classlist, dumped once
    // per build and JVM. The JVM's class-loading log shows the agent's main class coming from a
    // shared archive, which only the agent's own archive holds (the JDK's has no application
    // class); exit 2 is the agent's configuration error.
    Path cache = dir.resolve("cache");
    Map<String, String> env = Map.of("NEGUARD_CACHE_DIR", cache.toString(),
        "NEGUARD_JAVA_OPTS", "-Xlog:class+load=info:stderr");
    Run first = agentWithoutConfig(env);
    assertThat(first.exit()).as(first.err() + first.out()).isEqualTo(2);
    assertThat(first.out() + first.err()).contains("config_error");
    assertThat(first.err()).contains("org.neguard.agent.Agent source: shared objects file");
    assertThat(cache.resolve("neguard-agent.jsa")).isRegularFile();
    assertThat(cache.resolve("neguard-agent.jsa.java")).content().startsWith("ok ");
    assertThat(first.err()).doesNotContain("no class-data archive");
    long made = Files.getLastModifiedTime(cache.resolve("neguard-agent.jsa")).toMillis();

    Run second = agentWithoutConfig(env);
    assertThat(second.exit()).as(second.err()).isEqualTo(2);
    assertThat(second.err()).contains("org.neguard.agent.Agent source: shared objects file");
    assertThat(Files.getLastModifiedTime(cache.resolve("neguard-agent.jsa")).toMillis())
        .as("the archive is reused, not dumped again").isEqualTo(made);
  }

  @Test
  void agent_whoseArchiveDumpFails_stillStartsAndSaysSoOnce() throws Exception {
    // A JVM that refuses -Xshare:dump (as one without CDS would): the agent runs with the JDK's
    // default archive; the launcher says so once, and does not retry until the jars or JVM change.
    Path home = Files.createDirectories(dir.resolve("jdk/bin")).getParent();
    Path java = home.resolve("bin/java");
    Files.writeString(java, "#!/bin/sh\n"
        + "for a; do [ \"$a\" = -Xshare:dump ] && { echo refused >&2; exit 1; }; done\n"
        + "exec '" + Path.of(System.getProperty("java.home"), "bin", "java") + "' \"$@\"\n");
    assertThat(java.toFile().setExecutable(true)).isTrue();
    Path cache = dir.resolve("cache");
    Map<String, String> env = Map.of("NEGUARD_CACHE_DIR", cache.toString(),
        "JAVA_HOME", home.toString());

    Run first = agentWithoutConfig(env);
    assertThat(first.exit()).as(first.err()).isEqualTo(2);
    assertThat(first.out() + first.err()).contains("config_error");
    assertThat(first.err().split("no class-data archive for the agent", -1)).as(first.err())
        .hasSize(2);
    assertThat(cache.resolve("neguard-agent.jsa")).doesNotExist();
    assertThat(cache.resolve("neguard-agent.jsa.log")).content().contains("refused");

    Run second = agentWithoutConfig(env);
    assertThat(second.exit()).as(second.err()).isEqualTo(2);
    assertThat(second.err()).doesNotContain("no class-data archive");
  }

  /**
   * The whole quickstart, through the launcher, checked step by step: the one run of it in the
   * tests (its server's and agent's steps were run apart in ServerCliTest too, and the whole
   * in-process in PkgCommandsTest: three runs of the slowest command of the suite).
   */
  @Test
  @DisplayName("AV-1 AV-2 AV-3 INT-3 INT-4 SRC-2 OBJ-1 ATT-1..4 OBJ-2 REC-1 REC-2 HRD-3 the"
      + " README's first command, './neguard quickstart', every step as it documents it")
  void quickstart_throughLauncher_everyStepAsDocumented() throws Exception {
    Path qs = dir.resolve("qs");
    Run r = run(Map.of("NEGUARD_LAUNCHER_DEBUG", "1"), List.of(), "quickstart", "--dir",
        qs.toString());
    String out = r.out() + r.err();
    Matcher picked = DEBUG.matcher(r.err());
    assertThat(picked.find()).as(r.err()).isTrue();
    assertThat(r.exit()).as(out).isZero();
    assertThat(out).doesNotContain("building"); // the jar was fresh: no rebuild
    assertThat(out).contains("Quickstart done");
    // The package: scanned (AV-1, AV-3), signed, verified, a changed byte refused (INT-4).
    assertThat(out).contains("PASS", "FAIL", "DIGEST_MISMATCH", "lib/libs1ap.so",
        "INFECTED", "NEGuard.Demo.EICAR", "lib/plugin.dat");
    assertThat(qs.resolve("scan-report.html")).content().contains("ClamAV", "DEMO");
    assertThat(qs.resolve("clamd")).doesNotExist();
    // The server: upload verified, the tampered copy refused, four-eyes deployment (SRC-2).
    assertThat(out).contains("== 9. Start an OAM server", "STORED  sample-mme 1.0.0",
        "FOUR_EYES", "6 succeeded, 0 failed, 0 refused of 6", "PASS  audit chain intact",
        "server was stopped");
    // The server's own refusal (step 7's local verify prints the same line): nothing stored.
    String upload = out.substring(out.indexOf("== 12. Upload the tampered copy"),
        out.indexOf("== 13. "));
    assertThat(upload).contains("$ neguard pkg upload", "FAIL  "
        + qs.resolve("sample-mme-1.0.0-tampered.ngp"), "DIGEST_MISMATCH", "lib/libs1ap.so")
        .doesNotContain("STORED");
    assertThat(out).containsPattern("Web console: http://127\\.0\\.0\\.1:\\d+/console"
        + " \\(log in as admin, the password is in \\S+admin-password\\.txt\\)");
    // The repository (OBJ-1, INT-4): two holders' keys, one signature refused, two published;
    // NEGuard's client and tuf-js (a client written by others) fetch the same bytes.
    assertThat(out).contains("$ neguard repo key new", "$ neguard repo init", "1 of 2",
        "REPO_SIGNATURE", "2 of 2", "Published root version 1", "$ neguard repo verify",
        "Downloaded sample-mme-1.0.0.ngp", TufJs.HARNESS);
    assertThat(qs.resolve("repository/fetched/sample-mme-1.0.0.ngp"))
        .hasSameBinaryContentAs(qs.resolve("sample-mme-1.0.0.ngp"));
    boolean tufJsHere = TufJs.harness() != null
        && Files.isDirectory(TufJs.harness().resolveSibling("node_modules"));
    if ("true".equalsIgnoreCase(System.getenv("CI")) || tufJsHere) {
      // In CI tuf-js must have run (the quickstart fails otherwise) and fetched the same bytes;
      // elsewhere without 'npm ci' the quickstart prints the command that would have run.
      assertThat(out).contains("\"ok\":true").doesNotContain("(not run:");
      assertThat(qs.resolve("repository/tuf-js/targets/sample-mme-1.0.0.ngp"))
          .hasSameBinaryContentAs(qs.resolve("sample-mme-1.0.0.ngp"));
    }
    // AV-2 (issue 16): held for CVE-2026-24061 (critical), a bare "not affected" refused, a
    // reasoned one publishes it.
    assertThat(out).contains("== 19. A package whose signed SBOM", "$ neguard vulndb import",
        "--vulndb", "KNOWN_VULNERABILITY", "held, not published", "CVE-2026-24061",
        "HELD  sample-telnet-gw 1.0.0", "CRITICAL", "without a reason",
        "PUBLISHED  sample-telnet-gw 1.0.0");
    // INT-3 REC-1: a real agent installs, upgrades, and rolls back by itself a version whose
    // health check fails.
    assertThat(out).contains("== 20. A real NE agent", "\"event\":\"enrolled\"",
        "\"event\":\"verified_extracted\"", "current -> versions/sample-mme@1.0.0",
        "previous -> versions/sample-mme@1.0.0", "\"event\":\"rolled_back\"",
        "HEALTH_CHECK_FAILED");
    // ATT-1..4, OBJ-2, REC-2: a validated update, a file changed on the NE named, the NE
    // quarantined, a recovery campaign bringing it back to trusted.
    assertThat(out).contains("== 24. Platform integrity", "AFTER_UPDATE",
        "changed etc/mme.conf", "quarantined", "Created recovery campaign");
    assertThat(out).contains("== 25. Port drift", "\"event\":\"drift\"",
        "\"event\":\"drift_resolved\"", "The agent was stopped");
    // HRD-3: the NE's findings next to its ports after the demo feed's import, without a
    // restart: openjdk-17 reachable through the server's own ports (a java process),
    // inetutils-telnetd dormant (telnetd is not listening); the fleet by advisory.
    String vulns = out.substring(out.indexOf("== 26. Vulnerabilities of what the NE runs"),
        out.indexOf("== 27. Read the hash-chained"));
    assertThat(vulns).contains("\"event\":\"packages_reported\"", "ASSESSED; ",
        "Feed debian-12-demo-osv.zip", "openjdk-17-jre-headless", "DEBIAN-CVE-2025-30698",
        "17.0.15+6-1~deb12u1", "DEBIAN-CVE-2026-32746", "dormant", "Fleet: ASSESSED; ",
        "NES (REACHABLE)");
    // The server's ports belong to the java the launcher picked: Debian's openjdk-17 makes its
    // advisories reachable through them; a JDK no package owns (a Temurin under /usr/lib/jvm)
    // leaves them "(no package)" and openjdk-17 dormant.
    String owner = dpkgOwner(Path.of(picked.group(1)));
    if (owner.contains("openjdk-17-jre-headless")) {
      assertThat(vulns).containsPattern("DEBIAN-CVE-2025-\\d+ +UNKNOWN +openjdk-17-jre-headless"
          + " +17.0.14\\+7-1 +17.0.15\\+6-1~deb12u1 +tcp/\\d+ \\(java\\)");
      assertThat(vulns).containsPattern("DEBIAN-CVE-2025-\\d+ +UNKNOWN +openjdk-17-jre-headless"
          + " +1 \\(1\\) +17.0.15\\+6-1~deb12u1");
    } else if (!owner.isEmpty()) { // another packaged JDK: its package owns the ports
      assertThat(vulns).containsPattern("tcp/\\d+ +\\S+ +java +"
          + Pattern.quote(owner.substring(0, owner.indexOf(':'))));
    } else {
      assertThat(vulns).containsPattern("tcp/\\d+ +\\S+ +java +\\(no package\\)");
      assertThat(vulns).containsPattern("DEBIAN-CVE-2025-\\d+ +UNKNOWN +openjdk-17-jre-headless"
          + " +17.0.14\\+7-1 +17.0.15\\+6-1~deb12u1 +dormant");
    }
    assertThat(vulns).containsPattern("DEBIAN-CVE-2026-32746 .*inetutils-telnetd +1 \\(0\\) ");
    Path ne = qs.resolve("ne-" + QuickstartAgent.DEVICE);
    // The package list sent once whole, then as its digest only while unchanged.
    assertThat(Files.readString(ne.resolve("agent.log"))).contains(
        "\"event\":\"packages_reported\",\"format\":\"dpkg\",\"release\":\"Debian:12\"",
        "\"listSent\":true", "\"listSent\":false");
    // Installed 1.0.0, upgraded to 1.1.0, 1.2.0 failed its check: back on 1.1.0 by itself;
    // then 1.1.0's tree changed on the NE, quarantined, and the recovery reinstalled 1.0.0.
    assertThat(Files.readSymbolicLink(ne.resolve("install/current")).toString())
        .isEqualTo("versions/sample-mme@1.0.0");
    assertThat(Files.readSymbolicLink(ne.resolve("install/previous")).toString())
        .isEqualTo("versions/sample-mme@1.1.0");
    assertThat(Files.readAllLines(ne.resolve("service.log"))).hasSize(5)
        .satisfies(l -> assertThat(l.get(0)).contains("mme 1.0.0 started"))
        .satisfies(l -> assertThat(l.get(1)).contains("mme 1.1.0 started"))
        .satisfies(l -> assertThat(l.get(2)).contains("mme 1.2.0 started"))
        .satisfies(l -> assertThat(l.get(3)).contains("mme 1.1.0 started"))
        .satisfies(l -> assertThat(l.get(4)).contains("mme 1.0.0 started"));
    assertThat(Files.readString(ne.resolve("state/installed.json"))).contains("\"1.0.0\"");
    assertThat(out).contains("== 27. Read the hash-chained");
    assertThat(qs.resolve("hardening/hardening-report.html")).content().contains("mme");
  }

  /** The packages dpkg says own {@code file} (its real path), or "" for none. */
  private static String dpkgOwner(Path file) throws Exception {
    // The quickstart's step 26 reads dpkg's database too: without dpkg it fails first.
    Process p = new ProcessBuilder("dpkg", "-S", file.toRealPath().toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(1, TimeUnit.MINUTES)).isTrue();
    return p.exitValue() == 0 ? out : "";
  }

  @Test
  void jsonOutput_throughLauncher_isOneJsonObjectOnStdout() throws Exception {
    // The launcher's JVM options (compiler directives) must not print into --json output.
    Path launcher = Path.of("..", "neguard").toAbsolutePath().normalize();
    Path tree = Files.createDirectories(dir.resolve("tree"));
    Files.writeString(tree.resolve("a.txt"), "a\n");
    Path out = dir.resolve("out.json");
    Process p = new ProcessBuilder(launcher.toString(), "pkg", "build", "--name", "x", "--version",
            "1", "--security-version", "1", "--ne-type", "mme", "--vendor", "v", "--from",
            tree.toString(), "--out", dir.resolve("x.ngp").toString(), "--json")
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .redirectOutput(out.toFile())
        .start();
    // The launcher's first run trains its cache (class-data archive or AOT cache) on the
    // quickstart's package steps, before the command itself runs.
    assertThat(p.waitFor(6, TimeUnit.MINUTES)).isTrue();
    String json = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(json).isZero();
    assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(json)
        .path("package").path("name").asText()).as(json).isEqualTo("x");
    assertThat(json.strip()).startsWith("{").endsWith("}");
  }
}
