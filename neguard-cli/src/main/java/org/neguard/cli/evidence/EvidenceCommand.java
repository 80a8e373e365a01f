package org.neguard.cli.evidence;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code neguard evidence}: documents that show a requirement holds, in the SCAS style. */
@Command(
    name = "evidence",
    mixinStandardHelpOptions = true,
    description = "Write evidence documents (HTML, JSON, JUnit XML) that requirements hold, from"
        + " live probes and from what an NE agent did.",
    subcommands = {EvidenceAuthzCommand.class, EvidenceInstallCommand.class,
        EvidenceIntegrityCommand.class})
final class EvidenceCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "give an evidence command, for example 'authz'");
  }
}
