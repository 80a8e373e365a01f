package org.neguard.tuf;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A repository the writer produced, on disk and served over HTTP on 127.0.0.1 by the JDK's own
 * server, with a client that trusts its first root. Tests alter the files (or override a path's
 * response) to play the attacker: a mirror, a man in the middle, or a holder of an old key.
 */
final class TufRepo implements AutoCloseable {
  static final Instant NOW = Instant.parse("2026-12-04T12:00:00Z");

  final Path dir;
  final Path repoDir;
  final Path stateDir;
  final Path downloads;
  final Path sources;
  final MutableClock clock;
  final List<SigningKey> rootKeys = new ArrayList<>();
  OnlineKeys online;
  RootMetadata root;
  final List<Metadata> roots = new ArrayList<>();
  Published published;
  final Map<String, Path> contents = new TreeMap<>();
  final List<TargetFile> targets = new ArrayList<>();
  private final HttpServer server;
  final List<String> requests = new CopyOnWriteArrayList<>();
  final AtomicLong bytesServed = new AtomicLong();
  /** Responses that replace a file: by path under the repository ("metadata/timestamp.json"). */
  final Map<String, Supplier<InputStream>> overrides = new ConcurrentHashMap<>();

  TufRepo(Path dir) throws IOException {
    this(dir, NOW);
  }

  /** A repository whose metadata is issued at {@code now} (the interop test: the real time). */
  TufRepo(Path dir, Instant now) throws IOException {
    this.dir = dir;
    this.clock = new MutableClock(now);
    this.repoDir = Files.createDirectories(dir.resolve("repo"));
    this.stateDir = dir.resolve("state");
    this.downloads = Files.createDirectories(dir.resolve("downloads"));
    this.sources = Files.createDirectories(dir.resolve("sources"));
    for (int i = 0; i < 3; i++) {
      rootKeys.add(SigningKey.generate(i == 2 ? KeyType.ECDSA_P256 : KeyType.ED25519));
    }
    online = new OnlineKeys(SigningKey.generate(KeyType.ECDSA_P256),
        SigningKey.generate(KeyType.ED25519), SigningKey.generate(KeyType.ECDSA_P256));
    root = RootBuilder.create(now.plus(Expiries.ROOT))
        .role(Role.ROOT, rootKeys.stream().map(SigningKey::key).toList(), 2)
        .role(Role.TARGETS, List.of(online.targets().key()), 1)
        .role(Role.SNAPSHOT, List.of(online.snapshot().key()), 1)
        .role(Role.TIMESTAMP, List.of(online.timestamp().key()), 1)
        .build();
    roots.add(root.toMetadata().sign(rootKeys.get(0)).sign(rootKeys.get(1)));
    addTarget("nms-agent-1.0.0.ngp", "the first package".getBytes(StandardCharsets.UTF_8));
    published = RepositoryWriter.publish(root, online, targets, Versions.NONE,
        Expiries.defaults(now));
    writeAll();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/repo/", this::serve);
    server.start();
  }

  URI base() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/repo/");
  }

  /** Adds a target whose file holds {@code bytes} (published at the next publish). */
  TargetFile addTarget(String name, byte[] bytes) throws IOException {
    Path file = sources.resolve(name);
    Files.write(file, bytes);
    String sha = HexFormat.of().formatHex(Crypto.sha256().digest(bytes));
    TargetFile t = TargetFile.of(name, bytes.length, sha,
        new NeguardCustom(name.replaceAll("-\\d.*", ""), "1.0.0", 3, "MME", "sha256:" + sha));
    targets.add(t);
    contents.put(name, file);
    return t;
  }

  Published publish() throws IOException {
    return publish(Expiries.defaults(clock.instant()));
  }

  Published publish(Expiries expiries) throws IOException {
    published = RepositoryWriter.publish(root, online, targets, published.versions(), expiries);
    writeAll();
    return published;
  }

  Published renewTimestamp(Instant expires) throws IOException {
    published = RepositoryWriter.renewTimestamp(root, online, published, expires);
    writeAll();
    return published;
  }

  /** A new root, signed by the given keys, published with targets, snapshot and timestamp. */
  void publishRoot(RootMetadata next, OnlineKeys keys, SigningKey... signers) throws IOException {
    Metadata md = next.toMetadata();
    for (SigningKey k : signers) {
      md = md.sign(k);
    }
    roots.add(md);
    root = next;
    online = keys;
    publish();
  }

  void writeAll() throws IOException {
    RepositoryLayout.write(repoDir, roots, published, contents);
  }

  Path metadataFile(String name) {
    return repoDir.resolve(RepositoryLayout.METADATA).resolve(name);
  }

  Path targetFile(TargetFile t) {
    return repoDir.resolve(RepositoryLayout.TARGETS).resolve(t.consistentFileName());
  }

  ClientConfig config() {
    return ClientConfig.forRepository(base(), stateDir, Fetcher.http(Duration.ofSeconds(10)))
        .withClock(clock);
  }

  /** A client whose state directory trusts root version 1. */
  TufClient client() throws Exception {
    TufClient.bootstrap(stateDir, roots.get(0).toBytes());
    return new TufClient(config());
  }

  /** The state directory's files, name to hex, to assert that a refusal changed nothing. */
  Map<String, String> state() throws IOException {
    Map<String, String> m = new TreeMap<>();
    if (!Files.isDirectory(stateDir)) {
      return m;
    }
    try (Stream<Path> files = Files.list(stateDir)) {
      for (Path p : files.toList()) {
        m.put(p.getFileName().toString(), HexFormat.of().formatHex(Files.readAllBytes(p)));
      }
    }
    return m;
  }

  /** A repository's metadata file, signed-object edited and re-signed by {@code key}. */
  static Metadata resign(Metadata md, SigningKey key,
      java.util.function.Consumer<ObjectNode> edit) {
    ObjectNode signed = md.signed();
    edit.accept(signed);
    return Metadata.unsigned(signed).sign(key);
  }

  private void serve(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath().substring("/repo/".length());
    requests.add(path);
    try (ex) {
      Supplier<InputStream> override = overrides.get(path);
      InputStream in;
      long length;
      if (override != null) {
        in = override.get();
        length = 0; // chunked: the client cannot know the size in advance
      } else {
        Path file = repoDir.resolve(path).normalize();
        if (!file.startsWith(repoDir) || !Files.isRegularFile(file)) {
          ex.sendResponseHeaders(404, -1);
          return;
        }
        in = Files.newInputStream(file);
        length = Files.size(file);
      }
      ex.sendResponseHeaders(200, length);
      try (in; OutputStream out = ex.getResponseBody()) {
        byte[] buf = new byte[16 * 1024];
        int n;
        while ((n = in.read(buf)) > 0) {
          out.write(buf, 0, n);
          bytesServed.addAndGet(n);
        }
      } catch (IOException e) {
        // The client stopped reading (a refusal of endless data): expected.
      }
    }
  }

  /** An endless stream of spaces, cut at 1 GiB so that a broken client cannot hang the build. */
  static InputStream endless() {
    return new InputStream() {
      long left = 1L << 30;

      @Override
      public int read() {
        return left-- > 0 ? ' ' : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (left <= 0) {
          return -1;
        }
        int n = (int) Math.min(len, left);
        java.util.Arrays.fill(b, off, off + n, (byte) ' ');
        left -= n;
        return n;
      }
    };
  }

  static Supplier<InputStream> bytes(byte[] b) {
    return () -> new java.io.ByteArrayInputStream(b);
  }

  byte[] read(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }

  /** A clock the test moves. */
  static final class MutableClock extends Clock {
    private volatile Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    void set(Instant instant) {
      now = instant;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
