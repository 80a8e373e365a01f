package org.neguard.vuln;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.neguard.progress.ProgressListener;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The local vulnerability database: feeds downloaded elsewhere and imported offline ({@code
 * neguard vulndb import}), kept in one directory, opened read-only for matching.
 *
 * <p>An opened database is immutable and thread-safe; importing writes a new one beside it and
 * moves it into place, so a reader never sees half an import.
 *
 * <p>CONTRACT SKELETON (issue 16): the signatures are the contract; the storage and matching
 * below are the first slice's (OSV Debian feeds only) until the index replaces them.
 */
public final class VulnDb {
  static final String FEEDS = "feeds.json";
  private static final ObjectMapper JSON = new ObjectMapper().registerModule(
      new JavaTimeModule()).disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

  private final Path dir;
  private final List<FeedInfo> feeds;
  private final AdvisoryIndex index;

  private VulnDb(Path dir, List<FeedInfo> feeds, AdvisoryIndex index) {
    this.dir = dir;
    this.feeds = List.copyOf(feeds);
    this.index = index;
  }

  /**
   * Opens the database in {@code dir}.
   *
   * @throws RefusalException NOT_FOUND-like MALFORMED when {@code dir} holds no database or a
   *     damaged one (import feeds first)
   */
  public static VulnDb open(Path dir) throws IOException, RefusalException {
    Path list = dir.resolve(FEEDS);
    if (!Files.isRegularFile(list)) {
      throw new RefusalException(ReasonCode.MALFORMED, dir + " holds no vulnerability database;"
          + " import feeds with 'neguard vulndb import --db " + dir + " FEED...'");
    }
    FeedInfo[] infos = JSON.readValue(list.toFile(), FeedInfo[].class);
    List<Advisory> all = new ArrayList<>();
    for (FeedInfo f : infos) {
      Path copy = dir.resolve("feeds").resolve(f.name());
      AdvisoryIndex one = AdvisoryIndex.importFeed(copy);
      all.addAll(one.all());
    }
    return new VulnDb(dir, List.of(infos), AdvisoryIndex.of(all));
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
    Files.createDirectories(dir.resolve("feeds"));
    Map<String, FeedInfo> byName = new HashMap<>();
    if (Files.isRegularFile(dir.resolve(FEEDS))) {
      for (FeedInfo f : JSON.readValue(dir.resolve(FEEDS).toFile(), FeedInfo[].class)) {
        byName.put(f.name(), f);
      }
    }
    Instant now = Instant.now();
    for (Path feed : feeds) {
      AdvisoryIndex index = AdvisoryIndex.importFeed(feed);
      String name = feed.getFileName().toString();
      HashSet<String> ecosystems = new HashSet<>();
      index.all().forEach(a -> a.affected().forEach(af -> ecosystems.add(af.ecosystem())));
      Files.copy(feed, dir.resolve("feeds").resolve(name), StandardCopyOption.REPLACE_EXISTING);
      byName.put(name, new FeedInfo(name, "osv", ecosystems.stream().sorted().toList(),
          index.newest().orElse(Instant.EPOCH), now, index.size(), sha256(feed)));
    }
    List<FeedInfo> out = byName.values().stream()
        .sorted(Comparator.comparing(FeedInfo::name)).toList();
    JSON.writeValue(dir.resolve(FEEDS).toFile(), out);
    return out;
  }

  /** The feeds imported, by name. */
  public List<FeedInfo> feeds() {
    return feeds;
  }

  /** Where the database lives. */
  public Path directory() {
    return dir;
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
            + f.newest() + ", older than the " + maxAge.toDays() + " days the policy allows;"
            + " download current feeds and import them with 'neguard vulndb import'");
      }
    }
  }

  /** Matches {@code inventory} against the database. Pure: no I/O. */
  public Assessment assess(Inventory inventory) {
    List<Finding> findings = new ArrayList<>();
    for (Component c : inventory.components()) {
      if (!c.ecosystem().startsWith("Debian:")) {
        continue;
      }
      DebianVersion v = DebianVersion.parse(c.matchVersion());
      for (Advisory a : index.affecting(c.ecosystem(), c.matchName())) {
        for (Advisory.Affected af : a.affected()) {
          if (af.ecosystem().equals(c.ecosystem()) && af.name().equals(c.matchName())) {
            Optional<Optional<DebianVersion>> hit = DebianMatcher.affects(af, v);
            if (hit.isPresent()) {
              List<Exposure> through = inventory.exposures().stream()
                  .filter(e -> e.component().filter(c.name()::equals).isPresent()).toList();
              findings.add(new Finding(a.id(), a.cves(), a.summary(), Severity.UNKNOWN,
                  Optional.empty(), c, af.events().toString(),
                  hit.get().map(DebianVersion::toString), through, "source-package",
                  Optional.empty()));
              break;
            }
          }
        }
      }
    }
    findings.sort(Comparator.comparing((Finding f) -> !f.reachable())
        .thenComparing(f -> f.severity(), Comparator.reverseOrder())
        .thenComparing(Finding::advisoryId));
    return new Assessment(findings, feeds, "Debian packages by source package and Debian"
        + " version order against the distribution's OSV advisories", inventory.components()
        .size(), Instant.now());
  }

  private static String sha256(Path file) throws IOException {
    try (var in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
