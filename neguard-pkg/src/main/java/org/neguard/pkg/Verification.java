package org.neguard.pkg;

import java.nio.file.Path;
import java.util.Objects;
import org.neguard.sign.SignerDetails;

/**
 * A bundle that passed every check: its signer is trusted and every byte it carries is the one
 * the signed manifest lists.
 *
 * @param bundle the verified file
 * @param manifest its manifest
 * @param signer who signed it
 */
public record Verification(Path bundle, Manifest manifest, SignerDetails signer) {
  public Verification {
    Objects.requireNonNull(bundle, "bundle");
    Objects.requireNonNull(manifest, "manifest");
    Objects.requireNonNull(signer, "signer");
  }
}
