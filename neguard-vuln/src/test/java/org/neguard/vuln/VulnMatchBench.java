package org.neguard.vuln;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.neguard.progress.ProgressListener;

/**
 * The benchmark of bench/vuln-match.sh (docs/BENCHMARKS.md), a main in the test sources so that
 * it ships nowhere. Modes:
 *
 * <ul>
 *   <li>{@code generate DIR [RECORDS] [PACKAGES]}: a synthetic OSV Debian dump shaped like the
 *       real one (about 60,000 DEBIAN-CVE records of a few thousand source packages, a few with
 *       most of them as linux has; each record with a details paragraph and ranges for Debian
 *       11, 12 and 13, some unfixed), {@code DIR/debian-osv.zip}, and an NE's inventory:
 *       {@code DIR/status} (a dpkg status file of 2,000 installed binary packages of 1,500 source
 *       packages) and {@code DIR/pairs.tsv} (installed source version and each fixed version
 *       of its advisories, for the dpkg reference);
 *   <li>{@code import DIR}: imports the zip into {@code DIR/db}, printing the time;
 *   <li>{@code match DIR [ROUNDS]}: opens the database and assesses the 2,000 packages with 30
 *       of them serving listening sockets, printing open and match times (the first round cold,
 *       then warm) and the heap in use;
 *   <li>{@code profile-open DIR}: where a cold open's CPU goes, phase by phase.
 * </ul>
 */
public final class VulnMatchBench {
  private static final String[] WORDS = ("a flaw was found in the handling of crafted input"
      + " which could allow a remote attacker to cause a denial of service or possibly execute"
      + " arbitrary code via a buffer overflow in the parser when processing malformed data"
      + " use after free out of bounds read integer overflow").split(" ");

  private VulnMatchBench() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    switch (args[0]) {
      case "generate" -> generate(dir, args.length > 2 ? Integer.parseInt(args[2]) : 60_000,
          args.length > 3 ? Integer.parseInt(args[3]) : 2_000);
      case "import" -> {
        long t = System.nanoTime();
        double c = cpu();
        List<FeedInfo> f = VulnDb.importFeeds(dir.resolve("db"), List.of(dir.resolve(
            "debian-osv.zip")), ProgressListener.NONE);
        System.out.printf("import: %d records in %.3f s (thread CPU %.3f s)%n",
            f.get(0).records(), (System.nanoTime() - t) / 1e9, cpu() - c);
      }
      case "match" -> match(dir, args.length > 2 ? Integer.parseInt(args[2]) : 5);
      case "profile-open" -> profileOpen(dir);
      default -> throw new IllegalArgumentException("mode: generate, import, match or"
          + " profile-open");
    }
  }

  /**
   * Where a cold open's time goes, each phase once in this fresh JVM: reading the index file,
   * its SHA-256, reading it again with the check and decoding the records ({@code
   * IndexFile.readOsv}), building the index; thread CPU of each, and the GC's pauses are the
   * difference to the process's CPU (-Xlog:gc).
   */
  static void profileOpen(Path dir) throws Exception {
    Path idx;
    try (java.util.stream.Stream<Path> gens = Files.list(dir.resolve("db"))) {
      Path gen = gens.filter(p -> p.getFileName().toString().startsWith("gen-")).findFirst()
          .orElseThrow();
      try (java.util.stream.Stream<Path> files = Files.list(gen)) {
        idx = files.filter(p -> p.toString().endsWith(".idx")).findFirst().orElseThrow();
      }
    }
    double c0 = cpu();
    byte[] b = Files.readAllBytes(idx);
    double c1 = cpu();
    String sha = java.util.HexFormat.of().formatHex(IndexFile.sha256().digest(b));
    double c2 = cpu();
    List<Advisory> adv = IndexFile.readOsv(idx, b.length, sha);
    double c3 = cpu();
    AdvisoryIndex.of(adv);
    double c4 = cpu();
    System.out.printf("index %d bytes, %d advisories; thread CPU: read %.3f s, SHA-256 %.3f s,"
        + " read+check+decode %.3f s, index %.3f s%n", b.length, adv.size(), c1 - c0, c2 - c1,
        c3 - c2, c4 - c3);
  }

  static String sourceName(int i) {
    return i == 0 ? "linux" : "src" + i;
  }

  static String upstream(int src) {
    return (1 + src % 9) + "." + (src % 23) + "." + (src % 7);
  }

  static void generate(Path dir, int records, int packages) throws IOException {
    Files.createDirectories(dir);
    Random r = new Random(16);
    int sources = 4_000;
    Instant modified = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    List<List<String>> fixesBySource = new ArrayList<>();
    for (int i = 0; i < sources; i++) {
      fixesBySource.add(new ArrayList<>());
    }
    try (OutputStream file = Files.newOutputStream(dir.resolve("debian-osv.zip"));
        ZipOutputStream z = new ZipOutputStream(file)) {
      for (int n = 0; n < records; n++) {
        // linux about a quarter of all records, then a long tail
        int src = r.nextInt(4) == 0 ? 0 : (int) (sources * Math.pow(r.nextDouble(), 2.5));
        String cve = "CVE-" + (2005 + n % 21) + "-" + (10000 + n);
        StringBuilder details = new StringBuilder();
        for (int w = 0; w < 40 + r.nextInt(60); w++) {
          details.append(WORDS[r.nextInt(WORDS.length)]).append(' ');
        }
        StringBuilder affected = new StringBuilder();
        for (String rel : new String[] {"11", "12", "13"}) {
          if (r.nextInt(10) < 2) {
            continue;
          }
          int rev = 1 + r.nextInt(5);
          String fixed = upstream(src) + "-" + rev + (rel.equals("13") ? "" : "+deb" + rel
              + "u" + (1 + r.nextInt(9)));
          boolean unfixed = r.nextInt(100) < 15;
          if (rel.equals("12") && !unfixed) {
            fixesBySource.get(src).add(fixed);
          }
          affected.append(affected.length() == 0 ? "" : ",").append("""
              {"package": {"ecosystem": "Debian:%s", "name": "%s", "purl": "pkg:deb/debian/%s?\
              arch=source"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}%s]}],
               "ecosystem_specific": {"urgency": "not yet assigned"}}""".formatted(rel,
              sourceName(src), sourceName(src), unfixed ? "" : ", {\"fixed\": \"" + fixed
                  + "\"}"));
        }
        String json = """
            {"id": "DEBIAN-%s", "modified": "%s", "published": "%s", "aliases": ["%s"],
             "details": "%s", "affected": [%s],
             "schema_version": "1.6.0"}
            """.formatted(cve, modified, modified, cve, details.toString().strip(), affected);
        z.putNextEntry(new ZipEntry("DEBIAN-" + cve + ".json"));
        z.write(json.getBytes(StandardCharsets.UTF_8));
      }
    }
    try (BufferedWriter status = Files.newBufferedWriter(dir.resolve("status"));
        BufferedWriter pairs = Files.newBufferedWriter(dir.resolve("pairs.tsv"))) {
      for (int p = 0; p < packages; p++) {
        int src = p % 1_500;
        // an NE kept up to date, but for one source package in 20 installed long ago
        String version = r.nextInt(20) == 0
            ? upstream(src) + "-" + (1 + r.nextInt(5)) + "+deb12u" + (1 + r.nextInt(9))
            : upstream(src) + "-5+deb12u9";
        status.write("Package: " + (p < 1_500 ? sourceName(src) : sourceName(src) + "-bin" + p)
            + "\nStatus: install ok installed\nArchitecture: amd64\nVersion: " + version
            + "\nSource: " + sourceName(src) + "\n\n");
        for (String f : fixesBySource.get(src)) {
          pairs.write(version + "\t" + f + "\n");
        }
      }
    }
  }

  /** CPU time of this thread, seconds: the machine may be shared, wall time then misleads. */
  static double cpu() {
    return java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime()
        / 1e9;
  }

  static void match(Path dir, int rounds) throws Exception {
    long t0 = System.nanoTime();
    List<DpkgPackage> installed = DpkgStatus.read(dir.resolve("status"));
    List<Component> components = installed.stream().map(p -> Component.ofDpkg(p, "Debian:12"))
        .toList();
    List<Exposure> exposures = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      exposures.add(new Exposure("tcp", "0.0.0.0", 1000 + i, Optional.of("d" + i),
          Optional.of("/usr/sbin/d" + i), Optional.of(components.get(i * 50).name()),
          Optional.empty()));
    }
    Inventory inventory = new Inventory(components, exposures);
    long t1 = System.nanoTime();
    double c1 = cpu();
    VulnDb db = VulnDb.open(dir.resolve("db"));
    long t2 = System.nanoTime();
    System.out.printf("status: %d packages read in %.3f s%n", installed.size(), (t1 - t0) / 1e9);
    System.out.printf("open: %d advisories in %.3f s (thread CPU %.3f s)%n",
        db.advisories().size(), (t2 - t1) / 1e9, cpu() - c1);
    long t3 = System.nanoTime();
    double c3 = cpu();
    VulnDb.open(dir.resolve("db"));
    System.out.printf("open again (warm JIT): %.3f s (thread CPU %.3f s)%n",
        (System.nanoTime() - t3) / 1e9, cpu() - c3);
    for (int i = 0; i < rounds; i++) {
      long s = System.nanoTime();
      double cs = cpu();
      Assessment a = db.assess(inventory);
      long e = System.nanoTime();
      double ce = cpu();
      System.out.printf("match %s: %d packages, %d exposures: %d findings (%d reachable),"
          + " %d not assessed in %.3f s (thread CPU %.3f s)%n", i == 0 ? "cold" : "warm",
          components.size(), exposures.size(), a.findings().size(), a.findings().stream()
              .filter(Finding::reachable).count(), a.notAssessed().size(), (e - s) / 1e9,
          ce - cs);
    }
    System.gc();
    Runtime rt = Runtime.getRuntime();
    System.out.printf("heap in use after GC: %d MiB%n", (rt.totalMemory() - rt.freeMemory())
        >> 20);
    System.out.printf("open + all matches: %.3f s%n", (System.nanoTime() - t1) / 1e9);
  }
}
