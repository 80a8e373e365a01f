package org.neguard.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Tests that need a real outside program (openssl, later clamd, nmap...) ask for it here. In CI
 * ({@code CI=true}) a missing program fails the test; on a developer's machine it skips it.
 */
public final class RequiredProgram {
  private RequiredProgram() {}

  /** The program's path on PATH; fails in CI, skips elsewhere, when it is missing. */
  public static Path require(String name) {
    String path = System.getenv("PATH");
    if (path != null) {
      for (String dir : path.split(File.pathSeparator)) {
        Path candidate = Path.of(dir, name);
        if (Files.isExecutable(candidate)) {
          return candidate;
        }
      }
    }
    String message = "required program '" + name + "' is not on PATH; .ci/run installs it";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new AssertionError(message);
    }
    Assumptions.abort(message);
    throw new AssertionError("unreachable");
  }
}
