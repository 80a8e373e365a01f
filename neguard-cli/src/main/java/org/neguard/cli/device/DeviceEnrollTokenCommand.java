package org.neguard.cli.device;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.neguard.api.device.EnrollmentToken;
import org.neguard.api.device.EnrollmentTokenRequest;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.DurationConverter;
import org.neguard.cli.support.ForceOption;
import org.neguard.cli.support.OutputFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code neguard device enroll-token}: a one-time token a device enrolls with. */
@Command(name = "enroll-token", mixinStandardHelpOptions = true,
    description = {
      "Create a one-time, expiring enrollment token for a device (admin or operator).",
      "The token is shown once, with the agents' API URL and the SHA-256 of the device CA that"
          + " the device must pin; --ca-out writes the CA certificate for it."
    })
final class DeviceEnrollTokenCommand extends ClientCommand {
  @Option(names = "--device-id", paramLabel = "ID",
      description = "The only device id the token may enroll (default: any the device names).")
  String deviceId;

  @Option(names = "--ne-type", paramLabel = "TYPE",
      description = "The NE type the device must declare (default: any).")
  String neType;

  @Option(names = "--label", paramLabel = "L",
      description = "A label the device gets at enrollment. Repeatable.")
  List<String> labels = new ArrayList<>();

  @Option(names = "--ttl", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "How long the token is valid, whole minutes up to 7d (default: 60m).")
  Duration ttl;

  @Option(names = "--ca-out", paramLabel = "FILE",
      description = "Write the device CA certificate (PEM) to FILE.")
  Path caOut;

  @Mixin ForceOption force;

  @Override
  public Integer call() throws Exception {
    Integer minutes = null;
    if (ttl != null) {
      if (ttl.toSeconds() % 60 != 0) {
        throw usage("--ttl must be whole minutes, like 60m or 2h: " + ttl);
      }
      minutes = (int) Math.min(Integer.MAX_VALUE, ttl.toMinutes());
    }
    if (caOut != null) {
      // Refused before the token exists: a refusal changes nothing on the server either.
      OutputFiles.check(caOut, force.force);
    }
    EnrollmentToken t = server().createEnrollmentToken(new EnrollmentTokenRequest(deviceId,
        neType, labels.isEmpty() ? null : labels, minutes));
    if (caOut != null) {
      OutputFiles.write(caOut, t.caCertificate().getBytes(StandardCharsets.US_ASCII),
          force.force);
    }
    StringBuilder text = new StringBuilder("Enrollment token " + t.id() + " (expires "
        + t.expiresAt() + "), shown once:\n" + t.token()
        + "\nDevice URL:         " + t.deviceUrl()
        + "\nDevice CA SHA-256:  " + t.caSha256());
    if (caOut != null) {
      text.append("\nDevice CA written to ").append(caOut);
    }
    Map<String, Object> details = fields(t);
    if (caOut != null) {
      details.put("caOut", caOut.toString());
    }
    return output().done(text.toString(), details);
  }
}
