package org.neguard.cli.attest;

import org.neguard.api.attest.AttestationResult;
import org.neguard.cli.support.ClientCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code neguard attest readmit}: re-attestation before a quarantined device is trusted again. */
@Command(name = "readmit", mixinStandardHelpOptions = true,
    description = {
      "Ask a quarantined or untrusted device for a readmission attestation (approver).",
      "The device becomes trusted again only when this attestation passes against its signed"
          + " RIMs and approved baselines (REC-1); with --wait, exit 0 for PASS, 3 otherwise."
    })
final class AttestReadmitCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "DEVICE") String device;

  @Mixin WaitOptions waiting;

  @Override
  public Integer call() throws Exception {
    AttestApi api = new AttestApi(server());
    AttestationResult r = api.readmit(device);
    return waiting.finish(output(), r, api::attestation, "Readmission requested:",
        x -> fields(x));
  }
}
