package org.neguard.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
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
    String q = after == null ? "?tail=true&limit=" + limit : "?after=" + after + "&limit=" + limit;
    JsonNode rows = server().get("/api/audit" + q);
    StringBuilder text = new StringBuilder();
    for (JsonNode r : rows) {
      if (text.length() > 0) {
        text.append('\n');
      }
      text.append(String.format("%6d %s %-12s %-16s %-8s %s  %s", r.path("seq").asLong(),
          r.path("occurredAt").asText(), Output.printable(r.path("actor").asText()),
          r.path("action").asText(), r.path("outcome").asText(),
          Output.printable(r.path("target").asText()),
          Output.printable(r.path("detail").asText())));
    }
    return output().done(text.length() == 0 ? "(no rows)" : text.toString(),
        Map.of("rows", rows));
  }
}
