package org.neguard.cli;

import picocli.CommandLine;
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
final class HardenCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "give a harden command: inventory, scan, check or diff");
  }
}
