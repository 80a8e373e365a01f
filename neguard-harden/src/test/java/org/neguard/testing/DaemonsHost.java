package org.neguard.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.neguard.harden.Transport;

/**
 * A namespace host running the real daemons of an NE that a hardening audit meets: Debian's
 * inetutils-inetd (echo, time, discard, telnetd twice, rlogind, rshd, fingerd), tftpd-hpa, net-snmp's
 * snmpd (one read-write and one read-only community, a pinned sysContact), inetutils-ftpd, Samba,
 * rpcbind with NFS-Ganesha (NFSv3 and v4), an SSH-like declared service (socat), and nftables
 * dropping one TCP and one UDP port. HardenScanDaemonsTest judges a scan of it; {@link #main}
 * starts the same host for bench/harden-scan-vs-nmap.sh, so the benchmark scans what the test
 * scans.
 */
public final class DaemonsHost {
  public static final String RW = "ngrw-secret";
  public static final String RO = "public";
  public static final String PINNED_CONTACT = "pinned-contact@example.invalid";
  public static final int DROPPED_TCP = 9999;
  public static final int DROPPED_UDP = 1434;
  public static final int DECLARED_SSH = 2222;
  /** The programs the host runs; a test fails when one is missing. */
  public static final List<String> PROGRAMS = List.of("inetutils-inetd", "telnetd", "in.rlogind", "in.rshd",
      "in.fingerd", "in.tftpd", "snmpd", "ftpd", "smbd", "ganesha.nfsd", "rpcbind", "socat", "nft");

  /** The daemons started, snmpd apart (tests ask the inventory of its namespace). */
  public record Started(List<NetnsHost.Daemon> daemons, NetnsHost.Daemon snmpd) {}

  private DaemonsHost() {}

  /** Starts every daemon in {@code ns} and waits until each listens. */
  public static Started start(NetnsHost ns) throws Exception {
    for (String p : PROGRAMS) {
      RequiredProgram.require(p);
    }
    Path d = ns.dir();
    String a = ns.address();
    ns.removeOnClose(Path.of("/run/rpcbind.sock"));
    ns.removeOnClose(Path.of("/run/rpcbind.lock"));
    ns.removeOnClose(Path.of("/run/rpcbind"));
    ns.removeOnClose(Path.of("/run/ganesha"));
    // Filtered ports: dropped inside the namespace, so the host sees silence.
    ns.exec("nft", "add table inet neguard");
    ns.exec("nft", "add chain inet neguard input { type filter hook input priority 0 ; policy accept ; }");
    ns.exec("nft", "add rule inet neguard input tcp dport " + DROPPED_TCP + " drop");
    ns.exec("nft", "add rule inet neguard input udp dport " + DROPPED_UDP + " drop");

    Files.writeString(d.resolve("inetd.conf"), String.join("\n",
        "echo stream tcp nowait root internal",
        "echo dgram udp wait root internal",
        "time stream tcp nowait root internal",
        "time dgram udp wait root internal",
        "discard stream tcp nowait root internal",
        "discard dgram udp wait root internal",
        "23 stream tcp nowait root /usr/sbin/telnetd telnetd",
        "107 stream tcp nowait root /usr/sbin/telnetd telnetd",
        "513 stream tcp nowait root /usr/sbin/in.rlogind in.rlogind",
        "514 stream tcp nowait root /usr/sbin/in.rshd in.rshd",
        "79 stream tcp nowait nobody /usr/sbin/in.fingerd in.fingerd", ""));
    NetnsHost.Daemon inetd = ns.start("inetd", "inetutils-inetd", "-d", "--pidfile=" + d.resolve("inetd.pid"),
        d.resolve("inetd.conf").toString());

    Files.createDirectories(d.resolve("tftp"));
    NetnsHost.Daemon tftpd = ns.start("tftpd", "/usr/sbin/in.tftpd", "-L", "-a", a + ":69", "-s", d.resolve("tftp").toString());

    Files.createDirectories(d.resolve("snmp"));
    Files.writeString(d.resolve("snmpd.conf"), String.join("\n",
        "agentAddress udp:" + a + ":161",
        "rwcommunity " + RW + " " + ns.hostAddress(),
        "rocommunity " + RO + " " + ns.hostAddress(),
        // Pinned: SET answers notWritable for every community; the probe must not judge by it.
        "syscontact " + PINNED_CONTACT,
        "sysservices 72", ""));
    NetnsHost.Daemon snmpd = ns.start("snmpd", "/usr/sbin/snmpd", "-f", "-Lo", "-C", "-c", d.resolve("snmpd.conf").toString(),
        "-p", d.resolve("snmpd.pid").toString(), "--persistentDir=" + d.resolve("snmp"), "-M", d.resolve("snmp").toString(),
        "-I", "-smux");

    NetnsHost.Daemon ftpd = ns.startForking("ftpd", d.resolve("ftpd.pid"), "ftpd", "-D", "-A", "--pidfile=" + d.resolve("ftpd.pid"));

    for (String sub : List.of("lock", "state", "cache", "pid", "private", "share", "log", "ncalrpc")) {
      Files.createDirectories(d.resolve("smb").resolve(sub));
    }
    Path smb = d.resolve("smb");
    Files.writeString(d.resolve("smb.conf"), String.join("\n",
        "[global]",
        "  server role = standalone server",
        "  interfaces = " + a + "/29",
        "  bind interfaces only = yes",
        "  smb ports = 445",
        "  disable netbios = yes",
        "  lock directory = " + smb.resolve("lock"),
        "  state directory = " + smb.resolve("state"),
        "  cache directory = " + smb.resolve("cache"),
        "  pid directory = " + smb.resolve("pid"),
        "  private dir = " + smb.resolve("private"),
        "  ncalrpc dir = " + smb.resolve("ncalrpc"),
        "  log file = " + smb.resolve("log") + "/log.%m",
        "  passdb backend = tdbsam:" + smb.resolve("private/passdb.tdb"),
        "  load printers = no",
        "  printing = bsd",
        "  printcap name = /dev/null",
        "  disable spoolss = yes",
        "[share]",
        "  path = " + smb.resolve("share"),
        "  read only = yes", ""));
    NetnsHost.Daemon smbd = ns.start("smbd", "/usr/sbin/smbd", "--foreground", "--no-process-group", "--debug-stdout",
        "-s", d.resolve("smb.conf").toString());

    NetnsHost.Daemon rpcbind = ns.start("rpcbind", "rpcbind", "-f");
    Files.createDirectories(d.resolve("ganesha/export"));
    Files.createDirectories(d.resolve("ganesha/recov"));
    Files.writeString(d.resolve("ganesha.conf"), String.join("\n",
        "NFS_CORE_PARAM { Bind_addr = " + a + "; NFS_Port = 2049; Protocols = 3, 4; Enable_NLM = false; Enable_RQUOTA = false; }",
        "NFS_KRB5 { Active_krb5 = false; }",
        "NFSV4 { RecoveryBackend = fs; RecoveryRoot = " + d.resolve("ganesha/recov") + "; Graceless = true; }",
        "EXPORT { Export_Id = 1; Path = " + d.resolve("ganesha/export") + "; Pseudo = /export; Access_Type = RO;",
        "  Squash = root_squash; SecType = sys; FSAL { Name = VFS; } }", ""));
    ns.awaitListening(rpcbind, Transport.TCP, 111, Duration.ofSeconds(10));
    NetnsHost.Daemon ganesha = ns.start("ganesha", "ganesha.nfsd", "-F", "-f", d.resolve("ganesha.conf").toString(),
        "-L", d.resolve("ganesha.log").toString(), "-p", d.resolve("ganesha.pid").toString());

    // The declared service: an SSH-like listener that must be identified, and later pass a policy.
    NetnsHost.Daemon ssh = ns.start("ssh-like", "socat", "TCP-LISTEN:" + DECLARED_SSH + ",bind=" + a + ",reuseaddr,fork",
        "SYSTEM:echo SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3");

    ns.awaitListening(inetd, Transport.TCP, 23, Duration.ofSeconds(10));
    ns.awaitListening(tftpd, Transport.UDP, 69, Duration.ofSeconds(10));
    ns.awaitListening(snmpd, Transport.UDP, 161, Duration.ofSeconds(10));
    ns.awaitListening(ftpd, Transport.TCP, 21, Duration.ofSeconds(10));
    ns.awaitListening(smbd, Transport.TCP, 445, Duration.ofSeconds(15));
    ns.awaitListening(ganesha, Transport.TCP, 2049, Duration.ofSeconds(20));
    ns.awaitListening(ssh, Transport.TCP, DECLARED_SSH, Duration.ofSeconds(10));
    return new Started(List.of(inetd, tftpd, snmpd, ftpd, smbd, rpcbind, ganesha, ssh), snmpd);
  }

  /**
   * For the benchmark: creates the host, prints {@code address=A}, {@code namespace=N} and
   * {@code ready}, then keeps it until standard input closes, and removes everything.
   */
  public static void main(String[] args) throws Exception {
    try (NetnsHost ns = NetnsHost.create()) {
      start(ns);
      System.out.println("address=" + ns.address());
      System.out.println("namespace=" + ns.name());
      System.out.println("ready");
      System.out.flush();
      InputStream in = System.in;
      while (in.read() >= 0) {
        // wait for the end of input: the benchmark closes it when done
      }
    } catch (IOException e) {
      System.err.println("daemons host: " + e.getMessage());
      System.exit(1);
    }
  }
}
