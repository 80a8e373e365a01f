package org.neguard.vuln;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One feed imported into a {@link VulnDb}.
 *
 * @param name the file it was imported from ({@code debian-osv.zip})
 * @param kind {@code osv} or {@code nvd}
 * @param ecosystems the ecosystems its records cover ({@code Debian:12}; {@code CPE} for NVD)
 * @param newest its newest record's modification time: how current the feed is
 * @param imported when it was imported
 * @param records how many records it holds
 * @param sha256 the SHA-256 of the imported file
 */
public record FeedInfo(String name, String kind, List<String> ecosystems, Instant newest,
    Instant imported, long records, String sha256) {
  public FeedInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    ecosystems = List.copyOf(ecosystems);
    Objects.requireNonNull(newest, "newest");
    Objects.requireNonNull(imported, "imported");
    Objects.requireNonNull(sha256, "sha256");
  }
}
