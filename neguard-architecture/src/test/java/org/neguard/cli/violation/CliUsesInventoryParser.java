package org.neguard.cli.violation;

import java.util.List;
import org.neguard.harden.inventory.ProcNetParser;

/** A deliberate violation: the CLI using a public class that harden keeps for its tests. */
public final class CliUsesInventoryParser {
  private CliUsesInventoryParser() {}

  static int count(String text) {
    return List.copyOf(ProcNetParser.parseSctpEndpoints(text)).size();
  }
}
