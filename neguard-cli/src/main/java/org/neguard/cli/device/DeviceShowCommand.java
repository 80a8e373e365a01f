package org.neguard.cli.device;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.api.device.Device;
import org.neguard.api.device.DeviceDrift;
import org.neguard.api.device.DriftFinding;
import org.neguard.cli.support.ClientCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code neguard device show}. */
@Command(name = "show", mixinStandardHelpOptions = true,
    description = "Show one device: NE type, labels, installed packages, trust state,"
        + " certificate, last seen, open port drift findings.")
final class DeviceShowCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "ID") String id;

  @Override
  public Integer call() throws Exception {
    Device d = server().device(id);
    DeviceDrift drift = server().deviceDrift(id);
    List<DriftFinding> open = drift.findings().stream().filter(f -> f.resolvedAt() == null)
        .toList();
    Map<String, Object> json = new LinkedHashMap<>(fields(d));
    json.put("openFindings", wire(open));
    return output().done(DeviceText.describe(d) + "\n" + DeviceText.drift(drift, open), json);
  }
}
