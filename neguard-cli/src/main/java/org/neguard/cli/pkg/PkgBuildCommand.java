package org.neguard.cli.pkg;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
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
import org.neguard.cli.support.Version;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.neguard.vuln.CycloneDx;
import org.neguard.vuln.SbomGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code neguard pkg build}. */
@Command(
    name = "build",
    description = {
      "Build an unsigned package bundle from a directory: every regular file below --from "
          + "becomes a payload file, listed in the manifest with its size, mode and SHA-256.",
      "With --sbom FILE (a CycloneDX 1.4-1.6 JSON SBOM, checked strictly) or --sbom-generate"
          + " (from the payload: a root filesystem's var/lib/dpkg/status, Java archives' Maven"
          + " metadata, npm package-lock.json), the bundle carries the SBOM as"
          + " neguard/sbom.cdx.json, listed in the manifest the vendor signs; such a bundle is"
          + " format neguard-package/2, which NE agents from before issue 16 refuse"
          + " (docs/AGENT.md).",
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

  @Option(names = "--sbom", paramLabel = "FILE",
      description = "A CycloneDX 1.4-1.6 JSON SBOM of the payload, carried in the bundle.")
  Path sbom;

  @Option(names = "--sbom-generate",
      description = "Generate the SBOM from the payload and carry it in the bundle.")
  boolean sbomGenerate;

  @Mixin ForceOption force;

  @Override
  public Integer call() throws Exception {
    if (securityVersion < 0) {
      throw usage("--security-version < 0: " + securityVersion);
    }
    if (sbom != null && sbomGenerate) {
      throw usage("--sbom and --sbom-generate exclude each other: give the vendor's SBOM or"
          + " have one generated");
    }
    OutputFiles.check(out, force.force);
    Output output = output();
    Instant createdAt = createdTime();
    byte[] sbomBytes = null;
    CycloneDx.Sbom sbomRead = null;
    List<String> notes = List.of();
    if (sbom != null) {
      sbomBytes = readSbom(sbom);
      // Validated before it is signed in: a bundle must not carry an SBOM no reader accepts.
      sbomRead = CycloneDx.read(sbomBytes, sbom.toString());
    } else if (sbomGenerate) {
      SbomGenerator.Result found = SbomGenerator.scan(from, SbomGenerator.Limits.defaults());
      sbomBytes = CycloneDx.write(new CycloneDx.Subject(name, Optional.of(version)),
          new CycloneDx.Tool("NEGuard", "neguard", Version.number()), createdAt,
          found.components());
      sbomRead = CycloneDx.read(sbomBytes, "the generated SBOM");
      notes = found.notes();
    }
    Manifest m;
    try (TerminalProgress progress = TerminalProgress.bytes(output, "building (read + write)")) {
      BundleBuilder.Builder builder = BundleBuilder.builder();
      if (sbomBytes != null) {
        builder.sbom(sbomBytes);
      }
      m = builder
            .name(name)
            .version(version)
            .securityVersion(securityVersion)
            .neType(neType)
            .vendor(vendor)
            .created(createdAt)
            .progress(progress)
            .build()
            .build(from, out);
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("bundle", out.toString());
    details.put("signed", false);
    details.put("package", Describe.pkg(m, false));
    String sbomText = "";
    if (sbomRead != null) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("source", sbom != null ? sbom.toString() : "generated");
      s.put("specVersion", sbomRead.specVersion());
      s.put("components", sbomRead.components().size());
      s.put("unidentified", sbomRead.unidentified().size());
      s.put("notes", notes);
      details.put("sbom", s);
      sbomText = "\n  SBOM from  " + (sbom != null ? sbom : "the payload (generated)") + ": "
          + sbomRead.components().size() + " components with package URLs"
          + (sbomRead.unidentified().isEmpty() ? ""
              : ", " + sbomRead.unidentified().size() + " without (not assessable)")
          + notes.stream().map(n -> "\n  note       " + n).reduce("", String::concat);
    }
    return output.done(
        "built " + out + " (unsigned)\n" + Describe.pkgText(m) + sbomText
            + "\nnext: neguard pkg sign " + out + " --key KEY.pem --cert CERT.pem",
        details);
  }

  /** The file's bytes, its size checked before they are read. */
  private static byte[] readSbom(Path file) throws java.io.IOException, RefusalException {
    long size = Files.size(file);
    if (size > CycloneDx.MAX_BYTES) {
      throw RefusalException.about(ReasonCode.SIZE_LIMIT, file.toString(), "--sbom " + file
          + " is " + size + " bytes, more than the limit of " + CycloneDx.MAX_BYTES);
    }
    try (java.io.InputStream in = Files.newInputStream(file)) {
      byte[] bytes = in.readNBytes(CycloneDx.MAX_BYTES + 1);
      if (bytes.length > CycloneDx.MAX_BYTES) {
        throw RefusalException.about(ReasonCode.SIZE_LIMIT, file.toString(), "--sbom " + file
            + " grew past the limit of " + CycloneDx.MAX_BYTES + " bytes while being read");
      }
      return bytes;
    }
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
