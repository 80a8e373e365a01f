package org.neguard.cli.harden;

import java.nio.file.Path;
import org.neguard.cli.support.CommandBase;
import org.neguard.cli.support.ForceOption;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservationCodec;
import org.neguard.harden.inventory.LocalInventory;
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
          + "--inventory FILE' reads, with this machine's id (/etc/machine-id): only with it "
          + "does 'harden check' on this machine assess the inventory with this machine's "
          + "packages."
    })
final class HardenInventoryCommand extends CommandBase {
  @Option(names = "--out", paramLabel = "FILE", description = "Also write the observation (JSON) to FILE.")
  Path out;

  @Mixin ForceOption force;

  @Override
  public Integer call() throws Exception {
    ObservationText.checkOut(out, force);
    Observation o = LocalInventory.system().takeWithMachineId();
    ObservationText.write(o, out, force);
    return output().document(ObservationText.text(o, out), ObservationCodec.encode(o));
  }
}
