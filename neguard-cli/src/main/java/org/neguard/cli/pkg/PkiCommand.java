package org.neguard.cli.pkg;

import org.neguard.cli.support.CommandGroup;
import picocli.CommandLine.Command;

/** {@code neguard pki}: key material for trying NEGuard. */
@Command(
    name = "pki",
    mixinStandardHelpOptions = true,
    description = "Key material for trying NEGuard.",
    subcommands = {PkiDemoCommand.class})
final class PkiCommand extends CommandGroup {
  @Override
  protected String hint() {
    return "give a pki command: demo";
  }
}
