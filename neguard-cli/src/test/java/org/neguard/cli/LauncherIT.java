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
    // A first run trains the launcher's cache (a quickstart, then a training run): minutes on a
    // loaded 2-core machine.
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

  @Test
  void quickstart_throughLauncher_printsPassAndRefusal() throws IOException, InterruptedException {
    Path launcher = Path.of("..", "neguard").toAbsolutePath().normalize();
    assertThat(launcher).isExecutable();
    Path log = dir.resolve("out.txt");
    Process p = new ProcessBuilder(launcher.toString(), "quickstart", "--dir",
            dir.resolve("qs").toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    assertThat(p.waitFor(8, TimeUnit.MINUTES)).isTrue();
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).doesNotContain("building"); // the jar was fresh: no rebuild
    assertThat(out).contains("PASS", "DIGEST_MISMATCH", "Quickstart done");
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
    // The launcher's first run trains its cache (class-data archive or AOT cache) with a whole
    // quickstart: minutes on a loaded 2-core machine, before the command itself runs.
    assertThat(p.waitFor(6, TimeUnit.MINUTES)).isTrue();
    String json = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(json).isZero();
    assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(json)
        .path("package").path("name").asText()).as(json).isEqualTo("x");
    assertThat(json.strip()).startsWith("{").endsWith("}");
  }
}
