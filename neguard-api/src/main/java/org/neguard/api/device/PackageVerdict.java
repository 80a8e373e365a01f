package org.neguard.api.device;

import java.util.List;

/**
 * The server's answer to a {@link PackageReport}.
 *
 * @param state {@code ASSESSED}, {@code STALE_DATABASE} (assessed against a database older
 *     than the server's policy allows: findings may be missing), {@code NO_DATABASE} (stored, not
 *     assessed: the server has no vulnerability database), {@code NOT_ASSESSED} (stored: no
 *     advisories for this package format or release), or {@link #PACKAGES_NEEDED} (the server
 *     does not hold the list of the report's digest: send it)
 * @param digest the digest of the package list the server now holds for the device
 * @param findings how many findings the assessment has
 * @param reachable how many of them are reachable through a listening socket
 * @param messages what the server says, each with what to do
 */
public record PackageVerdict(String state, String digest, int findings, int reachable,
    List<String> messages) {
  public static final String ASSESSED = "ASSESSED";
  public static final String STALE_DATABASE = "STALE_DATABASE";
  public static final String NO_DATABASE = "NO_DATABASE";
  public static final String NOT_ASSESSED = "NOT_ASSESSED";
  public static final String PACKAGES_NEEDED = "PACKAGES_NEEDED";

  public PackageVerdict {
    messages = messages == null ? List.of() : List.copyOf(messages);
  }
}
