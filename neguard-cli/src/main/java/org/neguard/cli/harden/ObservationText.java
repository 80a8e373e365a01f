package org.neguard.cli.harden;

import java.io.IOException;
import java.nio.file.Path;
import org.neguard.cli.support.ForceOption;
import org.neguard.cli.support.OutputFiles;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservationCodec;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.SnmpAccess;
import org.neguard.verdict.RefusalException;

/** How {@code harden inventory} and {@code harden scan} show an observation to people and files. */
final class ObservationText {
  private ObservationText() {}

  static String text(Observation o) {
    StringBuilder sb = new StringBuilder();
    sb.append(o.source()).append(" of ").append(o.host()).append(" from ").append(o.scanner())
        .append(" (").append(o.tool()).append("), ").append(o.started()).append(" .. ").append(o.finished());
    sb.append(o.complete() ? "" : "  INCOMPLETE").append('\n');
    boolean inventory = "inventory".equals(o.source());
    if (inventory) {
      sb.append(String.format("%n  %-5s %-28s %-7s %-18s %-10s %s%n", "PROTO", "ADDRESS", "PORT", "PROCESS", "USER", "EXECUTABLE"));
    } else {
      sb.append(String.format("%n  %-5s %-6s %-13s %-10s %s%n", "PROTO", "PORT", "STATE", "SERVICE", "EVIDENCE"));
    }
    for (ObservedPort p : o.ports()) {
      if (inventory) {
        String proc = p.process() == null ? "?" : p.process().name() + "(" + p.process().pid() + ")";
        sb.append(String.format("  %-5s %-28s %-7d %-18s %-10s %s%n", p.transport().name().toLowerCase(), p.address(), p.port(),
            proc, p.process() == null ? "?" : p.process().user(),
            p.process() == null || p.process().executable() == null ? "?" : p.process().executable()));
      } else {
        sb.append(String.format("  %-5s %-6d %-13s %-10s %s%n", p.transport().name().toLowerCase(), p.port(),
            p.state().name().toLowerCase().replace("open_filtered", "open|filtered"),
            p.service() == null ? "?" : p.service(), p.evidence() == null ? "" : p.evidence()));
        for (SnmpAccess a : p.snmp()) {
          sb.append(String.format("  %29s snmp %s %s: %s  %s%n", "", a.version(),
              SnmpAccess.shown(a.community()), a.access(),
              a.detail() == null ? "" : a.detail()));
        }
      }
    }
    if (!o.notes().isEmpty()) {
      sb.append('\n');
      for (String n : o.notes()) {
        sb.append("  note: ").append(n).append('\n');
      }
    }
    return sb.toString().stripTrailing();
  }

  /** The text, with where the observation was written ({@code out}, or null). */
  static String text(Observation o, Path out) {
    return text(o) + (out == null ? "" : "\n\nwritten to " + out);
  }

  /** Refuses {@code --out} before the work is done, when the file exists and may not be replaced. */
  static void checkOut(Path out, ForceOption force) throws RefusalException {
    if (out != null) {
      OutputFiles.check(out, force.force);
    }
  }

  /** Writes the observation's JSON to {@code out} (if not null) atomically. */
  static void write(Observation o, Path out, ForceOption force)
      throws IOException, RefusalException {
    if (out != null) {
      OutputFiles.write(out, ObservationCodec.encode(o), force.force);
    }
  }
}
