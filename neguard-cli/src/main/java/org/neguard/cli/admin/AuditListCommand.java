package org.neguard.cli.admin;

import java.util.List;
import java.util.Map;
import org.neguard.api.audit.AuditRecord;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.Output;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard audit list}. */
@Command(name = "list", mixinStandardHelpOptions = true,
    description = "Show audit rows (default: the last 50).")
final class AuditListCommand extends ClientCommand {
  @Option(names = "--after", paramLabel = "SEQ",
      description = "Rows after this number, oldest first (instead of the last ones).")
  Long after;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "50",
      description = "At most N rows (default: ${DEFAULT-VALUE}).")
  int limit;

  @Override
  public Integer call() throws Exception {
    List<AuditRecord> rows = after == null ? server().audit(0, limit, true)
        : server().audit(after, limit, false);
    StringBuilder text = new StringBuilder();
    for (AuditRecord r : rows) {
      if (text.length() > 0) {
        text.append('\n');
      }
      text.append(String.format("%6d %s %-12s %-16s %-8s %s  %s", r.seq(),
          text(r.occurredAt()), Output.printable(text(r.actor())), text(r.action()),
          text(r.outcome()), Output.printable(text(r.target())),
          Output.printable(text(r.detail()))));
    }
    return output().done(text.length() == 0 ? "(no rows)" : text.toString(),
        Map.of("rows", wire(rows)));
  }

  /** A field as it is printed: a missing one as empty. */
  private static String text(String field) {
    return field == null ? "" : field;
  }
}
