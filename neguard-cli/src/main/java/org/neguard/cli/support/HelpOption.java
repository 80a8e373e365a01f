package org.neguard.cli.support;

import picocli.CommandLine.Option;

/** {@code -h/--help} alone, for commands that have a {@code --version} option of their own. */
public final class HelpOption {
  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
  boolean help;
}
