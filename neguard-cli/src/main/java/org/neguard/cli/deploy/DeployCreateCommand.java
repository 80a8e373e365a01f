package org.neguard.cli.deploy;

import java.util.ArrayList;
import java.util.List;
import org.neguard.api.deploy.CreateDeploymentRequest;
import org.neguard.api.deploy.Deployment;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.DurationConverter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard deploy create}: a deployment waiting for its approvals. */
@Command(name = "create", mixinStandardHelpOptions = true,
    description = {
      "Create a deployment of a stored package (operator); it waits for approval.",
      "Targets are the union of --device, --label and --ne-type, resolved now, so that approvers"
          + " approve a fixed list. Approvers other than you must approve it before it starts"
          + " (four-eyes)."
    })
final class DeployCreateCommand extends ClientCommand {
  @Option(names = "--package", required = true, paramLabel = "NAME",
      description = "The package's name, as stored on the server.")
  String packageName;

  @Option(names = "--version", required = true, paramLabel = "V",
      description = "The package's version.")
  String version;

  @Option(names = "--device", paramLabel = "ID", description = "A target device. Repeatable.")
  List<String> devices = new ArrayList<>();

  @Option(names = "--label", paramLabel = "L",
      description = "Target the devices with this label. Repeatable.")
  List<String> labels = new ArrayList<>();

  @Option(names = "--ne-type", paramLabel = "TYPE",
      description = "Target every device of this NE type.")
  String neType;

  @Option(names = "--waves", paramLabel = "SIZES", split = ",",
      description = "Wave sizes, each a count or a percentage of the targets, like 10,25%%,100%%;"
          + " the last wave takes the rest (default: one wave).")
  List<String> waves = new ArrayList<>();

  @Option(names = "--success-threshold", paramLabel = "P",
      description = "Percent of a wave that must succeed before the next starts, 1 to 100"
          + " (default: 100).")
  Integer successThreshold;

  @Option(names = "--error-threshold", paramLabel = "P",
      description = "Percent of a wave whose failure pauses the deployment, 1 to 100"
          + " (default: 10).")
  Integer errorThreshold;

  @Option(names = "--attestation-failure-share", paramLabel = "P",
      description = "The circuit breaker: when more than P percent of a wave's finished devices"
          + " fail their attestation after the update, the deployment pauses, saying whether"
          + " they fail alike (a bad reference) or differently (possible attack); 1 to 100"
          + " (default: 50).")
  Integer attestationFailureShare;

  @Option(names = "--window", paramLabel = "HH:MM-HH:MM",
      description = "Daily UTC maintenance window in which orders are issued (default: any"
          + " time).")
  String window;

  @Option(names = "--expires", paramLabel = "ISO|DURATION",
      description = "When the deployment expires: an instant (2026-12-31T00:00:00Z) or a"
          + " duration from now (" + DurationConverter.FORMS + "; default: 7d).")
  String expires;

  @Option(names = "--rollback",
      description = "Allow a lower security version than devices run; each approver must"
          + " acknowledge it.")
  boolean rollback;

  @Option(names = "--approvals", paramLabel = "N",
      description = "Approvals needed (default and minimum: the server's).")
  Integer approvals;

  @Override
  public Integer call() throws Exception {
    if (devices.isEmpty() && labels.isEmpty() && neType == null) {
      throw usage("name the targets: --device, --label or --ne-type");
    }
    Deployment d = server().createDeployment(new CreateDeploymentRequest(packageName, version,
        orNull(devices), orNull(labels), neType, orNull(waves), successThreshold,
        errorThreshold, window, expiresAt(), rollback ? Boolean.TRUE : null, approvals,
        attestationFailureShare));
    return output().done("Created deployment " + d.id() + " (" + d.targetCount()
        + " devices); it needs " + d.requiredApprovals() + " approval(s) by approvers other"
        + " than " + d.createdBy() + ":\n  neguard deploy approve " + d.id() + "\n\n"
        + DeploymentText.status(d), fields(d));
  }

  /** {@code --expires} as an instant: as written, or now plus the duration. */
  private String expiresAt() {
    if (expires == null) {
      return null;
    }
    return DurationConverter.instantOrFromNow(expires).orElseThrow(() -> usage("--expires is"
        + " neither an instant like 2026-12-31T00:00:00Z nor a duration like 7d: " + expires));
  }

  private static List<String> orNull(List<String> list) {
    return list.isEmpty() ? null : list;
  }
}
