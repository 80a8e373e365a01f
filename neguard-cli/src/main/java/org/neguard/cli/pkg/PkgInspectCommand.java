package org.neguard.cli.pkg;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.neguard.cli.support.Output;
import org.neguard.pkg.BundleLimits;
import org.neguard.pkg.BundleReader;
import org.neguard.pkg.Manifest;
import org.neguard.scanreport.ScanReport;
import org.neguard.scanreport.ScanReportCheck;
import org.neguard.sign.UnverifiedSigner;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine.Command;

/** {@code neguard pkg inspect}. */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = {
      "Show a bundle's manifest and files, and who its signature claims signed it.",
      "Nothing is verified: use 'neguard pkg verify' for a verdict."
    })
final class PkgInspectCommand extends BundleCommand {
  @Override
  public Integer call() throws Exception {
    Output output = output();
    try (BundleReader reader = BundleReader.open(file, BundleLimits.defaults())) {
      Manifest m = reader.manifest();
      Optional<UnverifiedSigner> claimed = reader.signature().flatMap(UnverifiedSigner::peek);
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("bundle", file.toString());
      details.put("verified", false);
      details.put("signed", reader.signature().isPresent());
      claimed.ifPresent(s -> {
        Map<String, Object> signer = new LinkedHashMap<>();
        signer.put("subject", s.subject());
        signer.put("issuer", s.issuer());
        signer.put("signingTime", s.signingTime() == null ? null : s.signingTime().toString());
        details.put("claimedSigner", signer);
      });
      details.put("package", Describe.pkg(m, true));
      StringBuilder text = new StringBuilder();
      text.append(file).append("  (inspected, NOT verified)\n").append(Describe.pkgText(m));
      text.append("\n  signature  ");
      if (reader.signature().isEmpty()) {
        text.append("none (unsigned)");
      } else {
        text.append(claimed.map(s -> "claims " + s.subject() + ", " + s.signingTime())
            .orElse("present but unreadable"));
      }
      text.append(String.format("%n%n  %-4s %14s  %-64s  %s%n", "MODE", "SIZE", "SHA-256", "PATH"));
      for (Manifest.FileEntry f : m.files()) {
        text.append(String.format("  %-4s %,14d  %s  %s%n", f.mode(), f.size(), f.sha256(), f.path()));
      }
      // Reports are shown as found; only 'pkg verify' judges them (digests, signature, gate).
      try {
        List<ScanReport> reports = ScanReportCheck.read(reader);
        details.put("scanReports", Describe.scanReports(reports));
        text.append('\n').append(Describe.scanText(reports)).append('\n');
      } catch (RefusalException e) {
        details.put("scanReportsUnreadable", e.reasons().get(0).message());
        text.append("\n  scans      unreadable: ").append(e.reasons().get(0).message()).append('\n');
      }
      return output.done(text.toString().stripTrailing(), details);
    }
  }
}
