package org.neguard.vuln;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.testing.RequiredProgram;

/**
 * Each ecosystem's version order, with the traps naive comparison falls into, and checked
 * against each ecosystem's reference implementation where this machine has one: node-semver
 * (the semver package npm itself uses) and Python's {@code packaging} (what pip uses).
 */
class VersionSchemeTest {
  /** Asserts that {@code ordered} is strictly ascending in {@code scheme}, every pair. */
  static void assertAscending(VersionScheme scheme, String... ordered) {
    for (int i = 0; i < ordered.length; i++) {
      for (int j = 0; j < ordered.length; j++) {
        assertThat(Integer.signum(scheme.compare(ordered[i], ordered[j])))
            .as("%s %s vs %s", scheme, ordered[i], ordered[j])
            .isEqualTo(Integer.compare(i, j));
      }
    }
  }

  @Test
  @DisplayName("HRD-3 versions are never strings: 1.10 > 1.9 in every scheme")
  void everyScheme_numbersAsNumbers() {
    assertThat(VersionScheme.DEBIAN.compare("1.10", "1.9")).isPositive();
    assertThat(VersionScheme.SEMVER.compare("1.10.0", "1.9.0")).isPositive();
    assertThat(VersionScheme.MAVEN.compare("1.10", "1.9")).isPositive();
    assertThat(VersionScheme.PYPI.compare("1.10", "1.9")).isPositive();
  }

  @Test
  @DisplayName("HRD-3 Debian: epochs, ~ pre-releases and revisions (the dpkg cross-check is"
      + " DebianVersionTest)")
  void debian_traps() {
    assertAscending(VersionScheme.DEBIAN, "1.0~rc1", "1.0", "1.0-1", "1.0-1+deb12u1",
        "1.0-1+deb12u10", "1.9", "1.10", "1:0.1");
  }

  @Test
  @DisplayName("HRD-3 semver: the specification's own precedence example (section 11), build"
      + " metadata ignored, a leading v (Go) dropped, non-versions refused")
  void semver_specExample() {
    assertAscending(VersionScheme.SEMVER, "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
        "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.9.0",
        "1.10.0", "2.0.0");
    assertThat(VersionScheme.SEMVER.compare("1.0.0+build.1", "1.0.0+build.2")).isZero();
    assertThat(VersionScheme.SEMVER.compare("v1.2.3", "1.2.3")).isZero();
    for (String bad : List.of("1.2", "01.2.3", "1.2.3-", "latest", "1.2.3.4")) {
      assertThatThrownBy(() -> VersionScheme.SEMVER.parse(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(bad);
    }
  }

  @Test
  @DisplayName("HRD-3 semver: 300 random pairs ordered exactly as node-semver (npm's own)"
      + " orders them")
  void semver_crossCheckedWithNodeSemver() throws Exception {
    Random r = new Random(16);
    String[] pre = {"alpha", "beta", "rc", "0", "1", "11", "2", "x-y", "alpha.1", "alpha.beta",
        "rc.10", "rc.9"};
    List<String[]> pairs = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      pairs.add(new String[] {randomSemver(r, pre), randomSemver(r, pre)});
    }
    // npm's own semver, wherever this machine's npm is (NodeSource's under
    // /usr/lib/node_modules/npm, Debian's beside it in /usr/share/nodejs): resolved from npm's
    // directory, npm-cli.js's parent's parent.
    Path npmRoot = RequiredProgram.require("npm").toRealPath().getParent().getParent();
    StringBuilder js = new StringBuilder("const s=require(require.resolve('semver',{paths:['"
        + npmRoot + "']}));const p=[");
    for (String[] p : pairs) {
      js.append("['").append(p[0]).append("','").append(p[1]).append("'],");
    }
    js.append("];for(const [a,b] of p)console.log(s.compare(a,b));");
    List<String> out = run(RequiredProgram.require("node").toString(), "-e", js.toString());
    assertThat(out).hasSize(pairs.size());
    for (int i = 0; i < pairs.size(); i++) {
      String[] p = pairs.get(i);
      assertThat(Integer.signum(VersionScheme.SEMVER.compare(p[0], p[1])))
          .as("%s vs %s", p[0], p[1]).isEqualTo(Integer.parseInt(out.get(i)));
    }
  }

  static String randomSemver(Random r, String[] pre) {
    String v = r.nextInt(3) + "." + r.nextInt(12) + "." + r.nextInt(3);
    return r.nextBoolean() ? v : v + "-" + pre[r.nextInt(pre.length)];
  }

  @Test
  @DisplayName("HRD-3 Maven: qualifiers in Maven's order (alpha < beta < milestone < rc <"
      + " snapshot < release = ga = final < sp), trailing zeros ignored")
  void maven_qualifiers() {
    assertAscending(VersionScheme.MAVEN, "1-alpha", "1-alpha-2", "1-beta", "1-milestone",
        "1-rc", "1-SNAPSHOT", "1", "1-sp", "1.0.1", "1.9", "1.10", "2.0-alpha1");
    assertThat(VersionScheme.MAVEN.compare("1.0", "1")).isZero();
    assertThat(VersionScheme.MAVEN.compare("1-ga", "1")).isZero();
    assertThat(VersionScheme.MAVEN.compare("1-final", "1.0.0")).isZero();
    assertThat(VersionScheme.MAVEN.compare("1-cr", "1-rc")).isZero();
    assertThatThrownBy(() -> VersionScheme.MAVEN.parse(" ")).isInstanceOf(
        IllegalArgumentException.class);
  }

  @Test
  @DisplayName("HRD-3 PyPI: PEP 440's own ordering example (dev < a < b < rc < release < post),"
      + " epochs, normalized spellings equal")
  void pypi_pep440() {
    assertAscending(VersionScheme.PYPI, "1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456",
        "1.0a12", "1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456",
        "1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7", "1.0+5", "1.0.post456.dev34", "1.0.post456",
        "1.0.15", "1.1.dev1", "1.9", "1.10", "1!0.1");
    assertThat(VersionScheme.PYPI.compare("1.0.0", "1.0")).isZero();
    assertThat(VersionScheme.PYPI.compare("1.0-RC1", "1.0rc1")).isZero();
    assertThat(VersionScheme.PYPI.compare("1.0alpha1", "1.0a1")).isZero();
    assertThatThrownBy(() -> VersionScheme.PYPI.parse("1.0-foo")).isInstanceOf(
        IllegalArgumentException.class).hasMessageContaining("1.0-foo");
  }

  @Test
  @DisplayName("HRD-3 PyPI: 300 random pairs ordered exactly as Python's packaging (pip's)"
      + " orders them")
  void pypi_crossCheckedWithPackaging() throws Exception {
    Random r = new Random(440);
    String[] suffix = {"", "a1", "b2", "rc1", ".post1", ".dev3", "a1.dev2", ".post2.dev1",
        "+local.1", "rc10", "c1"};
    List<String[]> pairs = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      pairs.add(new String[] {randomPep(r, suffix), randomPep(r, suffix)});
    }
    StringBuilder py = new StringBuilder("from packaging.version import Version as V\n"
        + "for a,b in [");
    for (String[] p : pairs) {
      py.append("('").append(p[0]).append("','").append(p[1]).append("'),");
    }
    py.append("]:\n print((V(a)>V(b))-(V(a)<V(b)))\n");
    List<String> out = run(RequiredProgram.require("python3").toString(), "-c", py.toString());
    assertThat(out).as("python3 with packaging (Debian: python3-packaging)")
        .hasSize(pairs.size());
    for (int i = 0; i < pairs.size(); i++) {
      String[] p = pairs.get(i);
      assertThat(Integer.signum(VersionScheme.PYPI.compare(p[0], p[1])))
          .as("%s vs %s", p[0], p[1]).isEqualTo(Integer.parseInt(out.get(i)));
    }
  }

  static String randomPep(Random r, String[] suffix) {
    String v = (r.nextInt(8) == 0 ? "1!" : "") + r.nextInt(3) + "." + r.nextInt(12)
        + (r.nextBoolean() ? "" : "." + r.nextInt(2));
    return v + suffix[r.nextInt(suffix.length)];
  }

  @Test
  @DisplayName("HRD-3 ecosystems: Debian and Ubuntu releases, npm, Go, crates.io, Maven, PyPI"
      + " have rules; any other ecosystem none (its components are not assessed, never passed)")
  void forEcosystem() {
    assertThat(VersionScheme.forEcosystem("Debian:12")).contains(VersionScheme.DEBIAN);
    assertThat(VersionScheme.forEcosystem("Ubuntu:22.04:LTS")).contains(VersionScheme.DEBIAN);
    assertThat(VersionScheme.forEcosystem("npm")).contains(VersionScheme.SEMVER);
    assertThat(VersionScheme.forEcosystem("Go")).contains(VersionScheme.SEMVER);
    assertThat(VersionScheme.forEcosystem("crates.io")).contains(VersionScheme.SEMVER);
    assertThat(VersionScheme.forEcosystem("Maven")).contains(VersionScheme.MAVEN);
    assertThat(VersionScheme.forEcosystem("PyPI")).contains(VersionScheme.PYPI);
    assertThat(VersionScheme.forEcosystem("RubyGems")).isEmpty();
    assertThat(VersionScheme.forEcosystem("Alpine:v3.19")).isEmpty();
  }

  static List<String> run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as("%s: %s", command[0], out).isZero();
    return out.lines().toList();
  }
}
