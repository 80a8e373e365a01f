package org.neguard.cli.pkg;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.cli.support.Output;
import org.neguard.cli.support.ScanPolicyOptions;
import org.neguard.cli.support.TerminalProgress;
import org.neguard.pkg.BundleVerifier;
import org.neguard.pkg.Verification;
import org.neguard.scanreport.ScanReport;
import org.neguard.scanreport.ScanReportCheck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code neguard pkg verify} (INT-1, INT-2, INT-4). */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = {
      "Verify a package bundle in full: the vendor's CMS signature over the manifest, the "
          + "signer's chain to a trust anchor (validity, codeSigning, optional CRL), and the size "
          + "and SHA-256 of every file; then the publication gate again (AV-2): clean scan reports "
          + "for exactly this payload that meet the scan policy.",
      "Exit 0 pass, 3 refused (with reasons), 1 error."
    })
final class PkgVerifyCommand extends BundleCommand {
  @Mixin TrustOptions trust;
  @Mixin ScanPolicyOptions scanPolicy;

  @Override
  public Integer call() throws Exception {
    Output output = output();
    ScanReportCheck gate = scanPolicy.gate(commandLine());
    List<List<ScanReport>> seen = new ArrayList<>(1);
    // The gate judges the reports of the verified bytes; keep them to show what was judged.
    BundleVerifier verifier =
        BundleVerifier.builder(trust.load())
            .check(reader -> seen.add(gate.judge(reader)))
            .build();
    Verification v;
    try (TerminalProgress progress = TerminalProgress.bytes(output, "verifying")) {
      v = verifier.verify(file, progress);
    }
    List<ScanReport> reports = seen.get(0);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("bundle", file.toString());
    details.put("package", Describe.pkg(v.manifest(), false));
    details.put("signer", Describe.signer(v.signer()));
    details.put("scanReports", Describe.scanReports(reports));
    return output.pass(
        "PASS  " + file + "\n" + Describe.pkgText(v.manifest()) + "\n"
            + Describe.signerText(v.signer()) + "\n" + Describe.scanText(reports),
        details);
  }
}
