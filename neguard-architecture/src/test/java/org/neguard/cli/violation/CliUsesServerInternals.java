package org.neguard.cli.violation;

import org.neguard.server.access.Allowed;

/** A deliberate violation: the CLI reaching past the server's launcher into its authorization. */
public final class CliUsesServerInternals {
  private CliUsesServerInternals() {}

  static String name(Allowed allowed) {
    return allowed.toString();
  }
}
