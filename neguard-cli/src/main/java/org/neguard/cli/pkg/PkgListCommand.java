package org.neguard.cli.pkg;

import java.util.List;
import java.util.Map;
import org.neguard.api.pkg.PackageInfo;
import org.neguard.cli.support.ClientCommand;
import picocli.CommandLine.Command;

/** {@code neguard pkg list}: the packages stored on the OAM server. */
@Command(name = "list", mixinStandardHelpOptions = true,
    description = "List the packages stored on the OAM server (any role).")
final class PkgListCommand extends ClientCommand {
  @Override
  public Integer call() throws Exception {
    List<PackageInfo> list = server().packages();
    StringBuilder text = new StringBuilder(String.format("%-24s %-12s %-6s %-16s %s", "NAME",
        "VERSION", "SECV", "UPLOADED BY", "SIGNER"));
    for (PackageInfo p : list) {
      text.append('\n').append(String.format("%-24s %-12s %-6s %-16s %s", p.name(),
          p.version(), p.securityVersion(), p.uploadedBy(), p.signerSubject()));
    }
    return output().done(text.toString(), Map.of("packages", wire(list)));
  }
}
