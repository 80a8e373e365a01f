package org.neguard.cli.attest;

import org.neguard.api.attest.AttestationResult;
import org.neguard.cli.support.ClientCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code neguard attest}: platform integrity validation (ATT-1..4, OBJ-2, REC-1..4). Given a
 * device, it asks for an attestation; its subcommands show trust states, history, baselines and
 * policies, and readmit a quarantined device.
 */
@Command(name = "attest", mixinStandardHelpOptions = true,
    description = {
      "Attest a device's platform integrity now, or manage attestation: status, history,"
          + " baselines, failure policies, readmission.",
      "'neguard attest DEVICE' sends the device a fresh challenge; its agent answers at its next"
          + " poll with its measurements and TIM signed over the nonce, and the validation"
          + " entity judges them against vendor-signed RIMs and approved baselines. With --wait"
          + " it prints the result, trust base, TIM, trust state and the reasons naming"
          + " component and file; exit 0 for PASS, 3 for any other result.",
      "A device named like a subcommand is given after '--': 'neguard attest -- status'."
    },
    subcommands = {AttestStatusCommand.class, AttestHistoryCommand.class,
        AttestBaselineCommand.class, AttestPolicyCommand.class, AttestReadmitCommand.class})
final class AttestCommand extends ClientCommand {
  @Parameters(index = "0", arity = "0..1", paramLabel = "DEVICE",
      description = "The device to attest.")
  String device;

  @Mixin WaitOptions waiting;

  @Override
  public Integer call() throws Exception {
    if (device == null) {
      throw usage("give a device to attest, or an attest command: status, history, baseline,"
          + " policy or readmit");
    }
    AttestApi api = new AttestApi(server());
    AttestationResult r = api.request(device);
    return waiting.finish(output(), r, api::attestation, "Requested", x -> fields(x));
  }
}
