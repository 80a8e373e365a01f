package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.neguard.demo.DemoClamd;
import org.neguard.io.FileTrees;
import org.neguard.testing.FakePeer;
import org.neguard.testing.RequiredProgram;

/**
 * One way for every command that writes a file: an existing file is refused (BAD_INPUT, exit 1,
 * the file untouched) unless --force is given, and then replaced whole, with no temporary file
 * left beside it.
 */
class OutputFileTest {
  private static final String OLD = "an older file nobody asked to replace\n";

  static Path dir;
  static DemoClamd clamd;
  static Path pki;
  static Path tree;
  static Path unscanned;
  static Path scanned;
  static Path inventory;

  @BeforeAll
  static void fixtures() throws Exception {
    RequiredProgram.require("clamd");
    dir = Files.createTempDirectory("neguard-output-file-test-");
    clamd = DemoClamd.builder(dir.resolve("clamd")).start();
    pki = dir.resolve("pki");
    require(CliRun.of("pki", "demo", "--out", pki.toString()), 0);
    tree = Files.createDirectories(dir.resolve("tree"));
    Files.writeString(tree.resolve("a.txt"), "a\n");
    unscanned = dir.resolve("unscanned.ngp");
    require(CliRun.of(buildArgs(unscanned)), 0);
    scanned = dir.resolve("scanned.ngp");
    require(CliRun.of("pkg", "scan", unscanned.toString(), "--engine", clamd.unixSpec(), "--out",
        scanned.toString()), 0);
    inventory = dir.resolve("inventory.json");
    require(CliRun.of("harden", "inventory", "--out", inventory.toString()), 0);
  }

  @AfterAll
  static void cleanUp() throws IOException {
    if (clamd != null) {
      clamd.close();
    }
    FileTrees.deleteTree(dir);
  }

  private static String[] buildArgs(Path out) {
    return new String[] {"pkg", "build", "--name", "p", "--version", "1", "--security-version",
        "1", "--ne-type", "mme", "--vendor", "ACME", "--from", tree.toString(), "--out",
        out.toString()};
  }

  private static void require(CliRun r, int exit) {
    assertThat(r.exit()).as(r.toString()).isEqualTo(exit);
  }

  /** A command that writes {@code file}; the exits it may end with when it writes. */
  record Writer(String name, Function<Path, String[]> args, Function<Path, Path> file,
      List<Integer> exits) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> writers() {
    Function<Path, Path> itself = f -> f;
    return Stream.of(
        new Writer("pkg build --out", OutputFileTest::buildArgs, itself, List.of(0)),
        new Writer("pkg scan --out", f -> new String[] {"pkg", "scan", unscanned.toString(),
            "--engine", clamd.unixSpec(), "--out", f.toString()}, itself, List.of(0)),
        new Writer("pkg sign --out", f -> new String[] {"pkg", "sign", scanned.toString(),
            "--key", pki.resolve("vendor.key").toString(), "--cert",
            pki.resolve("vendor.pem").toString(), "--out", f.toString()}, itself, List.of(0)),
        new Writer("pkg scan-report --html", f -> new String[] {"pkg", "scan-report",
            scanned.toString(), "--html", f.toString()}, itself, List.of(0)),
        new Writer("harden inventory --out", f -> new String[] {"harden", "inventory", "--out",
            f.toString()}, itself, List.of(0)),
        new Writer("harden scan --out", f -> new String[] {"harden", "scan", "--target",
            "127.0.0.1", "--ports", Integer.toString(closedPort()), "--udp-ports", "9",
            "--sctp-ports", "none", "--no-identify", "--out", f.toString()}, itself, List.of(0)),
        // The evidence directory: its files are the ones refused or replaced.
        new Writer("harden check --report", f -> new String[] {"harden", "check", "--policy",
            Path.of("..", "examples", "policies", "mme.yaml").toString(), "--inventory",
            inventory.toString(), "--report", f.getParent().toString()},
            f -> f.resolveSibling("hardening-report.html"), List.of(0, 3)))
        .map(Arguments::of);
  }

  private static int closedPort() {
    // A port nothing listens on any more: the scan finds it closed.
    try (FakePeer gone = FakePeer.always(FakePeer.HANG_UP)) {
      return gone.port();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("writers")
  @DisplayName("an existing output file is refused without --force and left as it was")
  void existingFile_withoutForce_refusedAndUntouched(Writer w) throws IOException {
    Path out = Files.createTempDirectory(dir, "out-").resolve("out");
    Path file = w.file().apply(out);
    Files.writeString(file, OLD);
    CliRun r = CliRun.of(w.args().apply(out));
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(r.err()).as(r.toString()).contains("BAD_INPUT")
        .contains(file + " exists; pass --force to replace it");
    assertThat(r.out()).as("errors go to standard error only").doesNotContain("BAD_INPUT");
    assertThat(file).hasContent(OLD);
    assertThat(names(file.getParent())).containsExactly(file.getFileName().toString());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("writers")
  @DisplayName("with --force the existing file is replaced whole, nothing left beside it")
  void existingFile_withForce_replacedAtomically(Writer w) throws IOException {
    Path out = Files.createTempDirectory(dir, "out-").resolve("out");
    Path file = w.file().apply(out);
    Files.writeString(file, OLD);
    List<String> args = new ArrayList<>(List.of(w.args().apply(out)));
    args.add("--force");
    CliRun r = CliRun.of(args.toArray(String[]::new));
    assertThat(w.exits()).as(r.toString()).contains(r.exit());
    assertThat(Files.readAllBytes(file)).isNotEmpty()
        .isNotEqualTo(OLD.getBytes(StandardCharsets.UTF_8));
    assertThat(names(file.getParent())).allSatisfy(n -> assertThat(n).doesNotStartWith("."));
  }

  private static List<String> names(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
