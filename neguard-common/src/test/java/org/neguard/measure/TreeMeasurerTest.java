package org.neguard.measure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Measuring installed files (TIM) so that they compare with the package's RIM line by line. */
class TreeMeasurerTest {
  @TempDir Path dir;

  /** The tree of FORMAT.md's worked example: a.txt (hello, 0644) and bin/x (empty, 0755). */
  Path example() throws Exception {
    Path root = Files.createDirectories(dir.resolve("core"));
    Files.writeString(root.resolve("a.txt"), "hello\n");
    Files.createDirectories(root.resolve("bin"));
    Files.createFile(root.resolve("bin/x"));
    Files.setPosixFilePermissions(root.resolve("a.txt"), FileModes.permissions(0644));
    Files.setPosixFilePermissions(root.resolve("bin/x"), FileModes.permissions(0755));
    return root;
  }

  static final List<TreeDigest.Leaf> RIM = List.of(
      new TreeDigest.Leaf("a.txt",
          "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03", 0644),
      new TreeDigest.Leaf("bin/x",
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 0755));

  @Test
  @DisplayName("ATT-3 INT-4 the TIM of files on disk equals the RIM of the same files")
  void measure_installedTree_equalsTheRim() throws Exception {
    TreeMeasurement m = TreeMeasurer.measure(example());
    assertThat(m.digest()).isEqualTo(TreeDigest.of(RIM))
        .isEqualTo("8faddc3e49c81312c404f9ef4cd1626047a83a92baa5c0569a01b547fc6c6c3e");
    assertThat(m.leaves()).containsExactlyElementsOf(RIM);
    assertThat(m.diff(RIM).isEmpty()).isTrue();
  }

  @Test
  @DisplayName("ATT-3 OBJ-2 a changed byte, a removed file and an extra file are each named")
  void diff_changedMissingExtra_named() throws Exception {
    Path root = example();
    Files.writeString(root.resolve("a.txt"), "hellO\n");
    Files.delete(root.resolve("bin/x"));
    Files.writeString(root.resolve("bin/implant"), "#!/bin/sh\n");
    TreeMeasurement m = TreeMeasurer.measure(root);
    assertThat(m.digest()).isNotEqualTo(TreeDigest.of(RIM));
    TreeMeasurement.Diff d = m.diff(RIM);
    assertThat(d.changed()).containsExactly("a.txt");
    assertThat(d.missing()).containsExactly("bin/x");
    assertThat(d.extra()).containsExactly("bin/implant");
  }

  @Test
  @DisplayName("ATT-3 a mode change is a difference; setuid, which no RIM carries, too")
  void measure_modeAndSetuid_differ() throws Exception {
    Path root = example();
    Files.setPosixFilePermissions(root.resolve("a.txt"), FileModes.permissions(0666));
    assertThat(TreeMeasurer.measure(root).diff(RIM).changed()).containsExactly("a.txt");
    Files.setPosixFilePermissions(root.resolve("a.txt"), FileModes.permissions(0644));
    Files.setAttribute(root.resolve("bin/x"), "unix:mode", 04755);
    TreeMeasurement m = TreeMeasurer.measure(root);
    assertThat(m.diff(RIM).changed()).containsExactly("bin/x");
    assertThat(m.leaves().get(1).mode()).isEqualTo(04755);
  }

  @Test
  @DisplayName("ATT-3 a symbolic link is measured as itself, never followed, and named; a link"
      + " as the root is refused")
  void measure_symlink_irregularNotFollowed() throws Exception {
    Path root = example();
    Path outside = Files.writeString(dir.resolve("secret"), "outside the tree\n");
    Files.createSymbolicLink(root.resolve("bin/link"), outside);
    TreeMeasurement m = TreeMeasurer.measure(root);
    TreeDigest.Leaf link = m.leaves().stream().filter(l -> l.path().equals("bin/link"))
        .findFirst().orElseThrow();
    assertThat(link.sha256()).isEqualTo(TreeMeasurer.irregularDigest("symlink",
        outside.toString())).isNotEqualTo(Sha256.hex(Files.readAllBytes(outside)));
    assertThat(m.diff(RIM).extra()).containsExactly("bin/link");
    // A link to a directory is not walked into either.
    Files.createDirectories(dir.resolve("elsewhere"));
    Files.writeString(dir.resolve("elsewhere/f"), "x");
    Files.createSymbolicLink(root.resolve("dirlink"), dir.resolve("elsewhere"));
    assertThat(TreeMeasurer.measure(root).leaves()).extracting(TreeDigest.Leaf::path)
        .contains("dirlink").doesNotContain("dirlink/f");
    Path rootLink = Files.createSymbolicLink(dir.resolve("root-link"), root);
    assertThatThrownBy(() -> TreeMeasurer.measure(rootLink))
        .hasMessageContaining("not a directory");
  }

  @Test
  @DisplayName("ATT-3 a FIFO dropped into the tree is measured as an irregular entry, not read")
  void measure_fifo_irregularNotRead() throws Exception {
    Path root = example();
    Process p = new ProcessBuilder("mkfifo", root.resolve("bin/pipe").toString()).start();
    assertThat(p.waitFor()).isZero();
    TreeMeasurement m = TreeMeasurer.measure(root);
    assertThat(m.diff(RIM).extra()).containsExactly("bin/pipe");
    assertThat(m.leaves().stream().filter(l -> l.path().equals("bin/pipe")).findFirst()
        .orElseThrow().sha256()).isEqualTo(TreeMeasurer.irregularDigest("other", ""));
  }

  @Test
  @DisplayName("ATT-3 hashing on several threads gives the same measurement as on one")
  void measure_parallel_sameAsSerial() throws Exception {
    Path root = Files.createDirectories(dir.resolve("many"));
    Random r = new Random(7);
    for (int i = 0; i < 200; i++) {
      Path f = root.resolve("d" + (i % 7) + "/f-" + i + (i % 3 == 0 ? "-é" : ""));
      Files.createDirectories(f.getParent());
      byte[] b = new byte[r.nextInt(70_000)];
      r.nextBytes(b);
      Files.write(f, b);
    }
    assertThat(TreeMeasurer.measure(root, 4)).isEqualTo(TreeMeasurer.measure(root, 1));
    assertThatThrownBy(() -> TreeMeasurer.measure(root, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("threads < 1: 0");
  }

  @Test
  @DisplayName("ATT-3 a file larger than the read buffer, and one exactly its size, hash as"
      + " sha256sum would; the worker's reused digest starts afresh for each file")
  void measure_largeFiles_sameAsWholeDigest() throws Exception {
    Path root = Files.createDirectories(dir.resolve("large"));
    Random r = new Random(11);
    byte[] big = new byte[(1 << 20) * 3 + 17];
    r.nextBytes(big);
    byte[] exact = new byte[256 << 10];
    r.nextBytes(exact);
    Files.write(root.resolve("big"), big);
    Files.write(root.resolve("exact"), exact);
    Files.createFile(root.resolve("empty"));
    for (int threads : new int[] {1, 2}) {
      assertThat(TreeMeasurer.measure(root, threads).leaves())
          .extracting(TreeDigest.Leaf::path, TreeDigest.Leaf::sha256)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("big", Sha256.hex(big)),
              org.assertj.core.groups.Tuple.tuple("empty", Sha256.hex(new byte[0])),
              org.assertj.core.groups.Tuple.tuple("exact", Sha256.hex(exact)));
    }
  }

  @Test
  @DisplayName("ATT-3 a measurement whose digest is not that of its leaves cannot be built")
  void treeMeasurement_digestMustMatchLeaves() {
    assertThatThrownBy(() -> new TreeMeasurement("0".repeat(64), RIM))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(TreeMeasurement.of(List.of(RIM.get(1), RIM.get(0))).leaves())
        .containsExactlyElementsOf(RIM);
  }
}
