package org.neguard.cli.vuln;

import org.neguard.cli.support.CommandGroup;
import picocli.CommandLine.Command;

/** {@code neguard vuln}: known vulnerabilities of what a host runs (HRD-3). */
@Command(name = "vuln", mixinStandardHelpOptions = true,
    description = "Assess the known vulnerabilities of what a host or the fleet runs (HRD-3).",
    subcommands = {VulnCheckCommand.class, VulnFleetCommand.class})
final class VulnCommand extends CommandGroup {
  @Override
  protected String hint() {
    return "give a vuln command: check, fleet";
  }
}
