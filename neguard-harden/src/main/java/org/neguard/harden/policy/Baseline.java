package org.neguard.harden.policy;

import static org.neguard.harden.policy.PortKey.tcp;
import static org.neguard.harden.policy.PortKey.udp;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.neguard.harden.policy.ForbiddenRule.Kind;
import org.neguard.harden.policy.ForbiddenRule.Origin;

/**
 * The built-in forbidden list (HRD-5), exactly seed 003 R5 (TR 33.806 §7.x; TS 33.117
 * §4.3.2.1). Every policy carries it; an operator may extend it, and may remove an entry only by
 * a waiver with a reason that the evidence shows.
 *
 * <p>Transports: a rule forbids a port on the transports its protocol actually runs on (TCP only
 * for FTP, Telnet, rlogin/rsh and finger; UDP only for TFTP; both for NFS, echo, time and 445).
 * UDP 513 ({@code who}) and UDP 514 ({@code syslog}) are other services that the seed does not
 * forbid: a listener there is judged like any other port (declared or undeclared). The services
 * are also forbidden by name wherever a scanner identifies them (Telnet on 2323 is still Telnet).
 */
public final class Baseline {
  private static final String SOURCE = "seed 003 R5 (HRD-5)";

  private static final List<ForbiddenRule> RULES = List.of(
      rule("nfs", "NFS (Network File System), ports 1025 and 2049",
          List.of(tcp(1025), udp(1025), tcp(2049), udp(2049)), Set.of("nfs", "mountd"),
          "NFSv2/v3 run over UDP and TCP, NFSv4 over TCP (RFC 7530); 1025 is where some NFS"
              + " stacks put their server or mountd: forbidden on both"),
      rule("ftp", "FTP, ports 20 and 21",
          List.of(tcp(20), tcp(21)), Set.of("ftp", "ftp-data"),
          "FTP runs over TCP only (RFC 959); 20 is its active-mode data port"),
      rule("tftp", "TFTP, port 69",
          List.of(udp(69)), Set.of("tftp"),
          "TFTP runs over UDP only (RFC 1350)"),
      new ForbiddenRule("snmp-write", "SNMPv1 and SNMPv2c with write (SET) permission",
          Kind.SNMP_WRITE, List.of(udp(161), tcp(161)), Set.of("snmp"), Origin.BASELINE, SOURCE,
          "SNMP runs over UDP 161 (RFC 3417) and optionally TCP 161 (RFC 3430); the rule holds on"
              + " any port where the write probe found a v1/v2c community that accepted a SET;"
              + " SNMPv3, or v1/v2c read-only, may be declared"),
      rule("telnet", "Telnet and remote telnet, ports 23 and 107",
          List.of(tcp(23), tcp(107)), Set.of("telnet", "rtelnet"),
          "Telnet runs over TCP (RFC 854); 107 is rtelnet, the remote telnet service"),
      rule("rlogin-rsh", "rlogin, rsh, remsh, ports 513 and 514",
          List.of(tcp(513), tcp(514)), Set.of("login", "rlogin", "shell", "rsh", "remsh"),
          "rlogin and rsh/remsh run over TCP (RFC 1282); UDP 513 (who) and UDP 514 (syslog) are"
              + " other services, judged as declared or undeclared"),
      rule("port-445", "Port 445 (SMB direct, microsoft-ds)",
          List.of(tcp(445), udp(445)), Set.of("microsoft-ds", "smb"),
          "the seed forbids the port itself; SMB runs on TCP and IANA also gives 445/udp to"
              + " microsoft-ds: forbidden on both"),
      rule("finger", "Finger, port 79",
          List.of(tcp(79)), Set.of("finger"),
          "finger runs over TCP (RFC 1288)"),
      rule("time", "Time, port 37",
          List.of(tcp(37), udp(37)), Set.of("time"),
          "the Time protocol is defined on both TCP and UDP (RFC 868)"),
      rule("echo", "Echo, port 7",
          List.of(tcp(7), udp(7)), Set.of("echo"),
          "the Echo protocol is defined on both TCP and UDP (RFC 862)"));

  private Baseline() {}

  private static ForbiddenRule rule(
      String id, String title, List<PortKey> ports, Set<String> names, String why) {
    return new ForbiddenRule(id, title, Kind.PORT, ports, names, Origin.BASELINE, SOURCE, why);
  }

  /** The baseline rules, in the seed's order. */
  public static List<ForbiddenRule> rules() {
    return RULES;
  }

  /** The baseline rule with this id. */
  public static Optional<ForbiddenRule> rule(String id) {
    return RULES.stream().filter(r -> r.id().equals(id)).findFirst();
  }

  /** Every port a baseline rule names, SNMP included: what a scan must examine for HRD-5. */
  public static Set<PortKey> ports() {
    return RULES.stream().flatMap(r -> r.ports().stream())
        .collect(java.util.stream.Collectors.toUnmodifiableSet());
  }
}
