package org.neguard.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A server in a JVM of its own, so that a test can kill it with SIGKILL. {@link #main} is that
 * JVM's entry point; {@link #start} launches it with this JVM's class path.
 */
final class ServerProcess implements AutoCloseable {
  final Process process;
  final URI url;

  private ServerProcess(Process process, URI url) {
    this.process = process;
    this.url = url;
  }

  /** Entry point of the child JVM: DATA_DIR ADMIN_PASSWORD_FILE [DB_URL]. */
  public static void main(String[] args) throws Exception {
    ServerConfig.Builder b = ServerConfig.builder(Path.of(args[0])).port(0).quiet(true)
        .adminPasswordFile(Path.of(args[1]));
    if (args.length > 2) {
      b.database(args[2], "postgres", "");
    }
    NeguardServer server = NeguardServer.start(b.build());
    System.out.println("LISTENING " + server.url());
    System.out.flush();
    server.awaitStop();
  }

  static ServerProcess start(Path dataDir, Path adminPasswordFile) throws IOException {
    return start(dataDir, adminPasswordFile, java.util.Map.of());
  }

  /** Starts with {@code env} added to this JVM's environment. */
  static ServerProcess start(Path dataDir, Path adminPasswordFile,
      java.util.Map<String, String> env) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-XX:+UseSerialGC", "-Xmx256m",
        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        ServerProcess.class.getName(), dataDir.toString(), adminPasswordFile.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder seen = new StringBuilder();
    String line;
    while ((line = out.readLine()) != null) {
      if (line.startsWith("LISTENING ")) {
        URI url = URI.create(line.substring("LISTENING ".length()).trim());
        Thread drain = new Thread(() -> {
          try {
            while (out.readLine() != null) {
              // keep the pipe from filling up
            }
          } catch (IOException e) {
            // the process ended
          }
        });
        drain.setDaemon(true);
        drain.start();
        return new ServerProcess(p, url);
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

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill9();
    }
  }
}
