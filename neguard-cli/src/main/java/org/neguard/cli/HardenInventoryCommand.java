package org.neguard.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservationCodec;
import org.neguard.harden.inventory.LocalInventory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code neguard harden inventory}: the local listeners and their processes (HRD-2). */
@Command(
    name = "inventory",
    mixinStandardHelpOptions = true,
    description = {
      "List every listening TCP and UDP socket (IPv4 and IPv6) and SCTP endpoint of this "
          + "host, with the process, executable and user that own it, read from /proc (no 'ss' "
          + "needed).",
      "Run as root to see every process. --json prints the observation 'harden check "
          + "--inventory FILE' reads."
    })
final class HardenInventoryCommand implements Callable<Integer>, Output.JsonCapable {
  @Mixin JsonOption jsonOption;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--out", paramLabel = "FILE", description = "Also write the observation (JSON) to FILE.")
  Path out;

  @Override
  public boolean json() {
    return jsonOption.json;
  }

  @Override
  public Integer call() throws Exception {
    Output output = Output.of(spec.commandLine());
    Observation o = LocalInventory.system().take();
    if (out != null) {
      ObservationText.write(o, out);
    }
    if (output.json()) {
      output.out().print(new String(ObservationCodec.encode(o), StandardCharsets.UTF_8));
      output.out().flush();
    } else {
      output.line(ObservationText.text(o) + (out == null ? "" : "\n\nwritten to " + out));
    }
    return Failures.PASS;
  }
}
