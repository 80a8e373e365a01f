package org.neguard.harden;

import java.util.Objects;

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

  public SnmpAccess {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(community, "community");
    Objects.requireNonNull(access, "access");
  }
}
