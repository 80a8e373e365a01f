package org.neguard.cli;

import picocli.CommandLine.Option;

/** {@code -h/--help} alone, for commands that have a {@code --version} option of their own. */
final class HelpOption {
  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
  boolean help;
}
