package org.neguard.pkg;

import java.io.IOException;
import org.neguard.verdict.RefusalException;

/**
 * A further check on a bundle whose contents already match its manifest: the publication gate
 * on its scan reports, for instance. {@link BundleSigner} runs it before signing and {@link
 * BundleVerifier} after the signature and digests have been checked, on the same open bundle.
 */
@FunctionalInterface
public interface BundleCheck {
  /** Accepts everything; for tests of the bundle format alone. */
  BundleCheck NONE = reader -> {};

  /**
   * @param reader the open bundle; its manifest has been decoded and its listed entries hashed
   * @throws RefusalException when the bundle must be refused
   */
  void check(BundleReader reader) throws IOException, RefusalException;
}
