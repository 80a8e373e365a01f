package org.neguard.cli.pkg;

import java.util.List;
import java.util.Map;
import org.neguard.api.pkg.HeldPackage;
import org.neguard.api.pkg.PackageFinding;
import org.neguard.cli.support.ClientCommand;
import picocli.CommandLine.Command;

/** {@code neguard pkg held}: packages the OAM server holds for known vulnerabilities. */
@Command(name = "held", mixinStandardHelpOptions = true,
    description = "List the packages the OAM server's publication gate holds for known"
        + " vulnerabilities, with their findings (any role).")
final class PkgHeldCommand extends ClientCommand {
  @Override
  public Integer call() throws Exception {
    List<HeldPackage> list = server().heldPackages();
    StringBuilder text = new StringBuilder(list.isEmpty() ? "no package is held" : "");
    for (HeldPackage h : list) {
      if (!text.isEmpty()) {
        text.append('\n');
      }
      text.append(String.format("HELD  %s %s  (uploaded by %s; %d VEX document(s); findings"
          + " at or above %s hold it)", h.name(), h.version(), h.uploadedBy(), h.vexDocuments(),
          h.failOn()));
      for (PackageFinding f : h.findings()) {
        text.append(String.format("%n  %-4s %-24s %-8s %s%s", f.failing() ? "FAIL" : "ok",
            f.advisoryId(), f.severity(), f.component(), f.vex() == null ? ""
                : "  VEX " + f.vex().status()));
      }
    }
    return output().done(text.toString(), Map.of("held", wire(list)));
  }
}
