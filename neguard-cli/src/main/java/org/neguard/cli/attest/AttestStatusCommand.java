package org.neguard.cli.attest;

import java.util.List;
import java.util.Map;
import org.neguard.api.attest.DeviceTrust;
import org.neguard.cli.support.ClientCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard attest status}: every device's trust state. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "List every device's trust state, last attestation result, when it last"
        + " passed and when it is attested next.")
final class AttestStatusCommand extends ClientCommand {
  @Option(names = "--state", paramLabel = "STATE",
      description = "Only devices in this trust state (unknown, trusted, untrusted, quarantined,"
          + " disabled).")
  String state;

  @Override
  public Integer call() throws Exception {
    List<DeviceTrust> devices = new AttestApi(server()).devices();
    if (state != null) {
      devices = devices.stream().filter(d -> state.equals(d.trustState())).toList();
    }
    return output().done(AttestText.statusTable(devices), Map.of("devices", wire(devices)));
  }
}
