package org.neguard.vuln;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;
import org.neguard.progress.ProgressListener;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The local vulnerability database: feeds downloaded elsewhere and imported offline ({@code
 * neguard vulndb import}), kept in one directory, opened read-only for matching.
 *
 * <p>On disk: {@code feeds.json} (the feeds, and for each its index file's size and SHA-256)
 * and one generation directory {@code gen-*} holding each feed's {@link IndexFile}. An import
 * writes a whole new generation beside the current one and then replaces {@code feeds.json} by
 * an atomic rename, the one step that switches readers over: a reader sees the old database or
 * the new one, never half an import, and a refused or interrupted import leaves the old one as
 * it was. Only one import runs at a time (a lock file); opening verifies every index's SHA-256.
 *
 * <p>An opened database is immutable and thread-safe.
 */
public final class VulnDb {
  static final String FEEDS = "feeds.json";
  static final String FORMAT = "neguard-vulndb/1";
  static final String OSV = "osv";
  static final String NVD = "nvd";
  private static final String LOCK = ".import.lock";
  /** feeds.json lists feeds, not records: a larger one is not ours. */
  private static final long MAX_MANIFEST_BYTES = 1 << 20;
  private static final ObjectMapper JSON = JsonMapper.builder()
      .addModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .enable(SerializationFeature.INDENT_OUTPUT)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES).build();

  /** feeds.json. */
  record Manifest(String format, String generation, List<Entry> feeds) {
    Manifest {
      Objects.requireNonNull(format, "format");
      Objects.requireNonNull(generation, "generation");
      feeds = List.copyOf(feeds);
    }
  }

  /** One feed in feeds.json: what it is, and where its index is with its size and digest. */
  record Entry(FeedInfo info, String index, long indexBytes, String indexSha256) {
    Entry {
      Objects.requireNonNull(info, "info");
      Objects.requireNonNull(index, "index");
      Objects.requireNonNull(indexSha256, "indexSha256");
    }
  }

  private final Path dir;
  private final List<FeedInfo> feeds;
  private final AdvisoryIndex index;
  private final NvdIndex nvd;

  private VulnDb(Path dir, List<FeedInfo> feeds, AdvisoryIndex index, NvdIndex nvd) {
    this.dir = dir;
    this.feeds = List.copyOf(feeds);
    this.index = index;
    this.nvd = nvd;
  }

  /**
   * Opens the database in {@code dir}, verifying every index file against the SHA-256
   * recorded when it was imported.
   *
   * @throws RefusalException MALFORMED when {@code dir} holds no database or a damaged one
   *     (the message says to import the feeds)
   */
  public static VulnDb open(Path dir) throws IOException, RefusalException {
    for (int attempt = 1; ; attempt++) {
      Manifest m = manifest(dir).orElseThrow(() -> new RefusalException(ReasonCode.MALFORMED,
          dir + " holds no vulnerability database; import feeds with 'neguard vulndb import"
              + " --db " + dir + " FEED...'"));
      try {
        return load(dir, m);
      } catch (java.nio.file.NoSuchFileException e) {
        // An import that finished while this read removes the generation read from: read the
        // new one. A file missing from the current generation is damage.
        Optional<Manifest> now = manifest(dir);
        if (attempt < 3 && now.isPresent() && !now.get().generation().equals(m.generation())) {
          continue;
        }
        throw broken(dir, "the index file " + e.getFile() + " is missing");
      }
    }
  }

  private static VulnDb load(Path dir, Manifest m) throws IOException, RefusalException {
    Path gen = generation(dir, m);
    List<FeedInfo> infos = new ArrayList<>();
    List<List<Advisory>> perFeed = new ArrayList<>();
    List<List<NvdCve>> nvdFeeds = new ArrayList<>();
    for (Entry e : m.feeds()) {
      infos.add(e.info());
      Path file = gen.resolve(safeName(e.index(), dir));
      if (e.info().kind().equals(NVD)) {
        nvdFeeds.add(IndexFile.readNvd(file, e.indexBytes(), e.indexSha256()));
      } else {
        perFeed.add(IndexFile.readOsv(file, e.indexBytes(), e.indexSha256()));
      }
    }
    return new VulnDb(dir, infos, merge(perFeed), NvdIndex.of(nvdFeeds));
  }

  /**
   * One index over several feeds. An advisory two feeds both carry (two copies of one dump
   * under different names) is kept once, from the feed first by name; within one feed a
   * duplicate was refused at import.
   */
  private static AdvisoryIndex merge(List<List<Advisory>> perFeed) throws RefusalException {
    if (perFeed.size() == 1) {
      return AdvisoryIndex.of(perFeed.get(0)); // unique ids: checked at import, and again here
    }
    java.util.Set<String> seen = new java.util.HashSet<>();
    List<Advisory> all = new ArrayList<>();
    for (List<Advisory> feed : perFeed) {
      for (Advisory a : feed) {
        if (seen.add(a.id())) {
          all.add(a);
        }
      }
    }
    return AdvisoryIndex.of(all);
  }

  /**
   * Imports {@code feeds} (OSV: a zip, a directory or one JSON record; NVD CVE JSON 2.0: a
   * {@code .json} or {@code .json.gz}) into the database in {@code dir}, creating it if needed;
   * a feed of the same file name replaces the one imported before. All or nothing: a refused feed
   * leaves the database as it was.
   *
   * @return the feeds now in the database
   * @throws RefusalException MALFORMED (a broken or truncated feed, two records with one id),
   *     SIZE_LIMIT (a record or a feed above the limits)
   */
  public static List<FeedInfo> importFeeds(Path dir, List<Path> feeds, ProgressListener progress)
      throws IOException, RefusalException {
    return importFeeds(dir, feeds, progress, ImportLimits.DEFAULT);
  }

  /** {@link #importFeeds(Path, List, ProgressListener)} within {@code limits}. */
  public static List<FeedInfo> importFeeds(Path dir, List<Path> feeds, ProgressListener progress,
      ImportLimits limits) throws IOException, RefusalException {
    TreeSet<String> names = new TreeSet<>();
    for (Path f : feeds) {
      if (!names.add(f.getFileName().toString())) {
        throw new RefusalException(ReasonCode.BAD_INPUT, "two feeds named "
            + f.getFileName() + " in one import; a feed replaces the one of its file name, so"
            + " rename one of them");
      }
    }
    Files.createDirectories(dir);
    try (FileChannel lockFile = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE); FileLock lock = tryLock(lockFile, dir)) {
      Optional<Manifest> old = manifest(dir);
      String genName = "gen-" + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss")
          .withZone(ZoneOffset.UTC).format(Instant.now()) + "-" + UUID.randomUUID().toString()
          .substring(0, 8);
      Path tmp = dir.resolve("." + genName + ".tmp");
      Files.createDirectory(tmp);
      boolean done = false;
      try {
        Map<String, Entry> byName = new LinkedHashMap<>();
        if (old.isPresent()) {
          Path oldGen = generation(dir, old.get());
          for (Entry e : old.get().feeds()) {
            if (!names.contains(e.info().name())) {
              // carried over unchanged; open() verifies its digest as for a new one
              link(oldGen.resolve(safeName(e.index(), dir)), tmp.resolve(e.index()));
              byName.put(e.info().name(), e);
            }
          }
        }
        Instant now = Instant.now();
        // progress in bytes of all feeds: each feed's own progress scaled to its size
        long[] sizes = new long[feeds.size()];
        long total = 0;
        for (int i = 0; i < feeds.size(); i++) {
          sizes[i] = size(feeds.get(i));
          total += sizes[i];
        }
        long offset = 0;
        for (int i = 0; i < feeds.size(); i++) {
          Path feed = feeds.get(i);
          long base = offset;
          long share = sizes[i];
          long all = total;
          ProgressListener one = (d, t) -> progress.progress(base + (t <= 0 ? 0
              : Math.min(share, (long) ((double) d / t * share))), all);
          Entry e = importOne(feed, tmp, "feed-" + (byName.size() + i) + "-" + UUID.randomUUID()
              .toString().substring(0, 8) + ".idx", now, limits, one);
          byName.put(e.info().name(), e);
          offset += share;
          progress.progress(offset, total);
        }
        List<Entry> entries = byName.values().stream()
            .sorted(Comparator.comparing((Entry e) -> e.info().name())).toList();
        Path gen = dir.resolve(genName);
        Files.move(tmp, gen, StandardCopyOption.ATOMIC_MOVE);
        Path next = dir.resolve(FEEDS + ".tmp");
        try (var out = FileChannel.open(next, StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
          out.write(java.nio.ByteBuffer.wrap(JSON.writeValueAsBytes(new Manifest(FORMAT, genName,
              entries))));
          out.force(true); // on disk before the rename makes it the database
        }
        Files.move(next, dir.resolve(FEEDS), StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
        done = true;
        removeOtherGenerations(dir, genName);
        return entries.stream().map(Entry::info).toList();
      } finally {
        if (!done) {
          deleteTree(tmp);
        }
      }
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException(dir + " is on a file system without atomic renames; put the"
          + " database on a local file system", e);
    }
  }

  private static Entry importOne(Path feed, Path genDir, String indexName, Instant now,
      ImportLimits limits, ProgressListener progress) throws IOException, RefusalException {
    if (!Files.exists(feed)) {
      throw new java.nio.file.NoSuchFileException(feed.toString(), null, "no such feed");
    }
    String name = feed.getFileName().toString();
    Path file = genDir.resolve(indexName);
    if (isNvd(feed)) {
      long size = Files.size(feed);
      if (size > limits.maxFileBytes()) {
        throw new RefusalException(ReasonCode.SIZE_LIMIT, name + " is " + size + " bytes, more"
            + " than the " + limits.maxFileBytes() + " a feed file may have");
      }
      List<NvdCve> cves = new ArrayList<>();
      NvdReader.Summary summary;
      try (InputStream in = Files.newInputStream(feed)) {
        summary = NvdReader.readFeed(in, name, c -> {
          if (cves.size() >= limits.maxRecords()) {
            throw new TooMany();
          }
          cves.add(c);
        });
      } catch (TooMany e) {
        throw new RefusalException(ReasonCode.SIZE_LIMIT, name + " holds more than "
            + limits.maxRecords() + " records, the most one feed may hold");
      }
      progress.progress(1, 1);
      IndexFile.Written w = IndexFile.writeNvd(file, cves);
      // An NVD file is as current as when NVD produced it (its timestamp): a yearly file of
      // 2005 regenerated today is current though its records are old.
      Instant newest = summary.timestamp().or(summary::newestLastModified).orElse(Instant.EPOCH);
      FeedInfo info = new FeedInfo(name, NVD, List.of("CPE"), newest, now, cves.size(),
          sha256(feed));
      return new Entry(info, indexName, w.size(), w.sha256());
    }
    AdvisoryIndex index = AdvisoryIndex.importFeed(feed, limits, progress);
    TreeSet<String> ecosystems = new TreeSet<>();
    index.all().forEach(a -> a.affected().forEach(af -> ecosystems.add(af.ecosystem())));
    IndexFile.Written w = IndexFile.writeOsv(file, index.all());
    FeedInfo info = new FeedInfo(name, OSV, List.copyOf(ecosystems),
        index.newest().orElse(Instant.EPOCH), now, index.size(), sha256(feed));
    return new Entry(info, indexName, w.size(), w.sha256());
  }

  /** A feed's size in bytes: the file's, or the sum of a directory's {@code .json} files. */
  private static long size(Path feed) throws IOException {
    if (!Files.isDirectory(feed)) {
      return Files.exists(feed) ? Files.size(feed) : 0;
    }
    long sum = 0;
    try (Stream<Path> s = Files.list(feed)) {
      for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".json")).toList()) {
        sum += Files.size(p);
      }
    }
    return sum;
  }

  /** Thrown from the NVD sink, which cannot throw a checked exception. */
  private static final class TooMany extends RuntimeException {
    TooMany() {
      super(null, null, false, false);
    }
  }

  /**
   * Whether {@code feed} is an NVD CVE API 2.0 file: gzip-compressed, or a JSON object with a
   * {@code vulnerabilities} array or {@code "format": "NVD_CVE"} at its top level (an OSV
   * record has neither). Only the top level is looked at, token by token.
   */
  static boolean isNvd(Path feed) throws IOException {
    String name = feed.getFileName().toString();
    if (Files.isDirectory(feed) || name.endsWith(".zip")) {
      return false;
    }
    if (name.endsWith(".gz")) {
      return true;
    }
    try (JsonParser p = new com.fasterxml.jackson.core.JsonFactory().createParser(
        feed.toFile())) {
      if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
        return false;
      }
      while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
        String field = p.currentName();
        com.fasterxml.jackson.core.JsonToken v = p.nextToken();
        if (field.equals("vulnerabilities") || (field.equals("format")
            && v == com.fasterxml.jackson.core.JsonToken.VALUE_STRING
            && p.getText().equals("NVD_CVE"))) {
          return true;
        }
        p.skipChildren();
      }
      return false;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return false; // not JSON: the OSV reader refuses it with its own message
    }
  }

  private static FileLock tryLock(FileChannel ch, Path dir) throws IOException,
      RefusalException {
    try {
      FileLock l = ch.tryLock();
      if (l != null) {
        return l;
      }
    } catch (OverlappingFileLockException e) {
      // this process already imports into dir
    }
    throw new RefusalException(ReasonCode.CONFLICT, "another import into " + dir + " is"
        + " running; wait for it to finish and import again");
  }

  /** feeds.json, if there is one. */
  private static Optional<Manifest> manifest(Path dir) throws IOException, RefusalException {
    Path list = dir.resolve(FEEDS);
    if (!Files.isRegularFile(list)) {
      return Optional.empty();
    }
    if (Files.size(list) > MAX_MANIFEST_BYTES) {
      throw broken(dir, FEEDS + " is larger than " + MAX_MANIFEST_BYTES + " bytes");
    }
    Manifest m;
    try {
      m = JSON.readValue(Files.readAllBytes(list), Manifest.class);
    } catch (IOException e) {
      throw broken(dir, FEEDS + " cannot be read (" + e.getMessage().lines().findFirst()
          .orElse("") + ")");
    }
    if (m == null || !FORMAT.equals(m.format())) {
      throw broken(dir, FEEDS + " is not of format " + FORMAT);
    }
    return Optional.of(m);
  }

  private static Path generation(Path dir, Manifest m) throws RefusalException {
    return dir.resolve(safeName(m.generation(), dir));
  }

  /** A file name from feeds.json, refused if it would lead out of the database directory. */
  private static String safeName(String name, Path dir) throws RefusalException {
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}") || name.contains("..")) {
      throw broken(dir, FEEDS + " names the file '" + name + "'");
    }
    return name;
  }

  private static RefusalException broken(Path dir, String why) {
    return new RefusalException(ReasonCode.MALFORMED, "the vulnerability database in " + dir
        + " is damaged: " + why + "; move it away and import the feeds again with 'neguard"
        + " vulndb import --db " + dir + " FEED...'");
  }

  private static void link(Path from, Path to) throws IOException {
    try {
      Files.createLink(to, from);
    } catch (UnsupportedOperationException | IOException e) {
      if (e instanceof FileAlreadyExistsException) {
        throw (IOException) e;
      }
      Files.copy(from, to);
    }
  }

  private static void removeOtherGenerations(Path dir, String keep) throws IOException {
    List<Path> old;
    try (Stream<Path> s = Files.list(dir)) {
      old = s.filter(p -> {
        String n = p.getFileName().toString();
        return (n.startsWith("gen-") || n.startsWith(".gen-")) && !n.equals(keep);
      }).toList();
    }
    for (Path p : old) {
      deleteTree(p);
    }
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(x);
      }
    }
  }

  /** The feeds imported, by name. */
  public List<FeedInfo> feeds() {
    return feeds;
  }

  /**
   * Whether the database's feeds hold advisories for {@code release} ({@link
   * RedHatStreams#covers}): a release no feed covers finds nothing, which is no pass.
   */
  public boolean covers(String release) {
    return feeds.stream().anyMatch(f -> RedHatStreams.covers(f.ecosystems(), release));
  }

  /** Where the database lives. */
  public Path directory() {
    return dir;
  }

  /** How many NVD CVEs the database holds. */
  public int nvdRecords() {
    return nvd.size();
  }

  /** The OSV advisories of every feed (for tools and tests; matching uses {@link #assess}). */
  public AdvisoryIndex advisories() {
    return index;
  }

  /**
   * Refuses a database that cannot be trusted to be current: no feed at all, or a feed whose
   * newest record is older than {@code maxAge} at {@code now} (an old feed misses every advisory
   * published since; the same rule as an old anti-virus database).
   *
   * @throws RefusalException SCAN_POLICY, naming the feed, its date and what to do
   */
  public void requireFresh(Duration maxAge, Instant now) throws RefusalException {
    if (feeds.isEmpty()) {
      throw new RefusalException(ReasonCode.SCAN_POLICY, "the vulnerability database in " + dir
          + " holds no feed; import current feeds with 'neguard vulndb import'");
    }
    for (FeedInfo f : feeds) {
      if (Duration.between(f.newest(), now).compareTo(maxAge) > 0) {
        throw new RefusalException(ReasonCode.SCAN_POLICY, "feed " + f.name() + " is dated "
            + f.newest() + ", older than the " + describe(maxAge) + " the policy allows;"
            + " download current feeds and import them with 'neguard vulndb import'");
      }
    }
  }

  private static String describe(Duration d) {
    return d.toHours() % 24 == 0 && d.toDays() > 0 ? d.toDays() + " days"
        : d.toString().substring(2).toLowerCase(java.util.Locale.ROOT);
  }

  /** Matches {@code inventory} against the database. Pure: no I/O. */
  public Assessment assess(Inventory inventory) {
    return InventoryMatcher.assess(index, nvd, feeds, inventory);
  }

  /** The SHA-256 of a feed file, or of a directory feed's {@code .json} names and contents. */
  static String sha256(Path feed) throws IOException {
    MessageDigest md = IndexFile.sha256();
    List<Path> files;
    if (Files.isDirectory(feed)) {
      try (Stream<Path> s = Files.list(feed)) {
        files = s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
      }
    } else {
      files = List.of(feed);
    }
    byte[] buf = new byte[1 << 16];
    for (Path f : files) {
      if (files.size() > 1 || Files.isDirectory(feed)) {
        md.update((f.getFileName() + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      try (InputStream in = Files.newInputStream(f)) {
        for (int n; (n = in.read(buf)) > 0; ) {
          md.update(buf, 0, n);
        }
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
