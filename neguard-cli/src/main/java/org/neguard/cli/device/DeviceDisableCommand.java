package org.neguard.cli.device;

import org.neguard.api.deploy.ReasonRequest;
import org.neguard.api.device.Device;
import org.neguard.cli.support.ClientCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code neguard device disable}. */
@Command(name = "disable", mixinStandardHelpOptions = true,
    description = "Disable a device (admin): its certificate is revoked and its next request"
        + " is refused.")
final class DeviceDisableCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "ID") String id;

  @Option(names = "--reason", required = true, paramLabel = "TEXT",
      description = "Why, recorded in the audit log.")
  String reason;

  @Override
  public Integer call() throws Exception {
    Device d = server().disableDevice(id, new ReasonRequest(reason));
    return output().done("Disabled device " + d.id() + "\n" + DeviceText.describe(d), fields(d));
  }
}
