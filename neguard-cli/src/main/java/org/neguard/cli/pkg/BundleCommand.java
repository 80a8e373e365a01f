package org.neguard.cli.pkg;

import java.nio.file.Path;
import org.neguard.cli.support.CommandBase;
import picocli.CommandLine.Parameters;

/** A command about one local bundle, named first on its command line and in its FAIL line. */
abstract class BundleCommand extends CommandBase {
  @Parameters(index = "0", paramLabel = "FILE", description = "The bundle (.ngp).")
  Path file;

  @Override
  public final Object target() {
    return file;
  }
}
