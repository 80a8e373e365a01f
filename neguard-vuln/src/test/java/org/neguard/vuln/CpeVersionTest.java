package org.neguard.vuln;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The generic CPE version order and the versions it refuses to order. */
class CpeVersionTest {
  static int cmp(String a, String b) {
    var c = CpeVersion.compare(a, b);
    assertThat(c).as(a + " vs " + b).isPresent();
    return Integer.signum(c.getAsInt());
  }

  @ParameterizedTest(name = "{0} < {1}")
  @CsvSource({
      "9.2p1, 9.10",        // numbers, not text: a string compare says 9.2p1 > 9.10
      "9.8, 9.10",
      "1.9, 1.10",
      "9.2, 9.2p1",          // a patch level comes after its release
      "9.2p1, 9.2p2",
      "9.2p1, 9.3",
      "9.2p1, 9.2.1",        // and before the next number
      "9.3p1, 9.3p2",
      "8.4p1, 8.5",
      "9.7p1, 9.8",
      "1.0rc1, 1.0",         // a pre-release comes before its release
      "1.0alpha1, 1.0beta1",
      "1.0beta2, 1.0rc1",
      "1.0-rc1, 1.0",
      "1.0rc1, 1.0.1",
      "1.0.0rc1, 1.0",
      "1.0.2, 1.0.2a",       // OpenSSL letter releases
      "1.0.2a, 1.0.2u",      // u is a letter release here, not 'update'
      "1.0.2z, 1.0.2za",
      "1.1.1, 1.1.1w",
      "1.1.1a, 1.1.2",
      "7.1p1, 7.1p2",
      "9999, 99999999999999999999999"})  // beyond long: still compared as numbers
  @DisplayName("HRD-3 versions that break naive comparison are ordered by the documented rules")
  void order(String lower, String higher) {
    assertThat(cmp(lower, higher)).isEqualTo(-1);
    assertThat(cmp(higher, lower)).isEqualTo(1);
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({"1.0, 1.0.0", "8.0p1, 8p1", "1.0.0rc1, 1rc1", "007, 7", "1.010, 1.10", "9.2P1, 9.2p1", "9.2-p1, 9.2p1"})
  @DisplayName("HRD-3 missing numbers are 0, leading zeros and case do not matter")
  void equal(String a, String b) {
    assertThat(cmp(a, b)).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "abc", "v1.0", "1.0~rc1", "1.0 beta", "1..2", "1.0foo",
      "1:2.0", "1.0/2"})
  @DisplayName("HRD-3 a version outside the grammar cannot be ordered (callers say 'not"
      + " assessed')")
  void notOrderable(String v) {
    assertThat(CpeVersion.isOrderable(v)).isFalse();
    assertThat(CpeVersion.compare(v, "1.0")).isEmpty();
    assertThat(CpeVersion.compare("1.0", v)).isEmpty();
  }

  @Test
  @DisplayName("HRD-3 a letter release against a patch level has no order; an over-long version"
      + " is not read")
  void incomparablePairs() {
    assertThat(CpeVersion.compare("1.0.2a", "1.0.2p1")).isEmpty();
    assertThat(CpeVersion.isOrderable("1." + "2".repeat(CpeVersion.MAX_LENGTH))).isFalse();
  }

  @Test
  @DisplayName("HRD-3 updates of a version: 9.2p1 and 9.2rc1 are of 9.2, 9.2.1 and 9.20 are not")
  void updates() {
    assertThat(CpeVersion.isUpdateOf("9.2p1", "9.2")).contains(true);
    assertThat(CpeVersion.isUpdateOf("9.2rc1", "9.2")).contains(true);
    assertThat(CpeVersion.isUpdateOf("9.2", "9.2")).contains(true);
    assertThat(CpeVersion.isUpdateOf("9.2.1", "9.2")).contains(false);
    assertThat(CpeVersion.isUpdateOf("9.20", "9.2")).contains(false);
    assertThat(CpeVersion.isUpdateOf("9.3p1", "9.2")).contains(false);
    assertThat(CpeVersion.isUpdateOf("9.2~x", "9.2")).isEmpty();
  }

  static String randomVersion(java.util.Random r) {
    String[] pieces = {"0", "1", "2", "9", "10", "007", "p", "rc", "beta", "a", "z", "za", "u"};
    StringBuilder b = new StringBuilder(String.valueOf(r.nextInt(12)));
    int n = r.nextInt(5);
    for (int i = 0; i < n; i++) {
      int k = r.nextInt(4);
      b.append(k == 0 ? "." : k == 1 ? "-" : "");
      b.append(pieces[r.nextInt(pieces.length)]);
    }
    return b.toString();
  }

  @Test
  @DisplayName("HRD-3 the order is an order: over 50,000 random triples it is antisymmetric"
      + " and transitive wherever it answers (an index sorted by a broken comparator misses"
      + " ranges)")
  void order_isConsistent() {
    java.util.Random r = new java.util.Random(16);
    int answered = 0;
    for (int i = 0; i < 50_000; i++) {
      String a = randomVersion(r);
      String b = randomVersion(r);
      String c = randomVersion(r);
      var ab = CpeVersion.compare(a, b);
      var ba = CpeVersion.compare(b, a);
      assertThat(ab.isPresent()).as(a + " / " + b).isEqualTo(ba.isPresent());
      if (ab.isEmpty()) {
        continue;
      }
      answered++;
      assertThat(Integer.signum(ab.getAsInt())).as(a + " vs " + b)
          .isEqualTo(-Integer.signum(ba.getAsInt()));
      var bc = CpeVersion.compare(b, c);
      var ac = CpeVersion.compare(a, c);
      if (bc.isPresent() && ac.isPresent() && ab.getAsInt() <= 0 && bc.getAsInt() <= 0) {
        assertThat(ac.getAsInt()).as(a + " <= " + b + " <= " + c).isLessThanOrEqualTo(0);
      }
      if (bc.isPresent() && ac.isPresent() && ab.getAsInt() == 0 && bc.getAsInt() == 0) {
        assertThat(ac.getAsInt()).as(a + " = " + b + " = " + c).isZero();
      }
    }
    assertThat(answered).as("most random pairs are ordered").isGreaterThan(25_000);
  }
}
