package org.neguard.pkg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neguard.pkg.TestBundles.assertRefused;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.neguard.verdict.ReasonCode;

/**
 * INT-1/OBJ-1: the path rules of docs/FORMAT.md, each pinned at its boundary (the last accepted
 * value passes, the first refused one is UNSAFE_PATH naming the rule).
 */
class PackagePathTest {

  @ParameterizedTest(name = "[{index}] ''{0}''")
  @ValueSource(strings = {"a", "ab:", "a b", "a~", "...", ".a", "a/b.c", "é", "a/\uD83D\uDE00",
      "\u00a0x"})
  @DisplayName("INT-1: paths at the edge of each rule are accepted")
  void check_edgeButSafe_passes(String path) throws Exception {
    assertThat(PackagePath.check(path)).isEqualTo(path);
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @CsvSource(delimiter = '|', value = {
      "''              | is empty",
      "/a              | is absolute",
      "a\\b            | backslash",
      "C:x             | drive letter",
      "a:              | drive letter",
      "a//b            | empty segment",
      "a/              | empty segment",
      "./a             | '.' segment",
      "a/..            | '..' segment",
  })
  @DisplayName("INT-1: each path rule refuses with UNSAFE_PATH naming it")
  void check_unsafe_unsafePath(String path, String rule) {
    var e = assertRefused(() -> PackagePath.check(path), ReasonCode.UNSAFE_PATH);
    assertThat(e.reasons().get(0).message()).contains(rule);
  }

  @ParameterizedTest(name = "[{index}] U+{0}")
  @ValueSource(ints = {0x00, 0x1f, 0x7f})
  @DisplayName("INT-1: control characters are UNSAFE_PATH, printed escaped")
  void check_controlCharacter_unsafePath(int c) {
    String path = "a" + (char) c + "b";

    var e = assertRefused(() -> PackagePath.check(path), ReasonCode.UNSAFE_PATH);
    assertThat(e.reasons().get(0).message())
        .contains("control character 0x" + Integer.toHexString(c))
        .contains(String.format("a\\x%02xb", c));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(strings = {"a\uD83D", "a\uD83Db", "a\uDE00b", "\uDE00"})
  @DisplayName("INT-1: an unpaired surrogate is UNSAFE_PATH")
  void check_unpairedSurrogate_unsafePath(String path) {
    var e = assertRefused(() -> PackagePath.check(path), ReasonCode.UNSAFE_PATH);
    assertThat(e.reasons().get(0).message()).contains("surrogate");
  }

  @Test
  @DisplayName("INT-1: a path not in NFC is UNSAFE_PATH")
  void check_notNfc_unsafePath() {
    var e = assertRefused(() -> PackagePath.check("e\u0301"), ReasonCode.UNSAFE_PATH);
    assertThat(e.reasons().get(0).message()).contains("NFC");
  }

  @Test
  @DisplayName("OBJ-1: 1024 UTF-8 bytes pass, 1025 are UNSAFE_PATH, counted in bytes not chars")
  void check_lengthInBytes_atLimitPasses_oneOverRefused() throws Exception {
    String at = "é".repeat(PackagePath.MAX_BYTES / 2);
    assertThat(at.getBytes(StandardCharsets.UTF_8)).hasSize(PackagePath.MAX_BYTES);
    PackagePath.check(at);
    PackagePath.check("x".repeat(PackagePath.MAX_BYTES));

    var e = assertRefused(() -> PackagePath.check(at + "x"), ReasonCode.UNSAFE_PATH);
    assertThat(e.reasons().get(0).message()).contains("longer than 1024 bytes");
    assertRefused(() -> PackagePath.check("x".repeat(PackagePath.MAX_BYTES + 1)),
        ReasonCode.UNSAFE_PATH);
  }

  @Test
  @DisplayName("INT-1: entry names are strict UTF-8")
  void decode_strictUtf8() throws Exception {
    assertThat(PackagePath.decode("payload/é".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo("payload/é");
    assertRefused(() -> PackagePath.decode(new byte[] {'a', (byte) 0xc3}), ReasonCode.UNSAFE_PATH);
    assertRefused(() -> PackagePath.decode(new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}),
        ReasonCode.UNSAFE_PATH);
  }

  @Test
  void printable_escapesC0DelAndC1_keepsTheRest() {
    assertThat(PackagePath.printable("a\u001f\u0020\u007e\u007f\u0080\u009f\u00a0é"))
        .isEqualTo("a\\x1f ~\\x7f\\x80\\x9f\u00a0é");
  }
}
