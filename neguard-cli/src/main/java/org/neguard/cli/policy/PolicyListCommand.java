package org.neguard.cli.policy;

import java.util.List;
import java.util.Map;
import org.neguard.api.device.HardeningPolicyInfo;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.Output;
import picocli.CommandLine.Command;

/** {@code neguard policy list}. */
@Command(name = "list", mixinStandardHelpOptions = true,
    description = "List every version of every NE type's hardening policy, the one in force"
        + " marked.")
final class PolicyListCommand extends ClientCommand {
  private static final String ROW = "%-16s %-8s %-8s %-16s %-30s %s";

  @Override
  public Integer call() throws Exception {
    List<HardeningPolicyInfo> policies = server().policies();
    StringBuilder text = new StringBuilder(
        String.format(ROW, "NE TYPE", "VERSION", "CURRENT", "UPLOADED BY", "UPLOADED AT",
            "SHA-256"));
    for (HardeningPolicyInfo p : policies) {
      text.append('\n').append(Output.printable(String.format(ROW, p.neType(), p.version(),
          p.current() ? "yes" : "", p.uploadedBy(), p.uploadedAt(), p.sha256())));
    }
    if (policies.isEmpty()) {
      text.append("\n(no policy uploaded: 'neguard policy upload --ne-type TYPE FILE')");
    }
    return output().done(text.toString(), Map.of("policies", wire(policies)));
  }
}
