package org.neguard.harden;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The result of the SNMP write probe for one version and community (HRD-5).
 *
 * @param version {@code v1} or {@code v2c}
 * @param community the community string tried
 * @param access what the agent granted
 * @param detail how that was established: the object written back, or the error status seen
 */
public record SnmpAccess(String version, String community, Access access, String detail) {
  /** What a community grants. {@code WRITE} only when a SET was accepted. */
  public enum Access {
    NONE,
    READ,
    WRITE,
    /** Readable, and no object could be used to test writing (every candidate pinned). */
    READ_WRITE_UNKNOWN
  }

  /** Communities every SNMP tool tries first; any other community is a secret. */
  private static final Set<String> WELL_KNOWN = Set.of("public", "private");

  /**
   * A community as evidence may show it: a well-known default as itself, any other only by its
   * length, so that a report or an observation file never carries an operator's secret (HRD-6).
   */
  public static String shown(String community) {
    return WELL_KNOWN.contains(community) ? "'" + community + "'"
        : "a " + community.length() + "-character community";
  }

  /** {@link #shown} of each, comma-separated, for a scan's recorded parameters. */
  public static String shown(List<String> communities) {
    return String.join(", ", communities.stream().map(SnmpAccess::shown).toList());
  }

  public SnmpAccess {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(community, "community");
    Objects.requireNonNull(access, "access");
  }
}
