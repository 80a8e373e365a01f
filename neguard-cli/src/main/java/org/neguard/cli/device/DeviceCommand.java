package org.neguard.cli.device;

import org.neguard.cli.support.CommandGroup;
import picocli.CommandLine.Command;

/** {@code neguard device}: the network elements the OAM server knows (SRC-1, OBJ-1). */
@Command(name = "device", mixinStandardHelpOptions = true,
    description = "Devices (network elements) of the OAM server: enrollment tokens, list, show,"
        + " disable, port drift.",
    subcommands = {DeviceEnrollTokenCommand.class, DeviceListCommand.class,
        DeviceShowCommand.class, DeviceDisableCommand.class, DeviceDriftCommand.class,
        DeviceVulnsCommand.class})
final class DeviceCommand extends CommandGroup {
  @Override
  protected String hint() {
    return "give a device command: enroll-token, list, show, disable, drift or vulns";
  }
}
