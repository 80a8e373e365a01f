package org.neguard.cli.pkg;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import org.neguard.api.pkg.PackageInfo;
import org.neguard.cli.support.ClientCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code neguard pkg upload}: publish a bundle to the OAM server, which verifies it (SRC-2). */
@Command(
    name = "upload",
    mixinStandardHelpOptions = true,
    description = {
      "Upload a signed bundle to the OAM server (publisher role).",
      "The server verifies it in full against its own trust anchors before storing it; a "
          + "refusal (exit 3) carries the same reasons as 'pkg verify'. The same name and version "
          + "with other content is refused."
    })
final class PkgUploadCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "FILE", description = "The bundle (.ngp).")
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
    PackageInfo p = server().uploadPackage(file);
    return output().pass("STORED  " + p.name() + " " + p.version()
        + "  (verified by the server; signer " + p.signerSubject() + "; manifest sha256 "
        + p.manifestSha256() + ")", Map.of("package", wire(p)));
  }
}
