package org.neguard.cli.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.attest.Evidence;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeDigest;

/** What a tampering simulated NE reports ({@code sim agents --tamper-rate}). */
class SimTamperTest {
  static final String A = "a".repeat(64);
  static final String B = "b".repeat(64);

  static Evidence.Component component(String name, PlatformTim.Reference ref,
      List<TreeDigest.Leaf> leaves) {
    return new Evidence.Component(name, ref, TreeDigest.of(leaves), leaves);
  }

  @Test
  @DisplayName("OBJ-2 a tampering NE's package gains lib/implant, its digest recomputed; other"
      + " components untouched; tampering twice is the same")
  void tampered_addsTheImplantToThePackage_selfConsistent() {
    List<TreeDigest.Leaf> pkg = List.of(new TreeDigest.Leaf("lib/core.so", A, 0644));
    List<TreeDigest.Leaf> etc = List.of(new TreeDigest.Leaf("hosts", B, 0644));
    Evidence.Component platform = component("platform:etc",
        PlatformTim.Reference.OPERATOR_BASELINE, etc);
    Evidence.Component core = component("core", PlatformTim.Reference.VENDOR_SIGNED, pkg);
    List<Evidence.Component> t = SimDevice.tampered(List.of(platform, core));

    assertThat(t).hasSize(2);
    assertThat(t.get(0)).isEqualTo(platform);
    Evidence.Component c = t.get(1);
    assertThat(c.name()).isEqualTo("core");
    assertThat(c.leaves()).extracting(TreeDigest.Leaf::path)
        .containsExactlyInAnyOrder("lib/core.so", SimDevice.IMPLANT);
    assertThat(c.digest()).isEqualTo(TreeDigest.of(c.leaves())).isNotEqualTo(core.digest());
    assertThat(SimDevice.tampered(t)).isEqualTo(t);
    assertThat(SimDevice.tampered(List.of(platform))).containsExactly(platform);
  }
}
