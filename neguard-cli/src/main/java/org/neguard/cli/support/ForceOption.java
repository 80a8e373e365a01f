package org.neguard.cli.support;

import picocli.CommandLine.Option;

/** {@code --force}: the one switch that lets a command replace an existing output file. */
public final class ForceOption {
  @Option(names = "--force",
      description = "Replace an existing output file (without it, an existing file is refused).")
  public boolean force;
}
