package org.neguard.cli.device;

import org.neguard.api.device.Device;
import org.neguard.cli.support.ClientCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code neguard device show}. */
@Command(name = "show", mixinStandardHelpOptions = true,
    description = "Show one device: NE type, labels, installed packages, trust state,"
        + " certificate, last seen.")
final class DeviceShowCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "ID") String id;

  @Override
  public Integer call() throws Exception {
    Device d = server().device(id);
    return output().done(DeviceText.describe(d), fields(d));
  }
}
