package org.neguard.cli.device;

import java.util.List;
import java.util.Map;
import org.neguard.api.device.Device;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.Output;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard device list}. */
@Command(name = "list", mixinStandardHelpOptions = true,
    description = "List the enrolled devices, optionally those with a label, of an NE type, or"
        + " out of their hardening policy.")
final class DeviceListCommand extends ClientCommand {
  private static final String ROW = "%-24s %-10s %-12s %-24s %s";

  @Option(names = "--label", paramLabel = "L", description = "Only devices with this label.")
  String label;

  @Option(names = "--ne-type", paramLabel = "TYPE", description = "Only devices of this type.")
  String neType;

  @Option(names = "--out-of-policy",
      description = "Only devices with open port drift findings (HRD-1, HRD-4).")
  boolean outOfPolicy;

  @Override
  public Integer call() throws Exception {
    List<Device> devices = server().devices(label, neType);
    if (outOfPolicy) {
      java.util.Set<String> drifting = server().outOfPolicy().stream()
          .map(org.neguard.api.device.DeviceDrift::deviceId)
          .collect(java.util.stream.Collectors.toSet());
      devices = devices.stream().filter(d -> drifting.contains(d.id())).toList();
    }
    StringBuilder text = new StringBuilder(
        String.format(ROW, "ID", "NE TYPE", "TRUST", "LAST SEEN", "LABELS"));
    for (Device d : devices) {
      text.append('\n').append(Output.printable(String.format(ROW, d.id(), d.neType(),
          d.trustState(), d.lastSeen() == null ? "never" : d.lastSeen(),
          String.join(",", d.labels() == null ? List.of() : d.labels()))));
    }
    return output().done(text.toString(), Map.of("devices", wire(devices)));
  }
}
