package org.neguard.vuln;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A Debian binary package installed on a host, with the source package it was built from:
 * advisories name source packages ({@code inetutils}), dpkg lists binary ones
 * ({@code inetutils-telnetd}).
 *
 * @param name the binary package
 * @param architecture {@code amd64}, {@code all}, ...
 * @param version the binary package's version
 * @param source the source package (the binary's own name when dpkg names none)
 * @param sourceVersion the source's version (the binary's when dpkg gives none)
 */
public record DpkgPackage(String name, String architecture, DebianVersion version,
    String source, DebianVersion sourceVersion) {
  /** Debian policy 5.6.1 and 5.6.7: lower case, digits, + - . ; two characters at least. */
  static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9+.-]{1,127}");

  public DpkgPackage {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(sourceVersion, "sourceVersion");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("not a Debian package name: " + name);
    }
    if (!NAME.matcher(source).matches()) {
      throw new IllegalArgumentException("not a Debian source package name: " + source);
    }
    if (!architecture.matches("[a-z0-9-]{1,32}")) {
      throw new IllegalArgumentException("not a Debian architecture: " + architecture);
    }
  }
}
