package org.neguard.attest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeDigest;
import org.neguard.verdict.ReasonCode;

/** The expected measurements after an update, from signed RIMs only (ATT-2, ATT-3). */
class ExpectationTest {
  static TreeDigest.Leaf leaf(String path, char c) {
    return new TreeDigest.Leaf(path, String.valueOf(c).repeat(64), 0644);
  }

  static Evidence.Component component(String name, PlatformTim.Reference ref,
      TreeDigest.Leaf... leaves) {
    return new Evidence.Component(name, ref, TreeDigest.of(List.of(leaves)), List.of(leaves));
  }

  static final Evidence.Component CORE1 = component("core", PlatformTim.Reference.VENDOR_SIGNED,
      leaf("bin/mme", 'a'), leaf("lib/core.so", 'b'));
  static final Evidence.Component ETC = component("platform:etc",
      PlatformTim.Reference.OPERATOR_BASELINE, leaf("hosts", 'c'));

  @Test
  @DisplayName("ATT-2 ATT-3 after an update only the package's component changes, to its signed"
      + " RIM; the expected TIM is the chain of the new list and equals what a faithful NE"
      + " measures")
  void afterUpdate_replacesThePackageComponent() throws Exception {
    Expectation before = Expectation.of(List.of(ETC, CORE1));
    assertThat(before.components()).extracting(Evidence.Component::name)
        .containsExactly("core", "platform:etc");
    List<TreeDigest.Leaf> rim2 = List.of(leaf("bin/mme", 'd'), leaf("lib/core.so", 'e'),
        leaf("lib/new.so", 'f'));
    Expectation after = before.afterUpdate("core", TreeDigest.of(rim2), rim2);
    Evidence.Component core2 = component("core", PlatformTim.Reference.VENDOR_SIGNED,
        rim2.toArray(TreeDigest.Leaf[]::new));
    assertThat(after.tim()).isEqualTo(PlatformTim.of(List.of(core2.chained(), ETC.chained())))
        .isNotEqualTo(before.tim());
    assertThat(after.compare(List.of(core2, ETC))).isEmpty();
    // A new package is added to the list.
    Expectation added = before.afterUpdate("sctp", TreeDigest.of(List.of(leaf("x", '1'))),
        List.of(leaf("x", '1')));
    assertThat(added.components()).extracting(Evidence.Component::name)
        .containsExactly("core", "platform:etc", "sctp");
  }

  @Test
  @DisplayName("ATT-2 a RIM that is not the digest of its own file list is refused"
      + " MEASUREMENT_MISMATCH: the expectation is built from consistent signed data only")
  void afterUpdate_inconsistentRim_refused() {
    Expectation before = Expectation.of(List.of(CORE1));
    assertThat(TpmQuoteTest.refusal(() -> before.afterUpdate("core", "0".repeat(64),
        List.of(leaf("bin/mme", 'd'))))).isEqualTo(ReasonCode.MEASUREMENT_MISMATCH);
  }

  @Test
  @DisplayName("ATT-3 ATT-4 OBJ-2 a measurement that differs names the component and the file:"
      + " a modified file, an extra file, a missing component, an unexpected one")
  void compare_namesComponentAndFile() {
    Expectation want = Expectation.of(List.of(CORE1, ETC));
    Evidence.Component tampered = component("core", PlatformTim.Reference.VENDOR_SIGNED,
        leaf("bin/mme", '7'), leaf("lib/core.so", 'b'), leaf("lib/implant.so", '8'));
    Evidence.Component rogue = component("rootkit", PlatformTim.Reference.VENDOR_SIGNED,
        leaf("x", '9'));
    List<Expectation.Difference> d = want.compare(List.of(tampered, rogue));
    assertThat(d).containsExactly(
        new Expectation.Difference("core", "changed", List.of("changed bin/mme",
            "extra lib/implant.so")),
        new Expectation.Difference("platform:etc", "missing", List.of()),
        new Expectation.Difference("rootkit", "unexpected", List.of()));
  }

  @Test
  @DisplayName("ATT-4 a component that differs while either side is a digest without files (a"
      + " committed reference keeps no files) is changed with no file named, not every file"
      + " called extra or missing")
  void compare_digestWithoutFiles_changedNoFileNamed() {
    Evidence.Component etc2 = component("platform:etc", PlatformTim.Reference.OPERATOR_BASELINE,
        leaf("hosts", 'd'));
    Expectation committed = Expectation.of(List.of(CORE1, ETC.withoutFiles()));
    assertThat(committed.compare(List.of(CORE1, etc2))).containsExactly(
        new Expectation.Difference("platform:etc", "changed", List.of()));
    Expectation withFiles = Expectation.of(List.of(CORE1, ETC));
    assertThat(withFiles.compare(List.of(CORE1, etc2.withoutFiles()))).containsExactly(
        new Expectation.Difference("platform:etc", "changed", List.of()));
    // The control: with files on both sides, the file is named.
    assertThat(withFiles.compare(List.of(CORE1, etc2))).containsExactly(
        new Expectation.Difference("platform:etc", "changed", List.of("changed hosts")));
  }
}
