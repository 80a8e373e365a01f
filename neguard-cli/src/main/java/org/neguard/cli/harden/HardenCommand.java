package org.neguard.cli.harden;

import org.neguard.cli.support.CommandGroup;
import picocli.CommandLine.Command;

/** {@code neguard harden}: the hardening audit of an NE's ports and services (HRD-1..6). */
@Command(
    name = "harden",
    mixinStandardHelpOptions = true,
    description = {
      "Audit an NE's open ports and services: list the local listeners (inventory), scan a "
          + "host (scan), then check them against the NE type's declared list and the forbidden "
          + "baseline."
    },
    subcommands = {
      HardenInventoryCommand.class,
      HardenScanCommand.class,
      HardenCheckCommand.class,
      HardenDiffCommand.class
    })
final class HardenCommand extends CommandGroup {
  @Override
  protected String hint() {
    return "give a harden command: inventory, scan, check or diff";
  }
}
