package org.neguard.cli.attest;

import java.util.List;
import java.util.Map;
import org.neguard.api.attest.BaselineInfo;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.CommandGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code neguard attest baseline}: the references of platform components (/etc files, the agent
 * itself), which have no vendor-signed RIM: a measurement a device proposed, accepted by two
 * distinct approvers.
 */
@Command(name = "baseline", mixinStandardHelpOptions = true,
    description = {
      "Platform baselines: list them, approve or reject one (four-eyes).",
      "Platform paths have no vendor-signed RIM: their reference is a measurement a device"
          + " proposed, approved by two distinct approvers; until then its attestations are"
          + " PENDING_BASELINE."
    },
    subcommands = {AttestBaselineCommand.ListBaselines.class, AttestBaselineCommand.Show.class,
        AttestBaselineCommand.Approve.class, AttestBaselineCommand.Reject.class})
final class AttestBaselineCommand extends CommandGroup {
  @Override
  protected String hint() {
    return "give a baseline command: list, show, approve or reject";
  }

  /** {@code neguard attest baseline list}. */
  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "List platform baselines, optionally those in one state.")
  static final class ListBaselines extends ClientCommand {
    @Option(names = "--state", paramLabel = "STATE",
        description = "Only baselines in this state: pending, approved, superseded or"
            + " rejected.")
    String state;

    @Override
    public Integer call() throws Exception {
      List<BaselineInfo> list = new AttestApi(server()).baselines(state);
      return output().done(AttestText.baselineTable(list), Map.of("baselines", wire(list)));
    }
  }

  /** {@code neguard attest baseline show}: the files, for the approver to read first. */
  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "Show the files a platform baseline was measured with, to read before"
          + " approving it.")
  static final class Show extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID") String id;

    @Override
    public Integer call() throws Exception {
      List<org.neguard.api.attest.BaselineFile> files = new AttestApi(server())
          .baselineFiles(id);
      StringBuilder text = new StringBuilder();
      text.append(String.format("%-6s %-64s %s%n", "MODE", "SHA-256", "PATH"));
      for (org.neguard.api.attest.BaselineFile f : files) {
        text.append(String.format("%-6s %-64s %s%n", f.mode(), f.sha256(),
            org.neguard.cli.support.Output.printable(f.path())));
      }
      text.append(files.size()).append(" files");
      return output().done(text.toString(), Map.of("files", wire(files)));
    }
  }

  /** {@code neguard attest baseline approve}. */
  @Command(name = "approve", mixinStandardHelpOptions = true,
      description = {
        "Approve a pending platform baseline, or every one with a component's digest (approver).",
        "Two distinct approvers make it the component's reference; the server counts each"
            + " approver once. With --component and --digest, every NE that proposed that"
            + " measurement is approved at once: a fleet sharing one /etc needs one approval per"
            + " approver, not one per NE."
      })
  static final class Approve extends ClientCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "ID") String id;

    @Option(names = "--component", paramLabel = "NAME",
        description = "With --digest: the component (platform:LABEL) whose pending baselines"
            + " to approve.")
    String component;

    @Option(names = "--digest", paramLabel = "SHA256",
        description = "With --component: the measured digest to approve, on every NE.")
    String digest;

    @Override
    public Integer call() throws Exception {
      AttestApi api = new AttestApi(server());
      if (id != null && component == null && digest == null) {
        BaselineInfo b = api.approveBaseline(id);
        return output().done("Approved baseline " + b.id() + "; now " + b.state() + "\n"
            + AttestText.baseline(b), fields(b));
      }
      if (id != null || component == null || digest == null) {
        throw usage("give a baseline ID, or --component and --digest (not both)");
      }
      List<BaselineInfo> list = api.approveMatching(component, digest);
      return output().done("Approved " + list.size() + " baselines of " + component + "\n"
          + AttestText.baselineTable(list), Map.of("baselines", wire(list)));
    }
  }

  /** {@code neguard attest baseline reject}. */
  @Command(name = "reject", mixinStandardHelpOptions = true,
      description = "Reject a pending platform baseline (approver): the measurement is not a"
          + " reference, and a device measuring it does not pass.")
  static final class Reject extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID") String id;

    @Override
    public Integer call() throws Exception {
      BaselineInfo b = new AttestApi(server()).rejectBaseline(id);
      return output().done("Rejected baseline " + b.id() + "\n" + AttestText.baseline(b),
          fields(b));
    }
  }
}
