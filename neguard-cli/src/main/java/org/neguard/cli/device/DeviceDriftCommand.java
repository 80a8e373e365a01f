package org.neguard.cli.device;

import java.util.Locale;
import org.neguard.api.device.DeviceDrift;
import org.neguard.api.device.DriftFinding;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.Output;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code neguard device drift}. */
@Command(name = "drift", mixinStandardHelpOptions = true,
    description = "Show a device's port drift findings (HRD-1, HRD-4), open and resolved, newest"
        + " first.")
final class DeviceDriftCommand extends ClientCommand {
  private static final String ROW = "%-6s %-30s %-10s %-28s %-28s %s";

  @Parameters(index = "0", paramLabel = "ID") String id;

  @Override
  public Integer call() throws Exception {
    DeviceDrift d = server().deviceDrift(id);
    StringBuilder text = new StringBuilder();
    text.append("Device ").append(d.deviceId()).append(" (").append(d.neType()).append("): ")
        .append(d.lastInventoryAt() == null ? "no inventory accepted"
            : "last inventory " + d.lastInventoryAt() + ", " + d.lastVerdict())
        .append("; ").append(d.openFindings()).append(" open finding(s)\n");
    if (org.neguard.api.device.InventoryVerdict.REFUSED.equals(d.lastVerdict())) {
      text.append(Output.printable("Last report refused at " + d.refusedAt() + " ("
          + d.refusals() + " since the last accepted one): " + d.refusal())).append('\n');
    }
    if (d.overdueSince() != null) {
      text.append("Overdue: no inventory accepted since ").append(d.lastInventoryAt() == null
          ? "it enrolled" : d.lastInventoryAt()).append(" (found ").append(d.overdueSince())
          .append(")\n");
    }
    text.append(String.format(ROW, "ID", "PORT", "KIND", "OPENED", "RESOLVED", "PROCESS"));
    for (DriftFinding f : d.findings()) {
      text.append('\n').append(Output.printable(String.format(ROW, f.id(), f.port(),
          f.kind().toLowerCase(Locale.ROOT), f.openedAt(),
          f.resolvedAt() == null ? "open" : f.resolvedAt() + " " + f.resolution(),
          f.process() == null ? "" : f.process())));
    }
    return output().done(text.toString(), fields(d));
  }
}
