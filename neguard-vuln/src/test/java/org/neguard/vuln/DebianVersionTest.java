package org.neguard.vuln;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.testing.RequiredProgram;

/**
 * Debian versions compared as dpkg compares them: every case is checked against
 * {@code dpkg --compare-versions}, the reference implementation, on this machine.
 */
class DebianVersionTest {
  /** dpkg's own verdict: -1, 0 or 1. */
  static int dpkg(String a, String b) throws Exception {
    String dpkg = RequiredProgram.require("dpkg").toString();
    if (run(dpkg, a, "lt", b)) {
      return -1;
    }
    return run(dpkg, a, "eq", b) ? 0 : 1;
  }

  static boolean run(String dpkg, String a, String op, String b) throws Exception {
    Process p = new ProcessBuilder(dpkg, "--compare-versions", a, op, b)
        .redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    return p.exitValue() == 0;
  }

  static int ours(String a, String b) {
    return Integer.signum(DebianVersion.parse(a).compareTo(DebianVersion.parse(b)));
  }

  static final String[][] NAIVE_TRAPS = {
      {"1.10", "1.9"}, {"1:0.1", "2.0"}, {"1.0~rc1", "1.0"}, {"1.0~rc1", "1.0~rc1~1"},
      {"2:2.4-2+deb12u3", "2:2.4-2+deb12u2"}, {"2:2.4-2+deb12u3", "2:2.4-2+deb12u10"},
      {"1.0-1", "1.0-1~bpo12+1"}, {"1.0", "1.0-0"}, {"1.0", "1.00"}, {"1.0a", "1.0+"},
      {"1.0a", "1.0A"}, {"1.0.", "1.0"}, {"1.0", "1.0.0"}, {"0:1.0", "1.0"},
      {"1.2.3-1ubuntu1", "1.2.3-1"}, {"3.0~~", "3.0~"}, {"9", "10"}, {"1.01", "1.1"},
      {"7.88.1-10+deb12u8", "7.88.1-10+deb12u12"}, {"2.36-9+deb12u14", "2.36-9+deb12u9"},
      {"1.0-1", "1.0-1.1"}, {"1.0+dfsg-1", "1.0-1"}, {"1:1.0", "1:1.0-1"}};

  @Test
  @DisplayName("HRD-3 versions that break naive comparison (1.10 vs 1.9, epochs, ~rc1, Debian"
      + " revisions) order exactly as dpkg --compare-versions orders them")
  void compare_naiveTraps_asDpkg() throws Exception {
    for (String[] p : NAIVE_TRAPS) {
      assertThat(ours(p[0], p[1])).as("%s vs %s", p[0], p[1]).isEqualTo(dpkg(p[0], p[1]));
      assertThat(ours(p[1], p[0])).as("%s vs %s", p[1], p[0]).isEqualTo(-dpkg(p[0], p[1]));
    }
    assertThat(ours("1.10", "1.9")).as("not as strings").isEqualTo(1);
    assertThat(ours("1.0~rc1", "1.0")).isEqualTo(-1);
    assertThat(ours("1:0.1", "2.0")).isEqualTo(1);
  }

  @Test
  @DisplayName("HRD-3 300 random versions from the alphabet that matters (digits, letters, . +"
      + " ~ - :) order as dpkg orders them")
  void compare_random_asDpkg() throws Exception {
    Random r = new Random(20261204);
    String alphabet = "0123456789aZ.+~";
    List<String> vs = new ArrayList<>();
    while (vs.size() < 300) {
      StringBuilder b = new StringBuilder();
      if (r.nextInt(4) == 0) {
        b.append(r.nextInt(3)).append(':');
      }
      b.append(r.nextInt(10));
      for (int i = r.nextInt(6); i > 0; i--) {
        b.append(alphabet.charAt(r.nextInt(alphabet.length())));
      }
      if (r.nextBoolean()) {
        b.append('-').append(r.nextInt(5));
        for (int i = r.nextInt(3); i > 0; i--) {
          b.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
      }
      vs.add(b.toString());
    }
    for (int i = 0; i + 1 < vs.size(); i += 2) {
      String a = vs.get(i);
      String b = vs.get(i + 1);
      assertThat(ours(a, b)).as("%s vs %s", a, b).isEqualTo(dpkg(a, b));
    }
  }

  @Test
  @DisplayName("HRD-3 impossible versions are refused with the version named: empty, no leading"
      + " digit, a bad epoch, an empty revision, characters dpkg refuses, over 256 characters")
  void parse_impossibleVersions_refused() {
    for (String bad : List.of("", "a1.0", "x:1.0", ":1.0", "1.0-", "1.0 1", "1.0_1", "1:a",
        "1.0-1_2", "1.0:2", "-1", "99999999999:1")) {
      assertThatThrownBy(() -> DebianVersion.parse(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> DebianVersion.parse("1" + ".0".repeat(200)))
        .hasMessageContaining("longer than 256");
    assertThat(DebianVersion.parse("2:2.4-2+deb12u3")).isEqualTo(new DebianVersion(2, "2.4",
        "2+deb12u3"));
    assertThat(DebianVersion.parse("1.0-2-3")).isEqualTo(new DebianVersion(0, "1.0-2", "3"));
  }
}
