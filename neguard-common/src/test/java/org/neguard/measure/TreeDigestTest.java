package org.neguard.measure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.testing.Openssl;

/**
 * The tree digest (RIM/TIM, INT-4) checked against an outside implementation: the exact byte
 * string of the definition, hashed by {@code openssl dgst -sha256}.
 */
class TreeDigestTest {
  private static final String SHA_A = "a".repeat(64);
  private static final String SHA_B = "0123456789abcdef".repeat(4);
  private static final String SHA_C = "f".repeat(63) + "0";
  private static final String SHA_EMPTY =
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  /** {@code path NUL sha256 NUL mode LF}, for lines given in the order they must be hashed. */
  private static byte[] lines(String... pathShaMode) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < pathShaMode.length; i += 3) {
      out.writeBytes(pathShaMode[i].getBytes(StandardCharsets.UTF_8));
      out.write(0);
      out.writeBytes(pathShaMode[i + 1].getBytes(StandardCharsets.US_ASCII));
      out.write(0);
      out.writeBytes(pathShaMode[i + 2].getBytes(StandardCharsets.US_ASCII));
      out.write('\n');
    }
    return out.toByteArray();
  }

  private static String opensslSha256(byte[] input) {
    String out = Openssl.ok(null, input, "dgst", "-sha256").stdout();
    Matcher m = Pattern.compile("= ?([0-9a-f]{64})\\s*$").matcher(out.trim());
    assertThat(m.find()).as("openssl output: %s", out).isTrue();
    return m.group(1);
  }

  @Test
  @DisplayName("INT-4: tree digest equals openssl's SHA-256 of the sorted 'path NUL sha NUL mode LF' lines")
  void of_knownAnswer_matchesOpensslOverDefinedByteString() {
    List<TreeDigest.Leaf> leaves = List.of(
        new TreeDigest.Leaf("lib/deep/nested/data.bin", SHA_B, 0644),
        new TreeDigest.Leaf("bin/tool", SHA_A, 0755),
        new TreeDigest.Leaf("empty.txt", SHA_EMPTY, 0600),
        new TreeDigest.Leaf("etc/app.conf", SHA_C, 0640));
    // Sorted by hand, not by the code under test.
    byte[] expectedInput = lines(
        "bin/tool", SHA_A, "0755",
        "empty.txt", SHA_EMPTY, "0600",
        "etc/app.conf", SHA_C, "0640",
        "lib/deep/nested/data.bin", SHA_B, "0644");

    assertThat(TreeDigest.of(leaves)).isEqualTo(opensslSha256(expectedInput));
  }

  @Test
  @DisplayName("INT-4: lines sort by unsigned UTF-8 bytes: B < a < é < U+FF21 < U+1F600")
  void of_sortsByUnsignedUtf8Bytes() {
    // Signed bytes would put é (0xC3...) first; UTF-16 order would put the emoji (surrogate
    // 0xD83D) before the fullwidth A (0xFF21). UTF-8 order: 42 < 61 < C3 < EF < F0.
    List<TreeDigest.Leaf> leaves = List.of(
        new TreeDigest.Leaf("\uD83D\uDE00", SHA_C, 0644),
        new TreeDigest.Leaf("é", SHA_B, 0644),
        new TreeDigest.Leaf("\uFF21", SHA_EMPTY, 0644),
        new TreeDigest.Leaf("a", SHA_A, 0644),
        new TreeDigest.Leaf("B", SHA_A, 0755));
    byte[] utf8Order = lines(
        "B", SHA_A, "0755",
        "a", SHA_A, "0644",
        "é", SHA_B, "0644",
        "\uFF21", SHA_EMPTY, "0644",
        "\uD83D\uDE00", SHA_C, "0644");
    byte[] utf16Order = lines(
        "B", SHA_A, "0755",
        "a", SHA_A, "0644",
        "é", SHA_B, "0644",
        "\uD83D\uDE00", SHA_C, "0644",
        "\uFF21", SHA_EMPTY, "0644");

    String digest = TreeDigest.of(leaves);

    assertThat(digest).isEqualTo(opensslSha256(utf8Order));
    assertThat(digest).isNotEqualTo(opensslSha256(utf16Order));
  }

  @Test
  @DisplayName("INT-4: a prefix sorts before its extensions ('a' < 'a/b' < 'a0' < 'ab')")
  void of_prefixSortsFirst() {
    List<TreeDigest.Leaf> leaves = List.of(
        new TreeDigest.Leaf("ab", SHA_A, 0644),
        new TreeDigest.Leaf("a0", SHA_A, 0644),
        new TreeDigest.Leaf("a/b", SHA_A, 0644),
        new TreeDigest.Leaf("a", SHA_A, 0644));
    byte[] expected = lines(
        "a", SHA_A, "0644", "a/b", SHA_A, "0644", "a0", SHA_A, "0644", "ab", SHA_A, "0644");

    assertThat(TreeDigest.of(leaves)).isEqualTo(opensslSha256(expected));
  }

  @Test
  void of_noLeaves_isSha256OfEmptyInput() {
    assertThat(TreeDigest.of(List.of())).isEqualTo(SHA_EMPTY).isEqualTo(opensslSha256(new byte[0]));
  }

  @Test
  void of_inputOrder_doesNotMatter() {
    List<TreeDigest.Leaf> leaves = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      leaves.add(new TreeDigest.Leaf("dir" + (i % 7) + "/file-" + i, SHA_B, i % 2 == 0 ? 0644 : 0755));
    }
    String reference = TreeDigest.of(leaves);
    Random random = new Random(42);
    for (int round = 0; round < 10; round++) {
      Collections.shuffle(leaves, random);
      assertThat(TreeDigest.of(leaves)).isEqualTo(reference);
    }
  }

  @Test
  @DisplayName("INT-4: content, mode and path each change the digest")
  void of_anyFieldChange_changesDigest() {
    String base = TreeDigest.of(List.of(new TreeDigest.Leaf("bin/tool", SHA_A, 0755)));

    assertThat(TreeDigest.of(List.of(new TreeDigest.Leaf("bin/tool", SHA_B, 0755))))
        .isNotEqualTo(base);
    assertThat(TreeDigest.of(List.of(new TreeDigest.Leaf("bin/tool", SHA_A, 0644))))
        .isNotEqualTo(base);
    assertThat(TreeDigest.of(List.of(new TreeDigest.Leaf("bin/tool2", SHA_A, 0755))))
        .isNotEqualTo(base);
  }

  @Test
  void of_duplicatePath_throwsIllegalArgumentException() {
    List<TreeDigest.Leaf> leaves = List.of(
        new TreeDigest.Leaf("etc/app.conf", SHA_A, 0644),
        new TreeDigest.Leaf("bin/tool", SHA_A, 0755),
        new TreeDigest.Leaf("etc/app.conf", SHA_B, 0600));

    assertThatThrownBy(() -> TreeDigest.of(leaves))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("duplicate path")
        .hasMessageContaining("etc/app.conf");
  }

  @Test
  void leaf_badFields_areRejected() {
    assertThatThrownBy(() -> new TreeDigest.Leaf("", SHA_A, 0644))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new TreeDigest.Leaf("a\nb", SHA_A, 0644))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new TreeDigest.Leaf("a\0b", SHA_A, 0644))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new TreeDigest.Leaf("a", SHA_A.toUpperCase(), 0644))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new TreeDigest.Leaf("a", SHA_A, 010000))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("INT-4: lines past the digest's 8 KiB blocks, and a path longer than a block,"
      + " hash as the defined byte string (openssl)")
  void of_manyLeavesAndLongPath_matchesOpensslAcrossBlocks() {
    List<TreeDigest.Leaf> leaves = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    String longPath = "deep/" + "x".repeat(9_000);
    for (int i = 0; i < 300; i++) { // about 33 KB of lines, path lengths varying across blocks
      String path = i == 150 ? longPath : String.format("lib/%03d/%s.so", i, "y".repeat(i % 37));
      leaves.add(new TreeDigest.Leaf(path, i % 2 == 0 ? SHA_B : SHA_C, 0644));
    }
    List<TreeDigest.Leaf> sorted = new ArrayList<>(leaves);
    sorted.sort((a, b) -> a.path().compareTo(b.path())); // ASCII: the same as by bytes
    for (TreeDigest.Leaf l : sorted) {
      expected.addAll(List.of(l.path(), l.sha256(), "0644"));
    }
    Collections.shuffle(leaves, new Random(7));
    assertThat(TreeDigest.of(leaves))
        .isEqualTo(opensslSha256(lines(expected.toArray(new String[0]))));
  }

  @Test
  @DisplayName("INT-4: a leaf's digest is exactly 64 of 0-9a-f: each neighbour of those ranges, a"
      + " non-ASCII digit or letter, 63 or 65 digits are rejected")
  void leaf_sha256NotLowerHex_rejected() {
    for (char c : new char[] {'/', ':', '`', 'g', 'A', 'F', '\u00e0', '\u0661', '\uff10', ' '}) {
      String bad = SHA_B.substring(0, 40) + c + SHA_B.substring(41);
      assertThatThrownBy(() -> new TreeDigest.Leaf("a", bad, 0644)).as("%s", c)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sha256");
    }
    assertThatThrownBy(() -> new TreeDigest.Leaf("a", SHA_B.substring(1), 0644))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new TreeDigest.Leaf("a", SHA_B + "0", 0644))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(new TreeDigest.Leaf("a", SHA_B, 0644).sha256()).isEqualTo(SHA_B);
  }

  @Test
  void leaf_modeBounds_zeroAnd07777Accepted_oneBeyondEitherRejected() {
    assertThat(new TreeDigest.Leaf("a", SHA_A, 0).mode()).isZero();
    assertThat(new TreeDigest.Leaf("a", SHA_A, 07777).mode()).isEqualTo(07777);
    assertThatThrownBy(() -> new TreeDigest.Leaf("a", SHA_A, -1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mode");
    assertThatThrownBy(() -> new TreeDigest.Leaf("a", SHA_A, 010000))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mode");
  }

  @Test
  void formatMode_isFourOctalDigits() {
    assertThat(TreeDigest.formatMode(0755)).isEqualTo("0755");
    assertThat(TreeDigest.formatMode(0)).isEqualTo("0000");
    assertThat(TreeDigest.formatMode(04755)).isEqualTo("4755");
  }
}
