package org.neguard.cli.policy;

import org.neguard.api.device.HardeningPolicyInfo;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.HelpOption;
import org.neguard.cli.support.Output;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code neguard policy show}. */
@Command(name = "show",
    description = "Show an NE type's hardening policy in force, or one version, with its YAML.")
final class PolicyShowCommand extends ClientCommand {
  @Mixin HelpOption help;

  @Parameters(index = "0", paramLabel = "TYPE", description = "The NE type.")
  String neType;

  @Option(names = "--version", paramLabel = "N",
      description = "This version instead of the one in force.")
  Integer version;

  @Override
  public Integer call() throws Exception {
    HardeningPolicyInfo p = server().policy(neType, version);
    StringBuilder b = new StringBuilder();
    b.append("NE type:     ").append(p.neType()).append('\n');
    b.append("Version:     ").append(p.version()).append(p.current() ? " (in force)" : "")
        .append('\n');
    b.append("SHA-256:     ").append(p.sha256()).append('\n');
    b.append("Uploaded:    ").append(p.uploadedAt()).append(" by ").append(p.uploadedBy())
        .append('\n');
    b.append("Declared:    ").append(String.join(", ", p.declared())).append("\n\n");
    b.append(p.content());
    return output().done(Output.printableLines(b.toString().stripTrailing()), fields(p));
  }
}
