package org.neguard.cli.device;

import java.util.List;
import org.neguard.api.device.Device;
import org.neguard.api.device.DeviceDrift;
import org.neguard.api.device.DriftFinding;
import org.neguard.api.device.InstalledPackage;
import org.neguard.cli.support.Output;

/** A device for people to read, as {@code device show} and {@code device disable} print it. */
final class DeviceText {
  private DeviceText() {}

  static String describe(Device d) {
    StringBuilder b = new StringBuilder();
    line(b, "Device", d.id());
    line(b, "NE type", d.neType());
    line(b, "Labels", String.join(", ", d.labels() == null ? List.of() : d.labels()));
    line(b, "Trust state", d.trustState());
    line(b, "Enrolled", d.enrolledAt());
    line(b, "Last seen", d.lastSeen() == null ? "never" : d.lastSeen());
    line(b, "Certificate", d.certificateSerial() + " (until " + d.certificateNotAfter() + ")");
    if (d.disabledAt() != null) {
      line(b, "Disabled", d.disabledAt() + " by " + d.disabledBy());
    }
    List<InstalledPackage> installed = d.installed() == null ? List.of() : d.installed();
    line(b, "Installed", installed.isEmpty() ? "nothing reported" : "");
    for (InstalledPackage p : installed) {
      b.append(Output.printable("  " + p.name() + " " + p.version() + " (security version "
          + p.securityVersion() + ")")).append('\n');
    }
    return b.toString().stripTrailing();
  }

  /** The port drift part of {@code device show}: the last verdict and the open findings. */
  static String drift(DeviceDrift drift, List<DriftFinding> open) {
    StringBuilder b = new StringBuilder();
    line(b, "Inventory", drift.lastInventoryAt() == null ? "none accepted"
        : drift.lastInventoryAt() + " (" + drift.lastVerdict() + ")");
    if (org.neguard.api.device.InventoryVerdict.REFUSED.equals(drift.lastVerdict())) {
      line(b, "Refused", Output.printable(drift.refusedAt() + ", " + drift.refusals()
          + " since the last accepted report: " + drift.refusal()));
    }
    if (drift.overdueSince() != null) {
      line(b, "Overdue", "no inventory since " + (drift.lastInventoryAt() == null ? "ever"
          : drift.lastInventoryAt()) + " (found overdue " + drift.overdueSince() + ")");
    }
    line(b, "Drift", open.isEmpty() ? "no open finding" : open.size() + " open finding(s)");
    for (DriftFinding f : open) {
      b.append(Output.printable("  #" + f.id() + " " + f.port() + " "
          + f.kind().toLowerCase(java.util.Locale.ROOT)
          + (f.process() == null ? "" : " (" + f.process() + ")") + " since " + f.openedAt()))
          .append('\n');
    }
    return b.toString().stripTrailing();
  }

  private static void line(StringBuilder b, String key, String value) {
    b.append(String.format("%-13s", key + ":")).append(Output.printable(String.valueOf(value)))
        .append('\n');
  }
}
