package org.neguard.vuln;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.neguard.progress.ProgressListener;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Advisories imported from offline OSV feeds, by ecosystem and package. Built once, then
 * read-only and thread-safe.
 */
public final class AdvisoryIndex {
  /** More records than this in one import is refused: memory stays bounded. */
  public static final int MAX_RECORDS = 2_000_000;

  private final Map<String, List<Advisory>> byPackage;
  private final List<Advisory> all;
  private final Optional<Instant> newest;

  private AdvisoryIndex(Map<String, List<Advisory>> byPackage, List<Advisory> all,
      Optional<Instant> newest) {
    this.byPackage = byPackage;
    this.all = all;
    this.newest = newest;
  }

  /**
   * How new the feed is: its newest record's {@code modified} time (empty for an empty feed).
   * An old feed misses every advisory published since, so a policy bounds its age.
   */
  public Optional<Instant> newest() {
    return newest;
  }

  /** How many advisories the index holds. */
  public int size() {
    return all.size();
  }

  /** Every advisory, each once, in import order. */
  public List<Advisory> all() {
    return all;
  }

  /**
   * Whether these advisories say anything about {@code release} ({@link
   * RedHatStreams#covers}): matched against a release they do not cover, a package list finds
   * nothing, which is no pass.
   */
  public boolean covers(String release) {
    return RedHatStreams.covers(all.stream().flatMap(a -> a.affected().stream())
        .map(Advisory.Affected::ecosystem).collect(java.util.stream.Collectors.toSet()), release);
  }

  /**
   * Matches {@code inventory} against these advisories alone (a feed read without a database:
   * no NVD metrics). Pure: no I/O.
   */
  public Assessment assess(Inventory inventory) {
    return InventoryMatcher.assess(this, NvdIndex.EMPTY, List.of(), inventory);
  }

  /**
   * The advisories affecting {@code name} in {@code ecosystem}; for {@link
   * RedHatStreams#FAMILY} alone, those naming it in any Red Hat stream.
   */
  public List<Advisory> affecting(String ecosystem, String name) {
    return byPackage.getOrDefault(key(ecosystem, name), List.of());
  }

  /**
   * The package key: PyPI names compare normalized (PEP 503: case and runs of {@code -_.} do
   * not count), every other ecosystem's exactly.
   */
  static String key(String ecosystem, String name) {
    String n = ecosystem.equals("PyPI")
        ? name.toLowerCase(java.util.Locale.ROOT).replaceAll("[-_.]+", "-") : name;
    return ecosystem + "\0" + n;
  }

  /** Builds an index from the given advisories (two with one id are refused). */
  public static AdvisoryIndex of(List<Advisory> advisories) throws RefusalException {
    Builder b = new Builder(MAX_RECORDS);
    for (Advisory a : advisories) {
      b.add(a, a.id());
    }
    return b.build();
  }

  /**
   * Imports OSV records from {@code feed}: a directory of {@code .json} files, or a zip of them
   * (OSV's per-ecosystem {@code all.zip}), one record per file, within the default limits.
   *
   * @throws RefusalException MALFORMED (a bad record, a truncated zip, two records with one
   *     id), SIZE_LIMIT (a record above 1 MiB, more than {@link #MAX_RECORDS} records)
   */
  public static AdvisoryIndex importFeed(Path feed) throws IOException, RefusalException {
    return importFeed(feed, ImportLimits.DEFAULT, ProgressListener.NONE);
  }

  /** {@link #importFeed(Path)} within {@code limits}, telling {@code progress}. */
  public static AdvisoryIndex importFeed(Path feed, ImportLimits limits,
      ProgressListener progress) throws IOException, RefusalException {
    Builder b = new Builder(limits.maxRecords());
    OsvFeed.read(feed, limits, progress, b::add);
    return b.build();
  }

  /** Collects advisories, refusing a second record with one id. Not thread-safe. */
  static final class Builder {
    private final Map<String, List<Advisory>> byPackage = new HashMap<>();
    private final List<Advisory> all = new ArrayList<>();
    private final Set<String> ids = new HashSet<>();
    private final long maxRecords;
    private Instant newest;

    Builder(long maxRecords) {
      this.maxRecords = maxRecords;
    }

    void add(Advisory a, String source) throws RefusalException {
      if (ids.size() >= maxRecords) {
        throw new RefusalException(ReasonCode.SIZE_LIMIT, "more than " + maxRecords
            + " advisories in one feed");
      }
      if (!ids.add(a.id())) {
        throw new RefusalException(ReasonCode.MALFORMED, source + ": a second record with id "
            + a.id() + "; a feed holds each advisory once (download it again)");
      }
      all.add(a);
      if (newest == null || a.modified().isAfter(newest)) {
        newest = a.modified();
      }
      List<String> keys = new ArrayList<>(a.affected().size()); // a few: a list is enough
      for (Advisory.Affected af : a.affected()) {
        String k = key(af.ecosystem(), af.name());
        // Red Hat's records are keyed by product stream, which a RHEL host's release does
        // not name: each is found under the family too, and RedHatStreams picks the streams
        String family = af.ecosystem().startsWith(RedHatStreams.FAMILY + ":")
            ? key(RedHatStreams.FAMILY, af.name()) : null;
        for (String each : family == null ? List.of(k) : List.of(k, family)) {
          if (!keys.contains(each)) {
            keys.add(each);
            byPackage.computeIfAbsent(each, x -> new ArrayList<>()).add(a);
          }
        }
      }
    }

    AdvisoryIndex build() {
      Map<String, List<Advisory>> frozen = new HashMap<>(byPackage.size() * 2);
      byPackage.forEach((k, v) -> frozen.put(k, List.copyOf(v)));
      return new AdvisoryIndex(frozen, List.copyOf(all), Optional.ofNullable(newest));
    }
  }
}
