package org.neguard.cli.pkg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.neguard.cli.support.ForceOption;
import org.neguard.cli.support.OutputFiles;
import org.neguard.verdict.RefusalException;

/** Where {@code pkg scan} and {@code pkg sign} write the bundle they change. */
final class Bundles {
  private Bundles() {}

  /**
   * {@code --out}, refused when it is another existing file and {@code --force} is not given;
   * without {@code --out}, the bundle itself: changing it in place is what was asked for. Either
   * way the bundle is written atomically.
   */
  static Path outputOf(Path bundle, Path out, ForceOption force)
      throws IOException, RefusalException {
    if (out == null) {
      return bundle;
    }
    boolean inPlace = Files.exists(out) && Files.exists(bundle) && Files.isSameFile(bundle, out);
    if (!inPlace) {
      OutputFiles.check(out, force.force);
    }
    return out;
  }
}
