package org.neguard.cli.admin;

import org.neguard.cli.support.CommandGroup;
import picocli.CommandLine.Command;

/** {@code neguard audit}: read, verify and export the server's hash-chained audit log (SRC-3). */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = {
      "The OAM server's audit log (admin, auditor): every login, refusal, account change and "
          + "upload, each row chained to the previous one by SHA-256."
    },
    subcommands = {AuditListCommand.class, AuditVerifyCommand.class, AuditExportCommand.class})
final class AuditCommand extends CommandGroup {
  @Override
  protected String hint() {
    return "give an audit command: list, verify or export";
  }
}
