package org.neguard.cli.pkg;

import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.neguard.cli.support.CommandBase;
import org.neguard.cli.support.ForceOption;
import org.neguard.cli.support.HelpOption;
import org.neguard.cli.support.Output;
import org.neguard.cli.support.OutputFiles;
import org.neguard.cli.support.TerminalProgress;
import org.neguard.pkg.BundleBuilder;
import org.neguard.pkg.Manifest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code neguard pkg build}. */
@Command(
    name = "build",
    description = {
      "Build an unsigned package bundle from a directory: every regular file below --from "
          + "becomes a payload file, listed in the manifest with its size, mode and SHA-256.",
      "Sign it next with 'neguard pkg sign'."
    })
final class PkgBuildCommand extends CommandBase {
  @Mixin HelpOption help;

  @Option(names = "--name", required = true, description = "Package name, [A-Za-z0-9._+-].")
  String name;

  @Option(names = "--version", required = true, description = "Package version, [A-Za-z0-9._+-].")
  String version;

  @Option(
      names = "--security-version",
      required = true,
      paramLabel = "K",
      description = "Anti-rollback counter (integer >= 0): an NE refuses a lower one than it runs.")
  long securityVersion;

  @Option(names = "--ne-type", required = true, paramLabel = "TYPE",
      description = "Network element type the package is for, e.g. mme, henb.")
  String neType;

  @Option(names = "--vendor", required = true, description = "Vendor name recorded in the manifest.")
  String vendor;

  @Option(names = "--from", required = true, paramLabel = "DIR", description = "Directory to package.")
  Path from;

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "Bundle to write (.ngp).")
  Path out;

  @Option(
      names = "--created",
      paramLabel = "TIME",
      description = "Creation time (ISO-8601, e.g. 2026-01-01T00:00:00Z) for reproducible builds;"
          + " default: SOURCE_DATE_EPOCH if set, else now.")
  String created;

  @Mixin ForceOption force;

  @Override
  public Integer call() throws Exception {
    if (securityVersion < 0) {
      throw usage("--security-version < 0: " + securityVersion);
    }
    OutputFiles.check(out, force.force);
    Output output = output();
    Manifest m;
    try (TerminalProgress progress = TerminalProgress.bytes(output, "building (read + write)")) {
      m = BundleBuilder.builder()
            .name(name)
            .version(version)
            .securityVersion(securityVersion)
            .neType(neType)
            .vendor(vendor)
            .created(createdTime())
            .progress(progress)
            .build()
            .build(from, out);
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("bundle", out.toString());
    details.put("signed", false);
    details.put("package", Describe.pkg(m, false));
    return output.done(
        "built " + out + " (unsigned)\n" + Describe.pkgText(m)
            + "\nnext: neguard pkg sign " + out + " --key KEY.pem --cert CERT.pem",
        details);
  }

  private Instant createdTime() {
    try {
      if (created != null) {
        return Instant.parse(created);
      }
      String epoch = System.getenv("SOURCE_DATE_EPOCH");
      if (epoch != null && !epoch.isBlank()) {
        return Instant.ofEpochSecond(Long.parseLong(epoch.trim()));
      }
      return Instant.now();
    } catch (RuntimeException e) {
      throw usage("--created or SOURCE_DATE_EPOCH is not a time: " + (created != null ? created
              : System.getenv("SOURCE_DATE_EPOCH")));
    }
  }
}
