package org.neguard.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A server in a JVM of its own, so that a test can kill it with SIGKILL. {@link #main} is that
 * JVM's entry point; {@link #start} launches it with this JVM's class path.
 */
public final class ServerProcess implements AutoCloseable {
  final Process process;
  public final URI url;
  /** The agents' port, {@code https://host:port}. */
  public final URI deviceUrl;
  private final StringBuffer output;

  private ServerProcess(Process process, URI url, URI deviceUrl, StringBuffer output) {
    this.process = process;
    this.url = url;
    this.deviceUrl = deviceUrl;
    this.output = output;
  }

  /**
   * How the child server runs besides its data directory; a null field keeps the default.
   *
   * @param dbUrl a PostgreSQL URL (user postgres, no password), or null for the embedded one
   * @param packageStore the shared package store (fleet.packageStore), or null for DATA/packages
   * @param schedulerInterval the deployment scheduler's interval, or null for the default
   */
  public record Options(String dbUrl, Path packageStore, Duration schedulerInterval,
      ServerConfig.Repo repo) {
    static final Options DEFAULTS = new Options(null, null, null);

    public Options(String dbUrl, Path packageStore, Duration schedulerInterval) {
      this(dbUrl, packageStore, schedulerInterval, null);
    }

    /** The child's arguments after DATA_DIR and ADMIN_PASSWORD_FILE. */
    List<String> args() {
      List<String> a = new ArrayList<>();
      if (dbUrl != null) {
        a.add("--db=" + dbUrl);
      }
      if (packageStore != null) {
        a.add("--package-store=" + packageStore.toAbsolutePath());
      }
      if (schedulerInterval != null) {
        a.add("--scheduler-interval-ms=" + schedulerInterval.toMillis());
      }
      if (repo != null) {
        a.add("--repo=" + repo.publicRead() + "," + repo.timestampExpiry().toMillis() + ","
            + repo.snapshotExpiry().toMillis() + "," + repo.targetsExpiry().toMillis() + ","
            + repo.renewInterval().toMillis());
      }
      return a;
    }

    static Options parse(List<String> args) {
      Options o = DEFAULTS;
      for (String a : args) {
        String value = a.substring(a.indexOf('=') + 1);
        if (a.startsWith("--db=")) {
          o = new Options(value, o.packageStore, o.schedulerInterval, o.repo);
        } else if (a.startsWith("--package-store=")) {
          o = new Options(o.dbUrl, Path.of(value), o.schedulerInterval, o.repo);
        } else if (a.startsWith("--scheduler-interval-ms=")) {
          o = new Options(o.dbUrl, o.packageStore, Duration.ofMillis(Long.parseLong(value)),
              o.repo);
        } else if (a.startsWith("--repo=")) {
          String[] v = value.split(",");
          o = new Options(o.dbUrl, o.packageStore, o.schedulerInterval, new ServerConfig.Repo(
              Boolean.parseBoolean(v[0]), Duration.ofMillis(Long.parseLong(v[1])),
              Duration.ofMillis(Long.parseLong(v[2])), Duration.ofMillis(Long.parseLong(v[3])),
              Duration.ofMillis(Long.parseLong(v[4]))));
        } else {
          throw new IllegalArgumentException("unknown argument: " + a);
        }
      }
      return o;
    }
  }

  /** What the process wrote so far (its last 200,000 characters), for assertion messages. */
  String output() {
    return output.toString();
  }

  /**
   * Entry point of the child JVM: DATA_DIR ADMIN_PASSWORD_FILE [--db=URL]
   * [--package-store=DIR] [--scheduler-interval-ms=N] (see {@link Options}).
   */
  public static void main(String[] args) throws Exception {
    Options o = Options.parse(List.of(args).subList(2, args.length));
    ServerConfig.Builder b = ServerConfig.builder(Path.of(args[0])).port(0).quiet(true)
        .adminPasswordFile(Path.of(args[1]));
    if (o.dbUrl() != null) {
      b.database(o.dbUrl(), "postgres", "");
    }
    ServerConfig.Fleet d = ServerConfig.Fleet.defaults();
    b.fleet(new ServerConfig.Fleet(d.devicePort(), d.deviceHosts(), d.requiredApprovals(),
        o.schedulerInterval() == null ? d.schedulerInterval() : o.schedulerInterval(),
        d.certificateLifetime(), Optional.ofNullable(o.packageStore())));
    if (o.repo() != null) {
      b.repo(o.repo());
    }
    NeguardServer server = NeguardServer.start(b.build());
    // DEVICES first: the parent reads up to LISTENING.
    System.out.println("DEVICES " + server.deviceUrl());
    System.out.println("LISTENING " + server.url());
    System.out.flush();
    server.awaitStop();
  }

  static ServerProcess start(Path dataDir, Path adminPasswordFile) throws IOException {
    return start(dataDir, adminPasswordFile, Map.of());
  }

  /** Starts with {@code env} added to this JVM's environment. */
  static ServerProcess start(Path dataDir, Path adminPasswordFile, Map<String, String> env)
      throws IOException {
    return start(dataDir, adminPasswordFile, null, env, List.of("-Xmx256m"));
  }

  /**
   * Starts a server process in {@code workDir} (null: this one's) with {@code env} added to its
   * environment and {@code jvmOptions} (heap size, system properties) on its command line.
   */
  static ServerProcess start(Path dataDir, Path adminPasswordFile, Path workDir,
      Map<String, String> env, List<String> jvmOptions) throws IOException {
    return start(dataDir, adminPasswordFile, workDir, env, jvmOptions, Options.DEFAULTS);
  }

  /** As above, the child configured by {@code options}. */
  public static ServerProcess start(Path dataDir, Path adminPasswordFile, Path workDir,
      Map<String, String> env, List<String> jvmOptions, Options options) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-XX:+UseSerialGC"));
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        ServerProcess.class.getName(), dataDir.toAbsolutePath().toString(),
        adminPasswordFile.toAbsolutePath().toString()));
    cmd.addAll(options.args());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    if (workDir != null) {
      pb.directory(workDir.toFile());
    }
    pb.environment().putAll(env);
    Process p = pb.start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder seen = new StringBuilder();
    String line;
    URI deviceUrl = null;
    while ((line = out.readLine()) != null) {
      if (line.startsWith("DEVICES ")) {
        deviceUrl = URI.create(line.substring("DEVICES ".length()).trim());
      } else if (line.startsWith("LISTENING ")) {
        URI url = URI.create(line.substring("LISTENING ".length()).trim());
        StringBuffer kept = new StringBuffer();
        Thread drain = new Thread(() -> {
          try {
            String l;
            while ((l = out.readLine()) != null) { // also keeps the pipe from filling up
              kept.append(l).append('\n');
              if (kept.length() > 200_000) {
                kept.delete(0, kept.length() - 200_000);
              }
            }
          } catch (IOException e) {
            // the process ended
          }
        });
        drain.setDaemon(true);
        drain.start();
        return new ServerProcess(p, url, deviceUrl, kept);
      }
      seen.append(line).append('\n');
    }
    p.destroyForcibly();
    throw new IOException("the server process ended before listening:\n" + seen);
  }

  /** SIGKILL: no shutdown hook, no flush, no cleanup. */
  void kill9() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the server process did not die");
    }
  }

  /** What the process wrote so far, for assertion messages (public for other packages). */
  public String log() {
    return output();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill9();
    }
  }
}
