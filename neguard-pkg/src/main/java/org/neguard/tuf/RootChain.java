package org.neguard.tuf;

import org.neguard.verdict.RefusalException;

/** The checks of a first root and of one step of the root chain. */
public final class RootChain {
  private RootChain() {}

  public static RootMetadata checkFirst(Metadata root) throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }

  public static RootMetadata checkStep(RootMetadata trusted, Metadata next)
      throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }
}
