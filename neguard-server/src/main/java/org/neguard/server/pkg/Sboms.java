package org.neguard.server.pkg;

import java.io.IOException;
import java.util.Optional;
import org.neguard.pkg.BundleReader;
import org.neguard.verdict.RefusalException;

/** The SBOM a bundle carries (issue 16, bundle format 2), read through the bundle reader. */
final class Sboms {
  /** Where a bundle carries it. */
  static final String PATH = org.neguard.pkg.BundleLayout.SBOM;

  private Sboms() {}

  /** The SBOM the manifest lists, checked against the manifest; empty when none. */
  static Optional<byte[]> read(BundleReader reader) throws IOException, RefusalException {
    return reader.readSbom();
  }
}
