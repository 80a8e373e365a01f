package org.neguard.harden.probe;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The settings of a remote scan; every one is recorded in the observation's parameters, because
 * the evidence must say how the scan was run (HRD-6).
 *
 * @param tcpPorts the TCP ports to connect to
 * @param udpPorts the UDP ports to probe (may be empty)
 * @param sctpPorts the SCTP ports to probe (may be empty)
 * @param concurrency TCP connects in flight at once
 * @param tcpTimeout how long a SYN may go unanswered before it is retried or called filtered
 * @param tcpRetries extra SYNs to a silent port
 * @param udpTimeout how long to wait for a reply or an ICMP error after each UDP probe
 * @param udpRetries extra probes to a silent UDP port
 * @param udpPace the gap between retry probes once ICMP rate limiting is suspected
 * @param bannerTimeout how long an open TCP port may take to say something
 * @param communities the SNMP communities the write probe tries, in order
 * @param snmpTimeout the SNMP request timeout (one retry follows)
 * @param identify whether to identify the services on open TCP ports (banner and handshake)
 */
public record ScanOptions(
    PortList tcpPorts,
    PortList udpPorts,
    PortList sctpPorts,
    int concurrency,
    Duration tcpTimeout,
    int tcpRetries,
    Duration udpTimeout,
    int udpRetries,
    Duration udpPace,
    Duration bannerTimeout,
    List<String> communities,
    Duration snmpTimeout,
    boolean identify) {
  /** The communities tried when none are given: the factory defaults that matter most. */
  public static final List<String> DEFAULT_COMMUNITIES = List.of("public", "private", "community", "manager");

  public ScanOptions {
    Objects.requireNonNull(tcpPorts, "tcpPorts");
    Objects.requireNonNull(udpPorts, "udpPorts");
    Objects.requireNonNull(sctpPorts, "sctpPorts");
    if (concurrency < 1 || concurrency > 16384) {
      throw new IllegalArgumentException("concurrency out of range 1..16384: " + concurrency);
    }
    if (tcpRetries < 0 || udpRetries < 0) {
      throw new IllegalArgumentException("retries < 0: " + Math.min(tcpRetries, udpRetries));
    }
    if (tcpRetries > 32767) {
      // The sweep queues a retry as one int: attempt number << 16 | port.
      throw new IllegalArgumentException("TCP retries out of range 0..32767: " + tcpRetries);
    }
    for (Duration d : List.of(tcpTimeout, udpTimeout, udpPace, bannerTimeout, snmpTimeout)) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("timeout not positive: " + d);
      }
    }
    communities = List.copyOf(communities);
    for (String c : communities) {
      if (c.isEmpty()) {
        throw new IllegalArgumentException("empty SNMP community");
      }
    }
  }

  /** Every TCP port, the top 20 UDP ports, the common SCTP ports, the default communities. */
  public static ScanOptions defaults() {
    return new ScanOptions(PortList.all(), udpTop(20), PortList.of(SctpProbe.COMMON_PORTS), 256,
        Duration.ofMillis(1000), 1, Duration.ofMillis(1000), 2, Duration.ofMillis(1000),
        Duration.ofMillis(1500), DEFAULT_COMMUNITIES, Duration.ofMillis(800), true);
  }

  /**
   * The first {@code n} of the UDP ports that matter most for an NE audit (SNMP, TFTP, portmapper,
   * NFS, echo, time, NTP first).
   */
  public static PortList udpTop(int n) {
    if (n < 0 || n > UdpPayloads.TOP.length) {
      throw new IllegalArgumentException("--udp-top out of range 0.." + UdpPayloads.TOP.length + ": " + n);
    }
    if (n == 0) {
      return PortList.none();
    }
    return PortList.of(Arrays.copyOf(UdpPayloads.TOP, n));
  }

  public ScanOptions withTcpPorts(PortList p) {
    return new ScanOptions(p, udpPorts, sctpPorts, concurrency, tcpTimeout, tcpRetries, udpTimeout,
        udpRetries, udpPace, bannerTimeout, communities, snmpTimeout, identify);
  }

  public ScanOptions withUdpPorts(PortList p) {
    return new ScanOptions(tcpPorts, p, sctpPorts, concurrency, tcpTimeout, tcpRetries, udpTimeout,
        udpRetries, udpPace, bannerTimeout, communities, snmpTimeout, identify);
  }

  public ScanOptions withSctpPorts(PortList p) {
    return new ScanOptions(tcpPorts, udpPorts, p, concurrency, tcpTimeout, tcpRetries, udpTimeout,
        udpRetries, udpPace, bannerTimeout, communities, snmpTimeout, identify);
  }

  public ScanOptions withCommunities(List<String> c) {
    return new ScanOptions(tcpPorts, udpPorts, sctpPorts, concurrency, tcpTimeout, tcpRetries,
        udpTimeout, udpRetries, udpPace, bannerTimeout, c, snmpTimeout, identify);
  }

  /** Without service identification: a bare connect scan, as {@code nmap -sT} without {@code -sV}. */
  public ScanOptions withoutIdentification() {
    return new ScanOptions(tcpPorts, udpPorts, sctpPorts, concurrency, tcpTimeout, tcpRetries,
        udpTimeout, udpRetries, udpPace, bannerTimeout, communities, snmpTimeout, false);
  }

  public ScanOptions withTcpTiming(int concurrency, Duration timeout, int retries) {
    return new ScanOptions(tcpPorts, udpPorts, sctpPorts, concurrency, timeout, retries, udpTimeout,
        udpRetries, udpPace, bannerTimeout, communities, snmpTimeout, identify);
  }

  public ScanOptions withUdpTiming(Duration timeout, int retries, Duration pace) {
    return new ScanOptions(tcpPorts, udpPorts, sctpPorts, concurrency, tcpTimeout, tcpRetries,
        timeout, retries, pace, bannerTimeout, communities, snmpTimeout, identify);
  }
}
