package org.neguard.cli.attest;

import java.util.List;
import java.util.Map;
import org.neguard.api.attest.AttestationResult;
import org.neguard.cli.support.ClientCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code neguard attest history}: one device's attestations, newest first. */
@Command(name = "history", mixinStandardHelpOptions = true,
    description = "List a device's attestations, newest first, with why each was asked, its"
        + " result and the reasons naming component and file.")
final class AttestHistoryCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "DEVICE") String device;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "20",
      description = "How many, 1 to 1000 (default: ${DEFAULT-VALUE}).")
  int limit;

  @Override
  public Integer call() throws Exception {
    if (limit < 1 || limit > 1000) {
      throw usage("--limit must be 1 to 1000: " + limit);
    }
    List<AttestationResult> list = new AttestApi(server()).attestations(device, limit);
    return output().done(AttestText.historyTable(list), Map.of("attestations", wire(list)));
  }
}
