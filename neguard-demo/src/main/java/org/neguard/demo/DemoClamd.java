package org.neguard.demo;

import org.neguard.io.FileTrees;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private clamd with a demo signature database, for the quickstart and the tests: real ClamAV
 * (Debian's {@code clamav-daemon}), fed a database that NEGuard builds on the spot because there
 * is no internet to run freshclam. The database detects the EICAR test file and a project-made
 * marker string only; its builder is {@value #BUILDER}, so every scan report made with it says
 * so. Never use it to judge real software: a production clamd is fed by freshclam or a private
 * mirror (docs/SCANNING.md).
 *
 * <p>Everything lives under one directory (configuration, database, sockets, log) that {@link
 * #close()} deletes after stopping the daemon by its PID.
 */
public final class DemoClamd implements AutoCloseable {
  /** The builder name sigtool writes into the demo database's header. */
  public static final String BUILDER = "NEGuard-DEMO-signatures-not-for-production";

  /** The EICAR anti-virus test file (68 bytes), as published by EICAR. */
  public static final String EICAR =
      "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

  /** A string the demo database flags as {@code NEGuard.Demo.Marker}, for tests beyond EICAR. */
  public static final String MARKER = "NEGUARD-DEMO-MALWARE-MARKER-0b7f1c9e";

  private static final DateTimeFormatter FAKETIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);

  private final Path dir;
  private final Process process;
  private final int port;
  private final Path socket;
  private final int databaseVersion;

  private DemoClamd(Path dir, Process process, int port, Path socket, int databaseVersion) {
    this.dir = dir;
    this.process = process;
    this.port = port;
    this.socket = socket;
    this.databaseVersion = databaseVersion;
  }

  /** A builder that will keep everything under {@code dir}, which must not exist yet. */
  public static Builder builder(Path dir) {
    return new Builder(dir);
  }

  /** The loopback TCP port clamd listens on. */
  public int port() {
    return port;
  }

  /** clamd's Unix socket. */
  public Path socket() {
    return socket;
  }

  /** The engine spec for the TCP socket: {@code clamd:tcp://127.0.0.1:PORT}. */
  public String tcpSpec() {
    return "clamd:tcp://127.0.0.1:" + port;
  }

  /** The engine spec for the Unix socket: {@code clamd:unix:/path}. */
  public String unixSpec() {
    return "clamd:unix:" + socket;
  }

  public long pid() {
    return process.pid();
  }

  public int databaseVersion() {
    return databaseVersion;
  }

  /** The daemon's log, for a test's failure message. */
  public String log() {
    try {
      return Files.readString(dir.resolve("clamd.log"));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Kills clamd at once (SIGKILL), as a crash would. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Stops clamd by its PID and deletes its directory. */
  @Override
  public void close() throws IOException {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    FileTrees.deleteTree(dir);
  }

  /** Settings of the private clamd; the defaults are the ones NEGuard requires (SCANNING.md). */
  public static final class Builder {
    private final Path dir;
    private int databaseVersion = 1;
    private Instant databaseBuilt;
    private long maxFileSize = 400L << 20;
    private long streamMaxLength = 400L << 20;
    private long maxScanSize = 1024L << 20;
    private int maxRecursion = 17;
    private boolean alertExceedsMax = true;
    private boolean alertEncrypted = true;
    private final Map<String, String> extraSignatures = new LinkedHashMap<>();

    private Builder(Path dir) {
      this.dir = Objects.requireNonNull(dir, "dir");
    }

    /** The database version VERSION reports (sigtool's {@code --cvd-version}). */
    public Builder databaseVersion(int version) {
      if (version < 1) {
        throw new IllegalArgumentException("databaseVersion < 1: " + version);
      }
      this.databaseVersion = version;
      return this;
    }

    /**
     * Pretends the database was built at {@code when} (to test the age policy); needs {@code
     * faketime} (Debian: faketime).
     */
    public Builder databaseBuilt(Instant when) {
      this.databaseBuilt = Objects.requireNonNull(when, "when");
      return this;
    }

    public Builder maxFileSize(long bytes) {
      this.maxFileSize = positive("maxFileSize", bytes);
      return this;
    }

    public Builder streamMaxLength(long bytes) {
      this.streamMaxLength = positive("streamMaxLength", bytes);
      return this;
    }

    public Builder maxScanSize(long bytes) {
      this.maxScanSize = positive("maxScanSize", bytes);
      return this;
    }

    public Builder maxRecursion(int levels) {
      this.maxRecursion = (int) positive("maxRecursion", levels);
      return this;
    }

    /** clamd's default is {@code no}: skipped content then answers {@code OK}. */
    public Builder alertExceedsMax(boolean on) {
      this.alertExceedsMax = on;
      return this;
    }

    /** clamd's default is {@code no}: encrypted archives then answer {@code OK}. */
    public Builder alertEncrypted(boolean on) {
      this.alertEncrypted = on;
      return this;
    }

    /** Adds a body signature: {@code name} matches the ASCII {@code text} anywhere in a file. */
    public Builder signature(String name, String text) {
      extraSignatures.put(
          Objects.requireNonNull(name, "name"),
          HexFormat.of().formatHex(text.getBytes(StandardCharsets.ISO_8859_1)));
      return this;
    }

    /**
     * Builds the database with {@code sigtool}, starts {@code clamd} in the foreground and waits
     * until it answers {@code PING}.
     *
     * @throws IOException when sigtool or clamd is missing or fails, or clamd does not come up
     *     within a minute (the message carries its log)
     */
    public DemoClamd start() throws IOException, InterruptedException {
      Files.createDirectories(dir.getParent());
      Files.createDirectory(dir);
      boolean started = false;
      Process process = null;
      try {
        Path db = dir.resolve("db");
        Files.createDirectory(db);
        buildDatabase(db);
        int port = freePort();
        Path socket = dir.resolve("clamd.sock");
        // clamd's scratch files live here too, so that close() removes what a crash leaves.
        Files.createDirectory(dir.resolve("tmp"));
        Path conf = dir.resolve("clamd.conf");
        Files.writeString(conf, config(db, port, socket));
        process =
            new ProcessBuilder(program("clamd"), "-c", conf.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("clamd.out").toFile())
                .start();
        DemoClamd clamd = new DemoClamd(dir, process, port, socket, databaseVersion);
        awaitPong(clamd, process);
        started = true;
        return clamd;
      } finally {
        if (!started) {
          if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
          }
          FileTrees.deleteTree(dir);
        }
      }
    }

    private String config(Path db, int port, Path socket) {
      return String.join(
              "\n",
              "# NEGuard demo clamd: private, loopback only, demo signatures.",
              "Foreground yes",
              "TCPSocket " + port,
              "TCPAddr 127.0.0.1",
              "LocalSocket " + socket,
              "DatabaseDirectory " + db,
              "LogFile " + dir.resolve("clamd.log"),
              "PidFile " + dir.resolve("clamd.pid"),
              "TemporaryDirectory " + dir.resolve("tmp"),
              "MaxFileSize " + maxFileSize,
              "StreamMaxLength " + streamMaxLength,
              "MaxScanSize " + maxScanSize,
              "MaxRecursion " + maxRecursion,
              "AlertExceedsMax " + (alertExceedsMax ? "yes" : "no"),
              "AlertEncrypted " + (alertEncrypted ? "yes" : "no"),
              "SelfCheck 0")
          + "\n";
    }

    private void buildDatabase(Path db) throws IOException, InterruptedException {
      Path build = dir.resolve("sigbuild");
      Files.createDirectory(build);
      List<String> ndb = new ArrayList<>();
      ndb.add("NEGuard.Demo.EICAR:0:*:"
          + HexFormat.of().formatHex(EICAR.getBytes(StandardCharsets.ISO_8859_1)));
      ndb.add("NEGuard.Demo.Marker:0:*:"
          + HexFormat.of().formatHex(MARKER.getBytes(StandardCharsets.ISO_8859_1)));
      extraSignatures.forEach((name, hex) -> ndb.add(name + ":0:*:" + hex));
      Files.write(build.resolve("daily.ndb"), ndb);
      Files.writeString(
          build.resolve("COPYING"), "NEGuard demo signatures. Not a ClamAV database.\n");
      Path log = dir.resolve("sigtool.log");
      List<String> command = new ArrayList<>();
      if (databaseBuilt != null) {
        // sigtool stamps the build time in two places (the header and daily.info, which clamd
        // compares), so the clock is what must move: libfaketime's faketime, with the clock
        // frozen (-f): a started clock would run on, and a slow sigtool stamp a later second.
        command.add(program("faketime"));
        command.add("-f");
        command.add(FAKETIME.format(databaseBuilt));
      }
      command.addAll(List.of(
          program("sigtool"),
          "--build=daily.cud",
          "--unsigned",
          "--cvd-version=" + databaseVersion,
          "--datadir=" + build));
      Process sigtool =
          new ProcessBuilder(command)
              .directory(build.toFile())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      try (OutputStream in = sigtool.getOutputStream()) {
        in.write((BUILDER + "\n").getBytes(StandardCharsets.US_ASCII)); // asks for a builder name
      }
      if (!sigtool.waitFor(60, TimeUnit.SECONDS) || sigtool.exitValue() != 0
          || !Files.exists(build.resolve("daily.cud"))) {
        sigtool.destroyForcibly();
        throw new IOException("sigtool could not build the demo database: " + Files.readString(log));
      }
      Files.move(build.resolve("daily.cud"), db.resolve("daily.cud"));
      FileTrees.deleteTree(build);
    }

    private static void awaitPong(DemoClamd clamd, Process process)
        throws IOException, InterruptedException {
      Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
      while (Instant.now().isBefore(deadline)) {
        if (!process.isAlive()) {
          throw new IOException("clamd exited with " + process.exitValue() + ": " + clamd.log());
        }
        if (Files.exists(clamd.socket) && pong(clamd.socket)) {
          return;
        }
        Thread.sleep(50);
      }
      throw new IOException("clamd did not answer PING within 60 s: " + clamd.log());
    }

    private static boolean pong(Path socket) {
      try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        ch.connect(UnixDomainSocketAddress.of(socket));
        ch.write(ByteBuffer.wrap("zPING\0".getBytes(StandardCharsets.US_ASCII)));
        InputStream in = Channels.newInputStream(ch);
        return new String(in.readNBytes(5), StandardCharsets.US_ASCII).equals("PONG\0");
      } catch (IOException e) {
        return false;
      }
    }
  }

  private static long positive(String name, long value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " < 1: " + value);
    }
    return value;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** The program's path: clamd lives in /usr/sbin, which a non-root PATH may lack. */
  private static String program(String name) throws IOException {
    for (String d : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/bin").split(":")) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
        return Path.of(d, name).toString();
      }
    }
    throw new IOException(
        name + " is not installed (Debian: apt-get install clamav-daemon clamav faketime)");
  }
}
