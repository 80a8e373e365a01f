package org.neguard.cli.support;

import picocli.CommandLine;

/** The version from the jar's manifest ({@code neguard --version}, reports, evidence). */
public final class Version implements CommandLine.IVersionProvider {
  @Override
  public String[] getVersion() {
    return new String[] {text()};
  }

  /** "neguard 1.2.3", or "neguard (development build)" outside a jar. */
  public static String text() {
    return "neguard " + number();
  }

  /** "1.2.3", or "(development build)" outside a jar. */
  public static String number() {
    String v = Version.class.getPackage().getImplementationVersion();
    return v == null ? "(development build)" : v;
  }
}
