package org.neguard.cli.sim;

import org.neguard.cli.support.CommandGroup;
import picocli.CommandLine.Command;

/** {@code neguard sim}: simulations for tests, benchmarks and capacity checks. */
@Command(name = "sim", mixinStandardHelpOptions = true,
    description = "Simulate devices against an OAM server for tests, benchmarks and capacity"
        + " checks.",
    subcommands = {SimAgentsCommand.class})
final class SimCommand extends CommandGroup {
  @Override
  protected String hint() {
    return "give a sim command: agents";
  }
}
