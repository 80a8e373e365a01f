package org.neguard.cli.pkg;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.neguard.cli.support.AnchorFileConverter;
import org.neguard.sign.TrustStore;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine.Option;

/** {@code --trust} and {@code --crl}, shared by every command that verifies. */
final class TrustOptions {
  @Option(
      names = "--trust",
      required = true,
      paramLabel = "[VENDOR=]CA.pem|DIR",
      converter = AnchorFileConverter.class,
      description = "Trust anchor certificates: a PEM bundle or a directory of them. Repeatable."
          + AnchorFileConverter.HELP)
  List<TrustStore.AnchorFile> trust = new ArrayList<>();

  @Option(
      names = "--crl",
      paramLabel = "CRL.pem",
      description = "Certificate revocation lists (PEM or DER). Repeatable. When given, every"
          + " certificate on the signer's path must be covered by a current CRL of its issuer.")
  List<Path> crls = new ArrayList<>();

  TrustStore load() throws IOException, RefusalException {
    return TrustStore.loadBound(trust, crls);
  }
}
