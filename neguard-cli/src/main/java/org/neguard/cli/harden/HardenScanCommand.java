package org.neguard.cli.harden;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.neguard.cli.support.CommandBase;
import org.neguard.cli.support.ForceOption;
import org.neguard.cli.support.Output;
import org.neguard.cli.support.TerminalProgress;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservationCodec;
import org.neguard.harden.probe.HardenScanner;
import org.neguard.harden.probe.PortList;
import org.neguard.harden.probe.ScanOptions;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code neguard harden scan}: the remote port and service scan of one host (HRD-3, HRD-5). */
@Command(
    name = "scan",
    mixinStandardHelpOptions = true,
    description = {
      "Scan one host: TCP connect scan, service identification by banner and handshake, UDP "
          + "probes with real payloads, the SNMP write probe (v2c then v1, each community; a value "
          + "is written back unchanged), and an SCTP association probe where the kernel has SCTP.",
      "Scan only hosts you are responsible for. Exit 0 with a complete observation, 3 when "
          + "the scan was interrupted (SCAN_INCOMPLETE: the partial observation is still printed "
          + "and written, marked incomplete), 1 when the target is unreachable."
    })
final class HardenScanCommand extends CommandBase {
  @Option(names = "--target", required = true, paramLabel = "HOST", description = "The host to scan (address or name).")
  String target;

  @Option(names = "--ports", paramLabel = "LIST", defaultValue = "1-65535",
      description = "TCP ports, like 1-65535 or 22,80,8000-8100 (default: ${DEFAULT-VALUE}).")
  String ports;

  @Option(names = "--udp-top", paramLabel = "N", defaultValue = "20",
      description = "Probe the N UDP ports that matter most (SNMP, TFTP, portmapper, NFS, echo, time, NTP...; 0-40, default: ${DEFAULT-VALUE}).")
  int udpTop;

  @Option(names = "--udp-ports", paramLabel = "LIST", description = "Probe exactly these UDP ports instead of --udp-top.")
  String udpPorts;

  @Option(names = "--sctp-ports", paramLabel = "LIST",
      description = "SCTP ports to probe (default: S1-MME 36412, SGs 29118, X2 36422, NGAP 38412, M3UA 2905, Diameter 3868, 29168, 29169); 'none' for none.")
  String sctpPorts;

  @Option(names = "--communities", paramLabel = "C", split = ",",
      description = "SNMP communities for the write probe, in order (default: public,private,community,manager).")
  List<String> communities;

  @Option(names = "--concurrency", paramLabel = "N", defaultValue = "256",
      description = "TCP connects in flight (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--timeout", paramLabel = "MS", defaultValue = "1000",
      description = "Per-port TCP timeout in milliseconds (default: ${DEFAULT-VALUE}).")
  long timeoutMillis;

  @Option(names = "--retries", paramLabel = "N", defaultValue = "1",
      description = "Extra SYNs to a silent TCP port (default: ${DEFAULT-VALUE}).")
  int retries;

  @Option(names = "--no-identify",
      description = "Skip service identification, the portmapper DUMP and the SNMP, NFS and mountd version probes (a bare"
          + " connect scan, like nmap -sT without -sV); a policy's version rules and the forbidden service names then"
          + " stay inconclusive.")
  boolean noIdentify;

  @Option(names = "--out", paramLabel = "FILE", description = "Also write the observation (JSON) to FILE.")
  Path out;

  @Mixin ForceOption force;

  @Override
  public Object target() {
    return target;
  }

  @Override
  public Integer call() throws Exception {
    Output output = output();
    ScanOptions options = options();
    ObservationText.checkOut(out, force);
    TerminalProgress progress = TerminalProgress.items(output);
    HardenScanner scanner = HardenScanner.create(options, progress);
    // Ctrl-C: stop the scan, and let this thread print and write the partial observation before
    // the JVM exits.
    CountDownLatch written = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      scanner.cancel();
      try {
        written.await(15, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "neguard-scan-interrupt");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      Observation o;
      try {
        o = scanner.scan(target);
      } finally {
        progress.close();
      }
      ObservationText.write(o, out, force);
      String text = ObservationText.text(o, out);
      // Encoded only for JSON output: the encoder (Jackson's 600 classes) is most of what a text
      // report would load after the sweep (docs/BENCHMARKS.md, issue 17).
      byte[] json = output.json() ? ObservationCodec.encode(o) : null;
      if (!o.complete()) {
        // A refusal, as in 'harden check' and 'harden diff': what was seen is kept, but it
        // cannot show that a port is closed.
        return output.refusedDocument(text, json, List.of(Reason.of(ReasonCode.SCAN_INCOMPLETE,
            "the scan was interrupted; the observation is marked incomplete and never passes a"
                + " check: scan again to the end")));
      }
      return output.document(text, json);
    } finally {
      written.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // The JVM is already shutting down (Ctrl-C): the hook is running.
      }
    }
  }

  private ScanOptions options() throws RefusalException {
    try {
      ScanOptions o = ScanOptions.defaults().withTcpPorts(PortList.parse(ports))
          .withTcpTiming(concurrency, Duration.ofMillis(timeoutMillis), retries);
      o = o.withUdpPorts(udpPorts != null ? PortList.parse(udpPorts) : ScanOptions.udpTop(udpTop));
      if (sctpPorts != null) {
        o = o.withSctpPorts("none".equals(sctpPorts) ? PortList.none() : PortList.parse(sctpPorts));
      }
      if (communities != null) {
        o = o.withCommunities(communities);
      }
      if (noIdentify) {
        o = o.withoutIdentification();
      }
      return o;
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
  }
}
