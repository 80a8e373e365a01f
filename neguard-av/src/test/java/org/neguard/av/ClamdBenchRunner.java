package org.neguard.av;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.neguard.progress.ProgressListener;
import org.neguard.verdict.RefusalException;
import org.neguard.demo.DemoClamd;
import org.neguard.scanreport.FileResult;

/**
 * The benchmark's two halves (bench/scan-vs-clamdscan.sh), until {@code pkg scan} exists:
 *
 * <pre>
 * java -cp neguard-av/target/classes:neguard-av/target/test-classes:... \
 *     org.neguard.av.ClamdBenchRunner clamd DIR READY   # starts a DemoClamd, writes READY
 * java ... org.neguard.av.ClamdBenchRunner scan SPEC TREE  # scans every file under TREE
 * </pre>
 *
 * READY gets four lines: the TCP spec, the Unix spec, clamd.conf's path (for clamdscan) and
 * clamd's PID.
 *
 * {@code scan} exits 0 when every file is clean, 3 when anything is infected or not scanned, 1 on
 * an engine error. {@code clamd} runs until killed (SIGTERM), then stops clamd by its PID and
 * deletes DIR.
 */
public final class ClamdBenchRunner {
  private ClamdBenchRunner() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 3 && args[0].equals("clamd")) {
      clamd(Path.of(args[1]), Path.of(args[2]));
    } else if (args.length == 3 && args[0].equals("scan")) {
      System.exit(scan(args[1], Path.of(args[2])));
    } else {
      System.err.println("usage: ClamdBenchRunner clamd DIR READY | scan SPEC TREE");
      System.exit(2);
    }
  }

  private static void clamd(Path dir, Path ready) throws Exception {
    DemoClamd clamd = DemoClamd.builder(dir).start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        clamd.close();
      } catch (IOException e) {
        System.err.println("could not clean up " + dir + ": " + e.getMessage());
      }
    }));
    Path tmp = ready.resolveSibling(ready.getFileName() + ".tmp");
    Files.writeString(tmp, clamd.tcpSpec() + "\n" + clamd.unixSpec() + "\n"
        + dir.resolve("clamd.conf") + "\n" + clamd.pid() + "\n");
    Files.move(tmp, ready);
    Thread.sleep(Long.MAX_VALUE);
  }

  private static int scan(String spec, Path tree) throws IOException {
    List<ScanItem> items = new ArrayList<>();
    try (Stream<Path> s = Files.walk(tree)) {
      for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
        items.add(new ScanItem(tree.relativize(p).toString(), Files.size(p),
            () -> Files.newInputStream(p)));
      }
    }
    try {
      List<FileResult> results = ClamdEngine.fromSpec(spec).scan(items, ProgressListener.NONE);
      long bad = results.stream().filter(r -> r.status() != FileResult.Status.CLEAN).count();
      results.stream()
          .filter(r -> r.status() != FileResult.Status.CLEAN)
          .forEach(r -> System.out.println(r.path() + ": " + r.status() + " "
              + (r.signature() != null ? r.signature() : r.detail())));
      System.out.println(results.size() + " files, " + bad + " not clean");
      return bad == 0 ? 0 : 3;
    } catch (RefusalException e) {
      System.err.println(e.getMessage());
      return 1;
    }
  }
}
