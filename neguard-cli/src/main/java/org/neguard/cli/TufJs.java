package org.neguard.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The quickstart's last client: tuf-js, a TUF client written by others, run with this machine's
 * Node.js through the interop harness {@code interop/tuf-js/fetch.mjs} of the source tree. When
 * node or the harness's {@code node_modules} ({@code npm ci} in {@code interop/tuf-js}) is
 * missing, the command that would run is printed instead; in CI ({@code CI=true}) that is a
 * failure, since the quickstart test must show tuf-js fetching the package.
 */
final class TufJs {
  static final String HARNESS = "interop/tuf-js/fetch.mjs";

  private TufJs() {}

  /**
   * Has tuf-js refresh from {@code root} and download {@code target} into {@code
   * into/targets/} with its length and hashes checked, and prints what it said (one JSON line).
   *
   * @throws IllegalStateException when tuf-js refuses, or cannot run in CI
   */
  static void fetch(PrintWriter out, PrintWriter err, String repository, Path root,
      String target, Path into) throws IOException, InterruptedException {
    Path harness = harness();
    Path node = onPath("node");
    // fetch.mjs METADATA-URL TARGETS-URL ROOT TARGET WORK-DIR: tuf-js keeps its trusted
    // metadata in WORK-DIR/metadata and downloads to WORK-DIR/targets.
    List<String> cmd = new ArrayList<>(List.of(node == null ? "node" : node.toString(),
        harness == null ? HARNESS : harness.toString(), repository + "/metadata/",
        repository + "/targets/", root.toString(), target, into.toString()));
    List<String> shown = new ArrayList<>(cmd);
    shown.set(0, "node");
    out.println("$ " + String.join(" ", shown));
    out.flush();
    String missing = node == null ? "node is not on PATH (Debian: apt-get install nodejs)"
        : harness == null ? HARNESS + " was not found above " + Path.of("").toAbsolutePath()
            + " or the CLI's jar"
            : !Files.isDirectory(harness.resolveSibling("node_modules"))
                ? "tuf-js is not installed: run 'npm ci' in " + harness.getParent() : null;
    if (missing != null) {
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        throw new IllegalStateException("tuf-js cannot run in CI: " + missing);
      }
      out.println("(not run: " + missing + "; the command above is what would fetch it)");
      out.flush();
      return;
    }
    Path log = Files.createTempFile(into, "tuf-js-", ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    boolean ended = p.waitFor(2, TimeUnit.MINUTES);
    if (!ended) {
      p.destroyForcibly();
    }
    String said = Files.readString(log, StandardCharsets.UTF_8);
    Files.deleteIfExists(log);
    out.print(org.neguard.cli.support.Output.printableLines(said));
    out.flush();
    if (!ended || p.exitValue() != 0) {
      throw new IllegalStateException("tuf-js did not fetch " + target + " ("
          + (ended ? "exit " + p.exitValue() : "still running after 2 minutes") + "): " + said);
    }
  }

  /** The harness in the source tree: above the working directory, else above the CLI's jar. */
  static Path harness() {
    List<Path> starts = new ArrayList<>();
    starts.add(Path.of("").toAbsolutePath());
    try {
      starts.add(Path.of(TufJs.class.getProtectionDomain().getCodeSource().getLocation()
          .toURI()).toAbsolutePath());
    } catch (Exception e) {
      // no code source (an unusual class loader): the working directory alone
    }
    for (Path start : starts) {
      for (Path d = start; d != null; d = d.getParent()) {
        Path h = d.resolve(HARNESS);
        if (Files.isRegularFile(h)) {
          return h;
        }
      }
    }
    return null;
  }

  private static Path onPath(String name) {
    String path = System.getenv("PATH");
    if (path != null) {
      for (String dir : path.split(java.io.File.pathSeparator)) {
        Path candidate = Path.of(dir, name);
        if (Files.isExecutable(candidate)) {
          return candidate;
        }
      }
    }
    return null;
  }
}
