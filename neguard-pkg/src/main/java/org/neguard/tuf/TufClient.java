package org.neguard.tuf;

import java.nio.file.Path;
import java.util.Optional;
import org.neguard.verdict.RefusalException;

/** The TUF client workflow. */
public final class TufClient {
  private final ClientConfig config;

  public TufClient(ClientConfig config) {
    this.config = config;
  }

  public static void bootstrap(Path stateDir, byte[] rootJson) throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }

  public TrustedMetadata refresh() throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }

  public Optional<TargetFile> targetInfo(String name) throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }

  public Path download(TargetFile target, Path directory) throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }

  public TrustedMetadata trusted() throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }
}
