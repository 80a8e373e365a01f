package org.neguard.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.neguard.pkg.BundleLayout;
import org.neguard.pkg.BundleReader;
import org.neguard.pkg.Manifest;
import org.neguard.pkg.ScanReportWriter;
import org.neguard.scanreport.EngineInfo;
import org.neguard.scanreport.FileResult;
import org.neguard.scanreport.ScanReport;
import org.neguard.scanreport.ScanReportCodec;
import org.neguard.pkg.BundleBuilder;
import org.neguard.pkg.BundleSigner;
import org.neguard.pkg.BundleLimits;
import org.neguard.progress.ProgressListener;
import org.neguard.demo.DemoClamd;
import org.neguard.av.Engines;
import org.neguard.av.ScanRunner;
import org.neguard.testing.RequiredProgram;
import org.neguard.sign.SigningIdentity;
import org.neguard.verdict.RefusalException;

/** Signed and broken bundles for the server tests, built with core's public API. */
public final class Bundles {
  private Bundles() {}

  /** The random library inside each bundle, to find and flip a byte of it. */
  public static byte[] library(long seed, int size) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** An unsigned bundle of a small tree with a random library of {@code size} bytes. */
  public static Path unsigned(Path dir, String name, String version, long seed, int size)
      throws IOException, RefusalException {
    return unsigned(dir, name, version, seed, size, null);
  }

  /**
   * An unsigned bundle as {@link #unsigned(Path, String, String, long, int)}, carrying {@code
   * sbom} (exactly these bytes) as its SBOM when not null.
   */
  public static Path unsigned(Path dir, String name, String version, long seed, int size,
      byte[] sbom) throws IOException, RefusalException {
    Path tree = dir.resolve(name + "-" + version + "-" + seed + "-tree");
    Files.createDirectories(tree.resolve("bin"));
    Files.createDirectories(tree.resolve("lib"));
    Path tool = tree.resolve("bin/tool");
    Files.writeString(tool, "#!/bin/sh\necho tool\n", StandardCharsets.US_ASCII);
    Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.write(tree.resolve("lib/lib.so"), library(seed, size));
    Path out = dir.resolve(name + "-" + version + "-" + seed + ".ngp");
    BundleBuilder.Builder b = BundleBuilder.builder().name(name).version(version)
        .securityVersion(1).neType("mme").vendor("Test Vendor")
        .created(Instant.parse("2026-01-15T10:00:00Z")).threads(2);
    if (sbom != null) {
      b.sbom(sbom);
    }
    b.build().build(tree, out);
    return out;
  }

  private static DemoClamd clamd;

  /**
   * One real clamd for the whole test JVM (starting one takes seconds), stopped by its PID when
   * the JVM exits.
   */
  static synchronized DemoClamd clamd() throws IOException {
    if (clamd == null) {
      RequiredProgram.require("clamd");
      Path root = Files.createTempDirectory("neguard-server-clamd-");
      try {
        clamd = DemoClamd.builder(root.resolve("clamd")).start();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while starting clamd", e);
      }
      DemoClamd started = clamd;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          started.close();
          Files.deleteIfExists(root);
        } catch (IOException e) {
          // the JVM is exiting; nothing left to report to
        }
      }));
    }
    return clamd;
  }

  /** Scans {@code bundle} in place with the shared clamd, so the publication gate lets it pass. */
  public static Path scanned(Path bundle) throws IOException, RefusalException {
    String spec = clamd().unixSpec();
    ScanRunner.Result r = ScanRunner.builder().engine(spec, Engines.parse(spec))
        .note("server tests: demo signature database").build()
        .run(bundle, bundle, ScanRunner.Progress.NONE);
    if (!r.findings().isEmpty()) {
      throw new IllegalStateException("test bundle not clean: " + r.findings());
    }
    return bundle;
  }

  /**
   * Writes into the unsigned {@code bundle} a clean ClamAV report of every payload file, with
   * the database date and scan start given: for scan-policy cases a real clamd cannot produce
   * (a stale database, a scan time the scanning host made up).
   */
  public static Path withReport(Path bundle, Instant databaseDate, Instant started)
      throws IOException, RefusalException {
    return withReport(bundle,
        new EngineInfo("clamd", "ClamAV", "1.4.0", "27000", databaseDate, "unix:/test"), started);
  }

  /** As {@link #withReport(Path, Instant, Instant)}, the report naming {@code engine}. */
  public static Path withReport(Path bundle, EngineInfo engine, Instant started)
      throws IOException, RefusalException {
    Path out = bundle.resolveSibling("reported-" + bundle.getFileName());
    try (BundleReader r = BundleReader.open(bundle, BundleLimits.defaults())) {
      Manifest m = r.manifest();
      ScanReport report = new ScanReport(ScanReport.FORMAT,
          engine,
          "test-host", "NEGuard test", started, started.plusSeconds(1), m.name(), m.version(),
          m.rim().digest(),
          m.files().stream().map(f -> FileResult.clean(f.path())).toList(),
          ScanReport.Verdict.CLEAN, List.of("server tests: a made-up report"));
      ScanReportWriter.write(r, Map.of(BundleLayout.SCAN_PREFIX + "01-clamd.json",
          ScanReportCodec.encode(report)), out);
    }
    return out;
  }

  /** Signs {@code bundle} in place. */
  public static Path sign(Path bundle, SigningIdentity identity)
      throws IOException, RefusalException {
    new BundleSigner(BundleLimits.defaults(), 2).sign(bundle, identity, bundle, false,
        ProgressListener.NONE);
    return bundle;
  }

  /** A scanned and signed bundle. */
  public static Path signed(Path dir, String name, String version, long seed, int size,
      SigningIdentity identity) throws IOException, RefusalException {
    Path b = scanned(unsigned(dir, name, version, seed, size));
    new BundleSigner(BundleLimits.defaults(), 2).sign(b, identity, b, false,
        ProgressListener.NONE);
    return b;
  }

  /** A scanned and signed bundle carrying {@code sbom} as its SBOM. */
  public static Path signed(Path dir, String name, String version, long seed, int size,
      SigningIdentity identity, byte[] sbom) throws IOException, RefusalException {
    return sign(scanned(unsigned(dir, name, version, seed, size, sbom)), identity);
  }

  /** A copy of {@code bundle} with one byte of its library flipped. */
  public static Path tampered(Path bundle, long seed, int size) throws IOException {
    byte[] bytes = Files.readAllBytes(bundle);
    byte[] needle = Arrays.copyOf(library(seed, size), 64);
    for (int i = 0; i + needle.length <= bytes.length; i++) {
      if (Arrays.equals(bytes, i, i + needle.length, needle, 0, needle.length)) {
        bytes[i + 100] ^= 0x01;
        Path out = bundle.resolveSibling("tampered-" + bundle.getFileName());
        Files.write(out, bytes);
        return out;
      }
    }
    throw new IllegalStateException("library not found stored in " + bundle);
  }
}
