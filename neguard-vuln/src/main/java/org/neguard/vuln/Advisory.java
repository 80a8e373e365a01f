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
   * @param ranges the {@code ECOSYSTEM} and {@code SEMVER} ranges, each evaluated on its own (a
   *     version is affected when one of them says so); {@code GIT} ranges are not kept
   * @param versions versions listed as affected one by one
   */
  public record Affected(String ecosystem, String name, List<Range> ranges,
      List<String> versions) {
    public Affected {
      Objects.requireNonNull(ecosystem, "ecosystem");
      Objects.requireNonNull(name, "name");
      ranges = List.copyOf(ranges);
      versions = List.copyOf(versions);
    }

    /** One {@code ECOSYSTEM} range of {@code events}. */
    public static Affected ofEvents(String ecosystem, String name, List<Event> events,
        List<String> versions) {
      return new Affected(ecosystem, name, List.of(new Range("ECOSYSTEM", events)), versions);
    }

    /** Every range's events, in the record's order (for reports). */
    public List<Event> events() {
      return ranges.stream().flatMap(r -> r.events().stream()).toList();
    }

    /** The affected range as the advisory states it: {@code >= 0, < 2:2.4-2+deb12u3}. */
    public String describe() {
      List<String> parts = new java.util.ArrayList<>();
      for (Range r : ranges) {
        StringBuilder b = new StringBuilder();
        for (Event e : r.events()) {
          b.append(b.length() == 0 ? "" : ", ").append(switch (e.kind()) {
            case "introduced" -> ">= ";
            case "fixed" -> "< ";
            case "last_affected" -> "<= ";
            default -> "limit ";
          }).append(e.version());
        }
        parts.add(b.toString());
      }
      if (!versions.isEmpty()) {
        parts.add("versions " + String.join(" ", versions));
      }
      return String.join("; ", parts);
    }
  }

  /**
   * One OSV range.
   *
   * @param type {@code ECOSYSTEM} (the ecosystem's own versions) or {@code SEMVER}
   * @param events its events, in the record's order
   */
  public record Range(String type, List<Event> events) {
    public Range {
      Objects.requireNonNull(type, "type");
      events = List.copyOf(events);
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
