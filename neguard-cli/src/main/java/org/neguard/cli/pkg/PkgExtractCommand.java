package org.neguard.cli.pkg;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.neguard.cli.support.Output;
import org.neguard.cli.support.TerminalProgress;
import org.neguard.pkg.BundleExtractor;
import org.neguard.pkg.BundleLimits;
import org.neguard.pkg.BundleVerifier;
import org.neguard.pkg.Verification;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code neguard pkg extract} (INT-1, INT-3: verified again at installation). */
@Command(
    name = "extract",
    mixinStandardHelpOptions = true,
    description = {
      "Verify a bundle in full, then extract its payload into a new or empty directory.",
      "Each file is hashed again as it is written; on any failure nothing is left behind."
    })
final class PkgExtractCommand extends BundleCommand {
  @Mixin TrustOptions trust;

  @Option(names = "--to", required = true, paramLabel = "DIR",
      description = "Target directory: must not exist, or be empty.")
  Path to;

  @Override
  public Integer call() throws Exception {
    Output output = output();
    BundleExtractor extractor = new BundleExtractor(BundleVerifier.of(trust.load()));
    Verification v;
    try (TerminalProgress progress = TerminalProgress.bytes(output, "verifying")) {
      v = extractor.extract(file, to, BundleLimits.defaults(), progress);
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("bundle", file.toString());
    details.put("extractedTo", to.toString());
    details.put("package", Describe.pkg(v.manifest(), false));
    details.put("signer", Describe.signer(v.signer()));
    return output.pass(
        "PASS  " + file + " verified and extracted to " + to + "\n"
            + Describe.pkgText(v.manifest()) + "\n" + Describe.signerText(v.signer()),
        details);
  }
}
