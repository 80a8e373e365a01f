package org.neguard.harden;

import java.util.Objects;

/**
 * One request a scan sent to learn whether a protocol version is served (docs/HARDENING.md,
 * "Protocol versions"): an SNMPv1/v2c GET or SET with a community, an SNMPv3 engine-ID discovery,
 * an ONC RPC NULL call to NFS or mountd, or the portmapper's list. The evaluation judges these
 * against a policy's {@code protocol: {versions: [...]}}; a scan records them whatever the policy,
 * because the scan does not know it.
 *
 * @param protocol {@code snmp}, {@code nfs} or {@code mountd}
 * @param transport how the request was sent
 * @param port the port it was sent to
 * @param version the protocol version asked for ({@code v1}, {@code v2c}, {@code v3}; {@code v2},
 *     {@code v3}, {@code v4}; {@code any} for a registration lookup)
 * @param request what was sent, for the evidence ({@code GET sysDescr.0 with 'public'}); never a
 *     secret community (see {@link SnmpAccess#shown(String)})
 * @param result what the answer proves
 * @param detail the answer itself (an accept status, an engine ID), or why there was none
 */
public record ProtocolProbe(
    String protocol,
    Transport transport,
    int port,
    String version,
    String request,
    Result result,
    String detail) {
  /** What one request proves about the version it asked for. */
  public enum Result {
    /** Answered as a server of that version does: the version is served. */
    SERVED,
    /**
     * Refused in a way only a server that does not serve the version answers (PROG_MISMATCH,
     * PROG_UNAVAIL, a program not registered, a closed port): not served.
     */
    REFUSED,
    /**
     * No answer. Not served, as far as this request can tell: an SNMP agent drops a community it
     * does not know in silence, so silence is only conclusive next to a version that did answer.
     */
    SILENT,
    /** An answer that decides nothing (an authentication error, a garbled reply). */
    UNDECIDED
  }

  /**
   * One line for reports: {@code snmp v2c udp/161: GET sysDescr.0 with 'public' -> SERVED
   * (answered noError(0))}.
   */
  public String line() {
    return protocol + " " + version + " " + transport.name().toLowerCase(java.util.Locale.ROOT)
        + "/" + port + ": " + request + " -> " + result + (detail == null ? "" : " (" + detail + ")");
  }

  public ProtocolProbe {
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(result, "result");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range 1..65535: " + port);
    }
  }
}
