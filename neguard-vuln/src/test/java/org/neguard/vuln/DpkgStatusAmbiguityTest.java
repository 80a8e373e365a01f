package org.neguard.vuln;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.neguard.testing.DpkgStatusCases;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * HRD-3: a dpkg status whose reading is ambiguous is refused whole by {@code vuln check} and
 * {@code harden check}, with the same reason the agent's inventory gives for the same bytes
 * (agent {@code PackageInventoryTest.ambiguousStatus_noList}): one reading of one file.
 */
@DisplayName("HRD-3 an ambiguous dpkg status refused as the agent refuses it")
class DpkgStatusAmbiguityTest {
  static Stream<DpkgStatusCases.Ambiguous> ambiguous() {
    return DpkgStatusCases.AMBIGUOUS.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("ambiguous")
  @DisplayName("HRD-3 a field twice, a stray continuation, no field, a CR in Status: MALFORMED")
  void ambiguous_refusedWhole(DpkgStatusCases.Ambiguous c) {
    assertThatThrownBy(() -> read(c.status()))
        .isInstanceOfSatisfying(RefusalException.class,
            e -> assertThat(e.code()).isEqualTo(ReasonCode.MALFORMED))
        .hasMessageContaining(c.refusal());
  }

  @Test
  @DisplayName("HRD-3 the well-formed file with multi-line values: both packages")
  void wellFormed_read() throws Exception {
    // the source version: Source's own where it names one, else the package's (as the agent)
    assertThat(read(DpkgStatusCases.WELL_FORMED)).extracting(DpkgPackage::name,
        DpkgPackage::source, p -> p.sourceVersion().toString()).containsExactly(
        org.assertj.core.groups.Tuple.tuple("bash", "bash", "5.2.15-2"),
        org.assertj.core.groups.Tuple.tuple("dpkg", "dpkg", "1.21.22"));
  }

  private static java.util.List<DpkgPackage> read(String status) throws Exception {
    return DpkgStatus.read(new ByteArrayInputStream(status.getBytes(StandardCharsets.UTF_8)));
  }
}
