package org.neguard.vuln;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.testing.RequiredProgram;

/**
 * rpm versions compared as rpm compares them: every pair is checked against rpm itself ({@code
 * rpm.vercmp} in rpm's embedded Lua, which parses {@code [E:]V[-R]} and applies rpmvercmp as
 * rpm does for dependencies and upgrades), the reference implementation, on this machine.
 */
@DisplayName("HRD-3 rpm version order")
class RpmVersionTest {
  /**
   * Pairs that break naive comparison, with rpm's verdict: numbers as numbers, epochs, {@code ~}
   * and {@code ^}, releases, letters against digits, leading zeros, separators that do not count.
   */
  static final Object[][] TRAPS = {
      {"1.10", "1.9", 1}, {"10", "9", 1}, {"1.0~rc1", "1.0", -1}, {"1.0~rc1", "1.0~rc2", -1},
      {"1.0~~", "1.0~", -1}, {"1.0~", "1.0", -1}, {"1.0^git1", "1.0", 1},
      {"1.0^git1", "1.0.1", -1}, {"1.0^git1", "1.0~rc1", 1}, {"1.0^", "1.0", 1},
      {"1.0^", "1.0^git", -1}, {"1.0.1", "1.0^x", 1}, {"1:1.0", "2.0", 1}, {"0:2.0", "2.0", 0},
      {"2:1", "1:99", 1}, {"1.0-2", "1.0-10", -1}, {"1.0-1.el9", "1.0-1.el9_1", -1},
      {"1.0-1.el9_1", "1.0-1.el9_0", 1}, {"1.2.3-4.el9", "1.2.3-4.el10", -1},
      {"1.0a", "1.0", 1}, {"1.0a", "1.0.1", -1}, {"1.0a1", "1.0a", 1}, {"1.01", "1.1", 0},
      {"1.0", "1.00", 0}, {"1_0", "1.0", 0}, {"1.0", "1.0.", 0}, {"1.0", "1.0+", 0},
      {"a", "1", -1}, {"2.0b", "2.0a", 1}, {"2.0B", "2.0a", -1}, {"abc", "abd", -1},
      {"20240101", "9.9", 1}, {"1.0.0", "1.0", 1}, {"1.0+git1", "1.0", 1},
      {"1.0-1", "1.0", 1}, {"3.0.7-24.el9", "3.0.7-25.el9_3", -1},
      {"1:3.0.1-47.el9_1", "1:3.0.1-43.el9_0", 1}, {"0:3.0.7-27.el9", "1:3.0.1-47.el9_1", -1},
      {"5.14.0-427.13.1.el9_4", "5.14.0-427.el9", 1}, {"1.0-1.fc36", "1.0-1.fc36.1", -1},
      {"1:3.0.1-5.el9", "1:3.0.1-47.el9_1", -1},
      {"2.4.57-5.el9_2.module+el9.2.0+1", "2.4.57-5.el9_2", 1}};

  /** rpm's verdicts on {@code pairs}, in one run of rpm. */
  static List<Integer> rpm(List<String[]> pairs) throws Exception {
    String rpm = RequiredProgram.require("rpm").toString();
    StringBuilder lua = new StringBuilder("%{lua:");
    for (String[] p : pairs) {
      lua.append(" print(rpm.vercmp(\"").append(p[0]).append("\", \"").append(p[1])
          .append("\") .. \";\")");
    }
    lua.append('}');
    Process proc = new ProcessBuilder(rpm, "--eval", lua.toString()).redirectErrorStream(true)
        .start();
    String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(proc.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(proc.exitValue()).as(out).isZero();
    // rpm's Lua print writes into the expansion without a newline: ';' ends each verdict
    List<Integer> verdicts = java.util.Arrays.stream(out.strip().split(";"))
        .filter(l -> !l.isBlank()).map(l -> Integer.signum(Integer.parseInt(l.strip())))
        .toList();
    assertThat(verdicts).as(out).hasSize(pairs.size());
    return verdicts;
  }

  static int ours(String a, String b) {
    return Integer.signum(VersionScheme.RPM.compare(a, b));
  }

  @Test
  @DisplayName("HRD-3 42 pairs that break naive comparison (1.10 vs 1.9, epochs, ~ before, ^"
      + " after, releases, letters against digits) order exactly as rpm.vercmp orders them")
  void compare_naiveTraps_asRpm() throws Exception {
    List<String[]> pairs = new ArrayList<>();
    for (Object[] t : TRAPS) {
      pairs.add(new String[] {(String) t[0], (String) t[1]});
      pairs.add(new String[] {(String) t[1], (String) t[0]});
    }
    List<Integer> rpm = rpm(pairs);
    for (int i = 0; i < TRAPS.length; i++) {
      Object[] t = TRAPS[i];
      assertThat(rpm.get(2 * i)).as("rpm: %s vs %s", t[0], t[1]).isEqualTo(t[2]);
      assertThat(rpm.get(2 * i + 1)).as("rpm: %s vs %s", t[1], t[0]).isEqualTo(-(int) t[2]);
      assertThat(ours((String) t[0], (String) t[1])).as("%s vs %s", t[0], t[1])
          .isEqualTo(t[2]);
      assertThat(ours((String) t[1], (String) t[0])).as("%s vs %s", t[1], t[0])
          .isEqualTo(-(int) t[2]);
    }
    assertThat(TRAPS.length).isGreaterThanOrEqualTo(30);
  }

  @Test
  @DisplayName("HRD-3 400 random versions built of rpm's pieces (digits, letters, . _ + ~ ^,"
      + " epochs, releases) order exactly as rpm.vercmp")
  void compare_random_asRpm() throws Exception {
    Random r = new Random(16);
    String[] pieces = {"0", "1", "2", "9", "10", "01", "a", "b", "rc", "Z", ".", "_", "+", "~",
        "^", "el9", "el9_1"};
    List<String[]> pairs = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      pairs.add(new String[] {random(r, pieces), random(r, pieces)});
    }
    List<Integer> rpm = rpm(pairs);
    for (int i = 0; i < pairs.size(); i++) {
      String[] p = pairs.get(i);
      assertThat(ours(p[0], p[1])).as("%s vs %s", p[0], p[1]).isEqualTo(rpm.get(i));
    }
  }

  private static String random(Random r, String[] pieces) {
    StringBuilder b = new StringBuilder();
    if (r.nextInt(4) == 0) {
      b.append(r.nextInt(3)).append(':');
    }
    b.append(r.nextInt(10));
    for (int n = r.nextInt(5); n > 0; n--) {
      b.append(pieces[r.nextInt(pieces.length)]);
    }
    if (r.nextBoolean()) {
      b.append('-').append(r.nextInt(50));
      for (int n = r.nextInt(3); n > 0; n--) {
        b.append(pieces[r.nextInt(pieces.length)]);
      }
    }
    return b.toString();
  }

  @Test
  @DisplayName("HRD-3 versions rpm would not build are refused, naming the version: an empty or"
      + " non-numeric epoch, an empty version or release, a second '-', a blank, a '/', an"
      + " epoch past 32 bits, an overlong version")
  void parse_impossible_refused() {
    for (String bad : List.of("", ":1.0", "x:1.0", "1:", "1:-1", "1.0-", "1.0-1-2", "1.0 -1",
        "1.0/1", "1.0-1\n", "4294967296:1.0", "1:" + "9".repeat(300))) {
      assertThatThrownBy(() -> RpmVersion.parse(bad)).as("'%s'", bad)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rpm version");
    }
    RpmVersion v = RpmVersion.parse("1:3.0.1-47.el9_1");
    assertThat(v.epoch()).isEqualTo(1);
    assertThat(v.version()).isEqualTo("3.0.1");
    assertThat(v.release()).isEqualTo("47.el9_1");
    assertThat(v).hasToString("1:3.0.1-47.el9_1");
    assertThat(RpmVersion.parse("4294967295:1").epoch()).isEqualTo(4294967295L);
    assertThat(RpmVersion.parse("1.0~rc1^git2")).hasToString("1.0~rc1^git2");
  }
}
