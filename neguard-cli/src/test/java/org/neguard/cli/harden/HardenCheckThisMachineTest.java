package org.neguard.cli.harden;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.neguard.harden.Observation;

/**
 * HRD-3: the rule {@code harden check} decides "this machine's inventory" by, for the case the
 * command tests on this machine cannot make: this machine without a valid machine id (cli
 * {@code HardenCheckMachineIdTest} runs the other cases through the command).
 */
class HardenCheckThisMachineTest {
  private static final String ID = "3d1219c7c4c5404aaa1f6d2a48adfda4";
  private static final Observation INVENTORY = new Observation("inventory", "debian", "debian",
      "NEGuard test", Instant.EPOCH, Instant.EPOCH, true, Map.of(), List.of(), List.of());

  @Test
  void notThisMachine_onlyTheSameIdOnBothSidesIsThisMachine() {
    // HRD-3
    assertThat(HardenCheckCommand.notThisMachine(INVENTORY.withMachineId(ID), Optional.of(ID)))
        .isEmpty();
    assertThat(HardenCheckCommand.notThisMachine(INVENTORY.withMachineId(ID), Optional.empty()))
        .get().asString().contains("names this host (debian)",
            "this host has no valid machine id", "--dpkg-status FILE", "--rpmdb DIR");
    assertThat(HardenCheckCommand.notThisMachine(INVENTORY.withMachineId(ID),
        Optional.of("0".repeat(31) + "1"))).get().asString().contains("another machine's");
    assertThat(HardenCheckCommand.notThisMachine(INVENTORY, Optional.of(ID))).get().asString()
        .contains("records no machine id");
    assertThat(HardenCheckCommand.notThisMachine(INVENTORY, Optional.empty())).get().asString()
        .contains("records no machine id");
  }
}
