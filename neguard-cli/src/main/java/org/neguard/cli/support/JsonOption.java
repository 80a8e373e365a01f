package org.neguard.cli.support;

import picocli.CommandLine.Option;

/** {@code --json}: one JSON object on standard output instead of text. */
public final class JsonOption {
  @Option(names = "--json", description = "Print one JSON object (verdict, reasons, details).")
  public boolean json;
}
