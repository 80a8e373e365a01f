package org.neguard.cli.evidence;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.Output;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard evidence authz}: SRC-1/2/3 evidence, from the policy the server enforces. */
@Command(
    name = "authz",
    mixinStandardHelpOptions = true,
    description = {
      "Probe an OAM server and write SRC-1/SRC-2/SRC-3 evidence (evidence-authz.html, "
          + ".json and -junit.xml): roles and who holds them, the RBAC matrix as enforced (every endpoint called "
          + "with no credential and as a probe user of each role), revoked and disabled "
          + "credentials, the agents' API refusing users, four-eyes on deployment approval, an "
          + "unsigned upload, the trust anchors, and the audit-chain verification.",
      "Needs an admin login; creates one probe user per role (plus a deployer holding operator "
          + "and approver, and a second approver), and revokes and disables them at the end. "
          + "The four-eyes cases enroll a probe device (evidence-probe-TAG, never polls) and "
          + "create a deployment of a stored package needing two approvals, then cancel it and "
          + "disable the device; with no package stored they are reported as not tested. "
          + "Exit 0 when no test case fails, 3 otherwise."
    })
final class EvidenceAuthzCommand extends ClientCommand {
  @Option(names = "--out", required = true, paramLabel = "DIR",
      description = "Directory for evidence-authz.html, .json and -junit.xml.")
  Path out;

  @Override
  public Integer call() throws Exception {
    AuthzEvidence.Result r = AuthzEvidence.collect(server(), out);
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("html", r.html().toString());
    d.put("json", r.json().toString());
    d.put("junit", r.junit().toString());
    d.put("testCases", r.passed() + r.failed().size() + r.notTested().size());
    d.put("failed", r.failed());
    d.put("notTested", r.notTested());
    Output o = output();
    if (!r.failed().isEmpty()) {
      o.line("Evidence written to " + r.html() + ", " + r.json() + " and " + r.junit());
      throw new RefusalException(r.failed().stream()
          .map(id -> Reason.about(ReasonCode.NOT_AUTHORIZED, id,
              "test case " + id + " failed: the server does not enforce what it declares; see "
                  + r.html()))
          .toList());
    }
    String notTested = r.notTested().isEmpty() ? ""
        : " (not tested: " + String.join(", ", r.notTested()) + ")";
    return o.pass("PASS  " + r.passed() + " test cases" + notTested + "; evidence written to "
        + r.html() + ", " + r.json() + " and " + r.junit(), d);
  }
}
