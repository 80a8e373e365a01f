package org.neguard.cli;

import picocli.CommandLine.Option;

/** {@code --json}: one JSON object on standard output instead of text. */
final class JsonOption {
  @Option(names = "--json", description = "Print one JSON object (verdict, reasons, details).")
  boolean json;
}
