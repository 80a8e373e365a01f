package org.neguard.vuln;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
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
  private final int size;
  private final java.util.Optional<java.time.Instant> newest;

  private AdvisoryIndex(Map<String, List<Advisory>> byPackage, int size,
      java.util.Optional<java.time.Instant> newest) {
    this.byPackage = byPackage;
    this.size = size;
    this.newest = newest;
  }

  /**
   * How new the feed is: its newest record's {@code modified} time (empty for an empty feed).
   * An old feed misses every advisory published since, so a policy bounds its age.
   */
  public java.util.Optional<java.time.Instant> newest() {
    return newest;
  }

  /** How many advisories the index holds. */
  public int size() {
    return size;
  }

  /** Every advisory, each once. */
  public List<Advisory> all() {
    return byPackage.values().stream().flatMap(List::stream).distinct().toList();
  }

  /** The advisories affecting {@code name} in {@code ecosystem}. */
  public List<Advisory> affecting(String ecosystem, String name) {
    return byPackage.getOrDefault(ecosystem + "\0" + name, List.of());
  }

  /** Builds an index from the given advisories (two with one id are refused). */
  public static AdvisoryIndex of(List<Advisory> advisories) throws RefusalException {
    Builder b = new Builder();
    for (Advisory a : advisories) {
      b.add(a, a.id());
    }
    return b.build();
  }

  /**
   * Imports OSV records from {@code feed}: a directory of {@code .json} files, or a zip of them
   * (OSV's per-ecosystem {@code all.zip}), one record per file.
   *
   * @throws RefusalException MALFORMED (a bad record, a truncated zip, two records with one
   *     id), SIZE_LIMIT (a record above 1 MiB, more than {@link #MAX_RECORDS} records)
   */
  public static AdvisoryIndex importFeed(Path feed) throws IOException, RefusalException {
    Builder b = new Builder();
    if (Files.isDirectory(feed)) {
      List<Path> files;
      try (Stream<Path> s = Files.list(feed)) {
        files = s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
      }
      for (Path f : files) {
        if (Files.size(f) > OsvReader.MAX_BYTES) {
          throw new RefusalException(ReasonCode.SIZE_LIMIT, f.getFileName()
              + ": an OSV record of more than " + OsvReader.MAX_BYTES + " bytes");
        }
        b.add(OsvReader.read(Files.readAllBytes(f), f.getFileName().toString()),
            f.getFileName().toString());
      }
      return b.build();
    }
    try (InputStream in = Files.newInputStream(feed); ZipInputStream zip =
        new ZipInputStream(in)) {
      for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
        if (e.isDirectory() || !e.getName().endsWith(".json")) {
          continue;
        }
        // Read at most one byte past the limit: the entry's declared size is not trusted.
        byte[] json = zip.readNBytes(OsvReader.MAX_BYTES + 1);
        b.add(OsvReader.read(json, e.getName()), e.getName());
      }
    } catch (java.util.zip.ZipException | java.io.EOFException e) {
      throw new RefusalException(ReasonCode.MALFORMED, feed.getFileName()
          + " is not a complete zip of OSV records: " + e.getMessage());
    }
    return b.build();
  }

  private static final class Builder {
    final Map<String, List<Advisory>> byPackage = new HashMap<>();
    final Set<String> ids = new HashSet<>();
    java.time.Instant newest;

    void add(Advisory a, String source) throws RefusalException {
      if (!ids.add(a.id())) {
        throw new RefusalException(ReasonCode.MALFORMED, source + ": a second record with id "
            + a.id() + "; a feed holds each advisory once");
      }
      if (ids.size() > MAX_RECORDS) {
        throw new RefusalException(ReasonCode.SIZE_LIMIT, "more than " + MAX_RECORDS
            + " advisories in one feed");
      }
      if (newest == null || a.modified().isAfter(newest)) {
        newest = a.modified();
      }
      Set<String> keys = new HashSet<>();
      for (Advisory.Affected af : a.affected()) {
        if (keys.add(af.ecosystem() + "\0" + af.name())) {
          byPackage.computeIfAbsent(af.ecosystem() + "\0" + af.name(), k -> new ArrayList<>())
              .add(a);
        }
      }
    }

    AdvisoryIndex build() {
      Map<String, List<Advisory>> frozen = new HashMap<>();
      byPackage.forEach((k, v) -> frozen.put(k, List.copyOf(v)));
      return new AdvisoryIndex(Map.copyOf(frozen), ids.size(),
          java.util.Optional.ofNullable(newest));
    }
  }
}
