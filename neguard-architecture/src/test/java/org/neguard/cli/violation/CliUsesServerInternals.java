package org.neguard.cli.violation;

import org.neguard.server.auth.Role;

/** A deliberate violation: the CLI reaching past the server's launcher into its accounts. */
public final class CliUsesServerInternals {
  private CliUsesServerInternals() {}

  static String name(Role role) {
    return role.name();
  }
}
