package org.neguard.vuln;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One advisory of an offline feed (an OSV record), reduced to what matching and reporting use.
 *
 * @param id the feed's id ({@code DEBIAN-CVE-2026-24061}, {@code DSA-5432-1}, {@code CVE-…})
 * @param aliases other ids of the same vulnerability (CVE ids among them)
 * @param summary one line
 * @param cvss the CVSS vector, when the record gives one
 * @param affected the affected packages, per ecosystem
 * @param modified when the record last changed (OSV's {@code modified}): a feed is as new as its
 *     newest record
 */
public record Advisory(String id, List<String> aliases, String summary, Optional<String> cvss,
    List<Affected> affected, java.time.Instant modified) {
  public Advisory {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(modified, "modified");
    aliases = List.copyOf(aliases);
    affected = List.copyOf(affected);
  }

  /**
   * A package an advisory affects.
   *
   * @param ecosystem the OSV ecosystem ({@code Debian:12})
   * @param name the package (for Debian, the source package)
   * @param events the ECOSYSTEM range's events, in the record's order
   * @param versions versions listed as affected one by one
   */
  public record Affected(String ecosystem, String name, List<Event> events,
      List<String> versions) {
    public Affected {
      events = List.copyOf(events);
      versions = List.copyOf(versions);
    }
  }

  /**
   * One event of an OSV range.
   *
   * @param kind {@code introduced}, {@code fixed}, {@code last_affected} or {@code limit}
   * @param version the version, {@code 0} for "since the beginning"
   */
  public record Event(String kind, String version) {}

  /** The CVE ids: the id itself if it is one, and the aliases that are. */
  public List<String> cves() {
    return java.util.stream.Stream.concat(java.util.stream.Stream.of(id), aliases.stream())
        .map(s -> s.startsWith("DEBIAN-CVE-") ? s.substring("DEBIAN-".length()) : s)
        .filter(s -> s.matches("CVE-\\d{4}-\\d{4,}")).distinct().toList();
  }
}
