package org.neguard.pkg;

import com.sun.management.OperatingSystemMXBean;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.neguard.progress.ProgressListener;
import org.neguard.scanreport.ScanPolicy;
import org.neguard.scanreport.ScanReportCheck;
import org.neguard.scanreport.ScanReportCodec;
import org.neguard.sign.SignatureVerifier;
import org.neguard.sign.TrustStore;

/**
 * The phases of 'pkg verify' one after another in one JVM, each with its wall time and the
 * process's CPU time (docs/BENCHMARKS.md, issue 17): what each costs cold, and warm in later
 * rounds. In package org.neguard.pkg for PayloadHasher. Run against a build's jars:
 *
 * <pre>
 * javac -cp "neguard-cli/target/lib/*" -d /tmp/phases bench/VerifyPhases.java
 * java -XX:+UseSerialGC -cp "/tmp/phases:neguard-cli/target/lib/*" org.neguard.pkg.VerifyPhases \
 *     BUNDLE CA.pem [ROUNDS] [REPORT_ENTRY]
 * </pre>
 *
 * With REPORT_ENTRY (e.g. neguard/scan/01-clamd.json), that scan report is decoded before the
 * manifest, to tell Jackson data-binding's own start-up from the manifest's share.
 */
public final class VerifyPhases {
  private static final OperatingSystemMXBean OS =
      (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private static long wall;
  private static long cpu;

  private VerifyPhases() {}

  private static void mark(String phase) {
    System.out.printf("%-30s wall %6.3f s  cpu %6.3f s%n", phase,
        (System.nanoTime() - wall) / 1e9, (OS.getProcessCpuTime() - cpu) / 1e9);
    wall = System.nanoTime();
    cpu = OS.getProcessCpuTime();
  }

  public static void main(String[] args) throws Exception {
    Path bundle = Path.of(args[0]);
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    for (int r = 0; r < rounds; r++) {
      System.out.println("round " + (r + 1));
      wall = System.nanoTime();
      cpu = OS.getProcessCpuTime();
      TrustStore trust = TrustStore.load(List.of(Path.of(args[1])), List.of());
      mark("trust store");
      try (BundleReader reader = BundleReader.openArchive(bundle, BundleLimits.defaults())) {
        mark("open the ZIP");
        if (args.length > 3) {
          byte[] report;
          try (InputStream in = reader.openEntry(args[3], ScanReportCheck.MAX_REPORT_BYTES)) {
            report = in.readAllBytes();
          }
          ScanReportCodec.decode(args[3], report);
          mark("decode " + args[3]);
        }
        reader.loadManifest();
        mark("read and decode the manifest");
        new SignatureVerifier(trust, Clock.systemUTC()).verify(reader.manifestBytes(),
            reader.signature().orElseThrow(), reader.manifest().vendor());
        mark("CMS and chain");
        int threads = Runtime.getRuntime().availableProcessors();
        try (PayloadHasher hasher = PayloadHasher.start(
            reader, reader.contentEntries(), threads, ProgressListener.NONE)) {
          if (!PayloadHasher.compare(reader.manifest(), hasher.await()).isEmpty()) {
            throw new IllegalStateException("the bundle does not verify");
          }
        }
        mark("hash on " + threads + " threads");
        new ScanReportCheck(ScanPolicy.defaults()).judge(reader);
        mark("scan-report gate");
      }
    }
  }
}
