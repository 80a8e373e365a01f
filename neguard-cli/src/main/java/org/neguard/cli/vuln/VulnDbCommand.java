package org.neguard.cli.vuln;

import org.neguard.cli.support.CommandGroup;
import picocli.CommandLine.Command;

/** {@code neguard vulndb}: the local vulnerability database (HRD-3). */
@Command(name = "vulndb", mixinStandardHelpOptions = true,
    description = "Import vulnerability feeds downloaded elsewhere (OSV and NVD) into a local"
        + " database, and show what it holds and how current it is (HRD-3).",
    subcommands = {VulnDbImportCommand.class, VulnDbStatusCommand.class})
final class VulnDbCommand extends CommandGroup {
  @Override
  protected String hint() {
    return "give a vulndb command: import or status";
  }
}
