package org.neguard.cli.deploy;

import java.util.ArrayList;
import java.util.List;
import org.neguard.api.deploy.Deployment;
import org.neguard.api.deploy.RecoveryRequest;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.DurationConverter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard recover}: a recovery campaign (REC-2), waiting for its approvals. */
@Command(name = "recover", mixinStandardHelpOptions = true,
    description = {
      "Create a recovery campaign that re-installs a known-good package on the quarantined"
          + " devices of one NE type (operator).",
      "The devices are those of --ne-type (or of --device), in waves of at most --wave-size."
          + " Approvers other than you approve it like any deployment (a lower security version"
          + " than a device runs needs --acknowledge-rollback at approval); a device is"
          + " readmitted (trusted) only when its evidence after the install matches the signed"
          + " references.",
      "Watch it with 'neguard deploy status ID'."
    })
public final class RecoverCommand extends ClientCommand {
  @Option(names = "--ne-type", required = true, paramLabel = "TYPE",
      description = "The devices' NE type (the package's too).")
  String neType;

  @Option(names = "--to", required = true, paramLabel = "PACKAGE@VERSION",
      description = "The known-good package to install, as stored on the server.")
  String to;

  @Option(names = "--device", paramLabel = "ID",
      description = "Only this device (of the type, in one of the trust states). Repeatable.")
  List<String> devices = new ArrayList<>();

  @Option(names = "--trust-state", paramLabel = "STATE",
      description = "Devices in this trust state: quarantined (default), untrusted, unknown,"
          + " trusted. Repeatable.")
  List<String> trustStates = new ArrayList<>();

  @Option(names = "--wave-size", paramLabel = "N",
      description = "Devices per wave, the concurrency limit (default: 10).")
  Integer waveSize;

  @Option(names = "--expires", paramLabel = "ISO|DURATION",
      description = "When the campaign expires: an instant or a duration from now ("
          + DurationConverter.FORMS + "; default: 7d).")
  String expires;

  @Override
  public Integer call() throws Exception {
    int at = to.lastIndexOf('@');
    if (at <= 0 || at == to.length() - 1) {
      throw usage("--to is PACKAGE@VERSION, like sample-mme@1.2.0: " + to);
    }
    Deployment d = server().createRecovery(new RecoveryRequest(neType, to.substring(0, at),
        to.substring(at + 1), trustStates.isEmpty() ? null : trustStates,
        devices.isEmpty() ? null : devices, waveSize, expiresAt()));
    return output().done("Created recovery campaign " + d.id() + " (" + d.targetCount()
        + " devices); it needs " + d.requiredApprovals() + " approval(s) by approvers other"
        + " than " + d.createdBy() + ":\n  neguard deploy approve " + d.id()
        + (d.rollback() ? " --acknowledge-rollback" : "") + "\n\n" + DeploymentText.status(d),
        fields(d));
  }

  private String expiresAt() {
    if (expires == null) {
      return null;
    }
    return DurationConverter.instantOrFromNow(expires).orElseThrow(() -> usage("--expires is"
        + " neither an instant like 2026-12-31T00:00:00Z nor a duration like 7d: " + expires));
  }
}
