package org.neguard.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.neguard.pkg.BundleBuilder;
import org.neguard.pkg.Manifest;
import org.neguard.progress.ProgressListener;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine;
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
final class PkgBuildCommand implements Callable<Integer>, Output.JsonCapable {
  @Mixin HelpOption help;
  @Mixin JsonOption jsonOption;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

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

  @Option(names = "--force", description = "Overwrite --out if it exists.")
  boolean force;

  @Override
  public boolean json() {
    return jsonOption.json;
  }

  @Override
  public Integer call() throws Exception {
    if (securityVersion < 0) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--security-version < 0: " + securityVersion);
    }
    if (Files.exists(out) && !force) {
      throw new RefusalException(
          ReasonCode.BAD_INPUT, out + " exists; pass --force to overwrite it");
    }
    Output output = Output.of(spec.commandLine());
    ProgressListener progress = TerminalProgress.of(output, "building (read + write)");
    Manifest m;
    try {
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
    } finally {
      TerminalProgress.finish(progress);
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
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--created or SOURCE_DATE_EPOCH is not a time: " + (created != null ? created
              : System.getenv("SOURCE_DATE_EPOCH")));
    }
  }
}
