package org.neguard.cli.pkg;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.neguard.api.pkg.HeldPackage;
import org.neguard.api.pkg.PackageFinding;
import org.neguard.cli.support.ClientCommand;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.vuln.VexReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code neguard pkg vex NAME VERSION --file VEX.json}: adds a VEX statement to a package the
 * server's publication gate holds for known vulnerabilities (issue 16).
 */
@Command(
    name = "vex",
    mixinStandardHelpOptions = true,
    description = {
      "Add a VEX document (CycloneDX VEX or OpenVEX JSON) to a package the OAM server holds for"
          + " known vulnerabilities (approver role); the server stores it, judges the package"
          + " again and publishes it when no finding at or above its threshold is left.",
      "A 'not affected' statement must say why (a justification or an impact statement); a"
          + " statement applies to a finding when it names the finding's vulnerability and the"
          + " component's exact package URL, or no product. Exit 0: published; 3: still held,"
          + " with the findings left; a document that applies to no finding is refused."
    })
final class PkgVexCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "NAME", description = "The package's name.")
  String name;

  @Parameters(index = "1", paramLabel = "VERSION", description = "The package's version.")
  String version;

  @Option(names = "--file", required = true, paramLabel = "VEX.json",
      description = "The VEX document.")
  Path file;

  @Override
  public Object target() {
    return file;
  }

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString());
    }
    // Read here first, by the same reader the server uses: a document it would refuse is
    // refused before it is sent, with the same message.
    try (InputStream in = Files.newInputStream(file)) {
      VexReader.read(in, file.getFileName().toString());
    }
    HeldPackage h = server().addVex(name, version, file);
    List<PackageFinding> failing = h.findings().stream().filter(PackageFinding::failing)
        .toList();
    if (h.published()) {
      return output().pass("PUBLISHED  " + h.name() + " " + h.version() + "  (VEX statement"
          + " added; no finding at or above " + h.failOn() + " is left that a VEX statement does"
          + " not suppress; " + h.findings().size() + " finding(s) in all)",
          Map.of("package", wire(h)));
    }
    List<Reason> reasons = failing.stream().map(f -> Reason.about(
        ReasonCode.KNOWN_VULNERABILITY, f.component(), f.advisoryId() + ", severity "
            + f.severity() + (f.vex() == null ? "" : ", VEX " + f.vex().status())))
        .toList();
    return output().failWithDetails("STILL HELD  " + h.name() + " " + h.version()
        + "  (VEX statement added; " + failing.size() + " finding(s) at or above " + h.failOn()
        + " left)", reasons.isEmpty() ? List.of(Reason.of(ReasonCode.KNOWN_VULNERABILITY,
            "still held")) : reasons, Map.of("package", wire(h)));
  }
}
