package org.neguard.cli.policy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.neguard.api.device.HardeningPolicyInfo;
import org.neguard.cli.support.ClientCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code neguard policy upload}. */
@Command(name = "upload", mixinStandardHelpOptions = true,
    description = "Upload a hardening policy (the YAML of 'neguard harden check --policy') as the"
        + " next version for an NE type (admin).")
final class PolicyUploadCommand extends ClientCommand {
  @Option(names = "--ne-type", required = true, paramLabel = "TYPE",
      description = "The NE type it applies to; must be the policy's own neType.")
  String neType;

  @Parameters(index = "0", paramLabel = "FILE", description = "The policy file (YAML).")
  Path file;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(file)) {
      throw usage("FILE is not a readable file: " + file);
    }
    HardeningPolicyInfo p = server().uploadPolicy(neType, file);
    return output().done("Uploaded the hardening policy of " + p.neType() + " as version "
        + p.version() + " (sha256 " + p.sha256() + ", " + p.declared().size()
        + " declared port(s)); it is in force now.", fields(p));
  }
}
