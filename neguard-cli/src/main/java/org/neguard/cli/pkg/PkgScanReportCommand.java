package org.neguard.cli.pkg;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.cli.support.AnchorFileConverter;
import org.neguard.cli.support.ForceOption;
import org.neguard.cli.support.Output;
import org.neguard.cli.support.OutputFiles;
import org.neguard.cli.support.ScanPolicyOptions;
import org.neguard.cli.support.TerminalProgress;
import org.neguard.pkg.BundleLimits;
import org.neguard.pkg.BundleReader;
import org.neguard.pkg.BundleVerifier;
import org.neguard.pkg.Manifest;
import org.neguard.pkg.Verification;
import org.neguard.scanreport.ScanReport;
import org.neguard.scanreport.ScanReportCheck;
import org.neguard.scanreport.ScanReportHtml;
import org.neguard.sign.TrustStore;
import org.neguard.verdict.Reason;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code neguard pkg scan-report}: a package's scan reports for an auditor (AV-3). */
@Command(
    name = "scan-report",
    mixinStandardHelpOptions = true,
    description = {
      "Show the anti-virus scan reports a package carries (AV-3) and the publication gate's "
          + "verdict on them (AV-2): engines, versions, signature databases, times, per-file "
          + "results.",
      "--html writes a self-contained page for an auditor. With --trust the package's "
          + "signature is verified too. Exit 0 when the gate passes, 3 when it refuses, 1 on "
          + "error."
    })
final class PkgScanReportCommand extends BundleCommand {
  @Mixin ScanPolicyOptions scanPolicy;

  @Option(names = "--html", paramLabel = "OUT.html", description = "Write the report as HTML here.")
  Path html;

  @Mixin ForceOption force;

  @Option(names = "--trust", paramLabel = "[VENDOR=]CA.pem|DIR",
      converter = AnchorFileConverter.class,
      description = "Also verify the package's signature against these trust anchors. Repeatable."
          + AnchorFileConverter.HELP)
  List<TrustStore.AnchorFile> trust = new ArrayList<>();

  @Option(names = "--crl", paramLabel = "CRL.pem", description = "CRLs for --trust. Repeatable.")
  List<Path> crls = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    Output output = output();
    if (html != null) {
      OutputFiles.check(html, force.force);
    }
    ScanReportCheck gate = scanPolicy.gate(commandLine());
    String signature;
    if (!trust.isEmpty()) {
      try (TerminalProgress progress = TerminalProgress.bytes(output, "verifying")) {
        Verification v = BundleVerifier.of(TrustStore.loadBound(trust, crls)).verify(file, progress);
        signature = "verified: signed by " + v.signer().subject() + " at " + v.signer().signingTime();
      }
    } else {
      signature = "not verified by this report (no --trust); 'neguard pkg verify' judges it";
    }
    Manifest manifest;
    List<ScanReport> reports;
    try (BundleReader reader = BundleReader.open(file, BundleLimits.defaults())) {
      manifest = reader.manifest();
      reports = ScanReportCheck.read(reader);
    }
    List<Reason> reasons = List.of();
    try {
      gate.check(manifest, reports);
    } catch (RefusalException e) {
      reasons = e.reasons();
    }
    if (html != null) {
      OutputFiles.write(html, ScanReportHtml.render(manifest, reports, reasons, signature,
          Instant.now()).getBytes(StandardCharsets.UTF_8), force.force);
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("bundle", file.toString());
    details.put("signature", signature);
    details.put("package", Describe.pkg(manifest, false));
    List<Map<String, Object>> full = new ArrayList<>();
    for (ScanReport r : reports) {
      full.add(Describe.scanReport(r, true));
    }
    details.put("scanReports", full);
    if (html != null) {
      details.put("html", html.toString());
    }
    String text = file + "\n" + Describe.pkgText(manifest) + "\n  signature  " + signature + "\n"
        + Describe.scanText(reports) + (html == null ? "" : "\n  HTML       " + html);
    if (!reasons.isEmpty()) {
      return output.failWithDetails(text, reasons, details);
    }
    return output.pass("PASS  publication gate\n" + text, details);
  }
}
