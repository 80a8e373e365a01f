package org.neguard.cli.attest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.neguard.api.attest.AttestationPolicy;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.CommandGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code neguard attest policy}: what a failed attestation sets off, per NE type (REC-1). */
@Command(name = "policy", mixinStandardHelpOptions = true,
    description = {
      "Failure policies per NE type: set one, show them.",
      "A policy lists, in order, what a failed attestation of a trusted device sets off:"
          + " quarantine (no more deployments but recovery, an audit row and a webhook),"
          + " rollback (to the last-known-good version), reinstall=PACKAGE@VERSION (a named"
          + " known-good package); the device is then re-attested before it is readmitted."
    },
    subcommands = {AttestPolicyCommand.Set.class, AttestPolicyCommand.Show.class})
final class AttestPolicyCommand extends CommandGroup {
  /** {@code reinstall=<package>@<version>}: names as the package store writes them. */
  static final Pattern REINSTALL =
      Pattern.compile("reinstall=[A-Za-z0-9][A-Za-z0-9._+-]{0,127}@[A-Za-z0-9][A-Za-z0-9._+~-]{0,63}");

  @Override
  protected String hint() {
    return "give a policy command: set or show";
  }

  /** Whether {@code action} is one the server knows; checked here so a typo costs no request. */
  static boolean valid(String action) {
    return action.equals("quarantine") || action.equals("rollback")
        || REINSTALL.matcher(action).matches();
  }

  /** {@code neguard attest policy set}. */
  @Command(name = "set", mixinStandardHelpOptions = true,
      description = {
        "Set an NE type's failure policy (approver).",
        "Example: neguard attest policy set mme --action quarantine --action rollback"
            + " --action reinstall=core@1.0."
      })
  static final class Set extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NE_TYPE") String neType;

    @Option(names = "--action", required = true, paramLabel = "ACTION",
        description = "quarantine, rollback or reinstall=PACKAGE@VERSION, in the order they"
            + " run. Repeatable; quarantine is always part of the policy.")
    List<String> actions = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      for (String a : actions) {
        if (!valid(a)) {
          throw usage("not an action: '" + a + "'; give quarantine, rollback or"
              + " reinstall=PACKAGE@VERSION");
        }
      }
      if (actions.stream().distinct().count() != actions.size()) {
        throw usage("an action is given twice: " + actions);
      }
      AttestationPolicy p = new AttestApi(server()).setPolicy(neType, actions);
      return output().done("Failure policy of NE type " + p.neType() + " set\n"
          + AttestText.policyTable(List.of(p)), fields(p));
    }
  }

  /** {@code neguard attest policy show}. */
  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "Show the failure policies, of every NE type or of one.")
  static final class Show extends ClientCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "NE_TYPE",
        description = "Only this NE type's policy.")
    String neType;

    @Override
    public Integer call() throws Exception {
      List<AttestationPolicy> list = new AttestApi(server()).policies();
      if (neType != null) {
        list = list.stream().filter(p -> neType.equals(p.neType())).toList();
      }
      return output().done(list.isEmpty() && neType != null ? "NE type " + neType
          + " has no failure policy of its own: a failed attestation quarantines its devices"
          : AttestText.policyTable(list), Map.of("policies", wire(list)));
    }
  }
}
