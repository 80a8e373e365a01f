package org.neguard.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservationCodec;
import org.neguard.harden.probe.HardenScanner;
import org.neguard.harden.probe.PortList;
import org.neguard.harden.probe.ScanListener;
import org.neguard.harden.probe.ScanOptions;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine;
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
      "Scan only hosts you are responsible for. Exit 0 with a complete observation, 1 when "
          + "the target is unreachable or the scan was interrupted (the partial observation is "
          + "still printed and written, marked incomplete)."
    })
final class HardenScanCommand implements Callable<Integer>, Output.JsonCapable {
  @Mixin JsonOption jsonOption;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

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
      description = "Skip service identification of open TCP ports (a bare connect scan, like nmap -sT without -sV).")
  boolean noIdentify;

  @Option(names = "--out", paramLabel = "FILE", description = "Also write the observation (JSON) to FILE.")
  Path out;

  @Override
  public boolean json() {
    return jsonOption.json;
  }

  @Override
  public Object target() {
    return target;
  }

  @Override
  public Integer call() throws Exception {
    Output output = Output.of(spec.commandLine());
    ScanOptions options = options();
    ScanProgress progress = ScanProgress.of(output);
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
      if (out != null) {
        ObservationText.write(o, out);
      }
      if (output.json()) {
        output.out().print(new String(ObservationCodec.encode(o), StandardCharsets.UTF_8));
        output.out().flush();
      } else {
        output.line(ObservationText.text(o) + (out == null ? "" : "\n\nwritten to " + out));
      }
      if (!o.complete()) {
        output.err().println("ERROR  " + ReasonCode.SCAN_INCOMPLETE
            + "  the scan was interrupted; the observation is marked incomplete and never passes a check");
        output.err().flush();
        return Failures.ERROR;
      }
      return Failures.PASS;
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
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /** A progress line per phase on a terminal. */
  static final class ScanProgress implements ScanListener, AutoCloseable {
    private static final long INTERVAL_NANOS = 200_000_000L;
    private final java.io.PrintWriter err;
    private final long start = System.nanoTime();
    private final java.util.concurrent.atomic.AtomicLong lastDraw = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean drawn;

    private ScanProgress(java.io.PrintWriter err) {
      this.err = err;
    }

    static ScanProgress of(Output output) {
      return new ScanProgress(output.json() || System.console() == null ? null : output.err());
    }

    @Override
    public void progress(String phase, long done, long total) {
      if (err == null) {
        return;
      }
      long now = System.nanoTime();
      long last = lastDraw.get();
      if (now - last < INTERVAL_NANOS || !lastDraw.compareAndSet(last, now)) {
        return;
      }
      int percent = total == 0 ? 100 : (int) (done * 100 / total);
      synchronized (err) {
        err.printf("\r\033[K%-8s [%-25s] %3d%%  %,d / %,d  %.1f s", phase, "#".repeat(percent / 4), percent,
            done, total, (now - start) / 1e9);
        err.flush();
      }
      drawn = true;
    }

    @Override
    public void close() {
      if (err != null && drawn) {
        synchronized (err) {
          err.print("\r\033[K");
          err.flush();
        }
      }
    }
  }
}
