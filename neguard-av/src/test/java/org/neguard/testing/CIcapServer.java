package org.neguard.testing;

import org.neguard.io.FileTrees;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private c-icap (Debian {@code c-icap}) with the {@code virus_scan} service of {@code
 * libc-icap-mod-virus-scan} and its {@code clamd_mod} engine, for the ICAP tests: own
 * configuration, temporary and log files under one directory, listening on a free loopback
 * port. {@link #close()} stops it by its PID (and its worker processes by theirs) and deletes the
 * directory.
 */
public final class CIcapServer implements AutoCloseable {
  /** The virus_scan arguments NEGuard needs (docs/SCANNING-ENGINES.md). */
  public static final String NEGUARD_ARGS = "allow204=on&force=on&sizelimit=off&mode=simple";

  private final Path dir;
  private final Process process;
  private final int port;

  private CIcapServer(Path dir, Process process, int port) {
    this.dir = dir;
    this.process = process;
    this.port = port;
  }

  /** A builder keeping everything under {@code dir}, which must not exist yet. */
  public static Builder builder(Path dir) {
    return new Builder(dir);
  }

  public int port() {
    return port;
  }

  public long pid() {
    return process.pid();
  }

  /** {@code icap://127.0.0.1:PORT/SERVICE}. */
  public String spec(String service) {
    return "icap://127.0.0.1:" + port + "/" + service;
  }

  /** c-icap's own temporary directory (its {@code TmpDir}), where it spools bodies to scan. */
  public Path tmpDir() {
    return dir.resolve("tmp");
  }

  /** The server log, for a failing test's message. */
  public String log() {
    StringBuilder b = new StringBuilder();
    for (String name : List.of("server.log", "c-icap.out")) {
      try {
        b.append("--- ").append(name).append('\n').append(Files.readString(dir.resolve(name)));
      } catch (IOException e) {
        b.append("--- ").append(name).append(": ").append(e.getMessage()).append('\n');
      }
    }
    return b.toString();
  }

  /** Stops c-icap and its children by PID and deletes its directory. */
  @Override
  public void close() throws IOException {
    List<ProcessHandle> children = process.descendants().toList();
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
      for (ProcessHandle child : children) {
        if (child.isAlive()) {
          child.destroyForcibly();
          child.onExit().get(10, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      throw new IOException("c-icap worker did not stop: " + e.getMessage(), e);
    } finally {
      FileTrees.deleteTree(dir);
    }
  }

  /** Settings of the private c-icap. */
  public static final class Builder {
    private final Path dir;
    private Path clamdSocket;
    private String maxObjectSize = "100M";
    private String scanFileTypes = "TEXT DATA EXECUTABLE ARCHIVE GIF JPEG MSOFFICE";

    private Builder(Path dir) {
      this.dir = Objects.requireNonNull(dir, "dir");
    }

    /** The clamd Unix socket virus_scan's clamd_mod scans through (required). */
    public Builder clamdSocket(Path socket) {
      this.clamdSocket = Objects.requireNonNull(socket, "socket");
      return this;
    }

    /** {@code virus_scan.MaxObjectSize}, c-icap's syntax ({@code 5M}); default 100M. */
    public Builder maxObjectSize(String size) {
      this.maxObjectSize = Objects.requireNonNull(size, "size");
      return this;
    }

    /** {@code virus_scan.ScanFileTypes}; default Debian's list. */
    public Builder scanFileTypes(String types) {
      this.scanFileTypes = Objects.requireNonNull(types, "types");
      return this;
    }

    /** Starts c-icap in the foreground and waits until virus_scan answers OPTIONS. */
    public CIcapServer start() throws IOException, InterruptedException {
      Objects.requireNonNull(clamdSocket, "clamdSocket");
      Path program = RequiredProgram.require("c-icap");
      Files.createDirectories(dir.getParent());
      Files.createDirectory(dir);
      Files.createDirectory(dir.resolve("tmp"));
      Process process = null;
      boolean started = false;
      try {
        int port = freePort();
        Path conf = dir.resolve("c-icap.conf");
        Files.writeString(conf, config(port));
        process = new ProcessBuilder(program.toString(), "-N", "-f", conf.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("c-icap.out").toFile())
            .start();
        CIcapServer server = new CIcapServer(dir, process, port);
        awaitOptions(server, process);
        started = true;
        return server;
      } finally {
        if (!started) {
          if (process != null) {
            List<ProcessHandle> children = process.descendants().toList();
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            children.forEach(ProcessHandle::destroyForcibly);
          }
          FileTrees.deleteTree(dir);
        }
      }
    }

    private String config(int port) throws IOException {
      Path modulesDir = modulesDir();
      return String.join("\n",
          "# NEGuard test c-icap: private, loopback only.",
          "PidFile " + dir.resolve("c-icap.pid"),
          "CommandsSocket " + dir.resolve("c-icap.ctl"),
          "Port 127.0.0.1:" + port,
          "Timeout 60",
          "StartServers 1",
          "MaxServers 1",
          "MinSpareThreads 2",
          "MaxSpareThreads 8",
          "ThreadsPerChild 8",
          "TmpDir " + dir.resolve("tmp"),
          "ModulesDir " + modulesDir,
          "ServicesDir " + modulesDir,
          "TemplateDir /usr/share/c_icap/templates/",
          "LoadMagicFile /etc/c-icap/c-icap.magic",
          "ServerLog " + dir.resolve("server.log"),
          "AccessLog " + dir.resolve("access.log"),
          "DebugLevel 1",
          "Service antivirus_module virus_scan.so",
          "# The alias docs/SCANNING-ENGINES.md recommends for NEGuard.",
          "ServiceAlias neguard virus_scan?" + NEGUARD_ARGS,
          "virus_scan.ScanFileTypes " + scanFileTypes,
          "virus_scan.SendPercentData 0",
          "virus_scan.MaxObjectSize " + maxObjectSize,
          "Module common clamd_mod.so",
          "clamd_mod.ClamdSocket " + clamdSocket)
          + "\n";
    }

    /** Debian's multiarch directory holding virus_scan.so (x86_64, aarch64...). */
    private static Path modulesDir() throws IOException {
      try (Stream<Path> dirs = Files.list(Path.of("/usr/lib"))) {
        return dirs.map(d -> d.resolve("c_icap"))
            .filter(d -> Files.exists(d.resolve("virus_scan.so")))
            .findFirst()
            .orElseThrow(() -> new IOException("virus_scan.so not found under"
                + " /usr/lib/*/c_icap (Debian: apt-get install libc-icap-mod-virus-scan)"));
      }
    }

    private static void awaitOptions(CIcapServer server, Process process)
        throws IOException, InterruptedException {
      Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
      while (Instant.now().isBefore(deadline)) {
        if (!process.isAlive()) {
          throw new IOException("c-icap exited with " + process.exitValue() + ": "
              + server.log());
        }
        if (answersOptions(server.port)) {
          return;
        }
        Thread.sleep(50);
      }
      throw new IOException("c-icap did not answer OPTIONS within 30 s: " + server.log());
    }

    private static boolean answersOptions(int port) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
        s.setSoTimeout(2000);
        OutputStream out = s.getOutputStream();
        out.write(("OPTIONS icap://127.0.0.1:" + port + "/virus_scan ICAP/1.0\r\n"
            + "Host: 127.0.0.1\r\nConnection: close\r\nEncapsulated: null-body=0\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        return new String(in.readNBytes(15), StandardCharsets.US_ASCII)
            .equals("ICAP/1.0 200 OK");
      } catch (IOException e) {
        return false;
      }
    }
  }

  /** A loopback port nothing listens on right now. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
