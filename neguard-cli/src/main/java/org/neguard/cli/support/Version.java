package org.neguard.cli.support;

import picocli.CommandLine;

/** The version from the jar's manifest ({@code neguard --version}, reports, evidence). */
public final class Version implements CommandLine.IVersionProvider {
  /**
   * The version, and the Java runtime running it: the launcher picks a JDK (a JDK 25 or newer
   * where one is present), and a bug report, or a test, can tell which one ran.
   */
  @Override
  public String[] getVersion() {
    return new String[] {text(), runtime()};
  }

  /** "Java 25.0.3+9-LTS (Eclipse Adoptium) in /usr/lib/jvm/temurin-25-jdk-amd64". */
  public static String runtime() {
    return "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ") in "
        + System.getProperty("java.home");
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
