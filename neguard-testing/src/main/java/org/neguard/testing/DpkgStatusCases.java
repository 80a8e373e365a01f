package org.neguard.testing;

import java.util.List;

/**
 * dpkg status files whose reading is ambiguous (issue 16): the same bytes fed to the agent's
 * inventory and to the CLI's {@code vuln.DpkgStatus}, which must both refuse them with the same
 * reason, and one well-formed file (multi-line values included) which both must read.
 */
public final class DpkgStatusCases {
  private DpkgStatusCases() {}

  /**
   * A status file and what the refusal says.
   *
   * @param name what is wrong, for the test's output
   * @param status the file's text
   * @param refusal a part of the refusal's message both readers give
   */
  public record Ambiguous(String name, String status, String refusal) {
    @Override
    public String toString() {
      return name;
    }
  }

  /** An installed package of the well-formed file, with a multi-line Description. */
  public static final String WELL_FORMED = "Package: bash\n"
      + "Status: install ok installed\n"
      + "Architecture: amd64\n"
      + "Source: bash (5.2.15-2)\n"
      + "Version: 5.2.15-2+b7\n"
      + "Description: GNU Bourne Again SHell\n"
      + " Bash is an sh-compatible command language interpreter.\n"
      + " .\n"
      + " It is the default shell.\n"
      + "\n"
      + "Package: dpkg\n"
      + "Status: install ok installed\n"
      + "Architecture: amd64\n"
      + "Version: 1.21.22\n"
      + "Conffiles:\n"
      + " /etc/dpkg/dpkg.cfg f4413ffb515f8f753624ae3bb365b81b\n";

  private static String installed(String extra) {
    return "Package: dpkg\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.21.22\n"
        + "\n" + extra;
  }

  /** The ambiguous files, each after a well-formed paragraph (nothing else is wrong). */
  public static final List<Ambiguous> AMBIGUOUS = List.of(
      // which one dpkg meant is unknowable: the agent dropped the package, the CLI refused
      new Ambiguous("Status twice", installed("Package: openssl\n"
          + "Status: install ok installed\nStatus: deinstall ok config-files\n"
          + "Architecture: amd64\nVersion: 3.0.15-1~deb12u1\n"),
          "field Status twice in one paragraph"),
      new Ambiguous("Package twice", installed("Package: openssl\nPackage: libssl3\n"
          + "Status: install ok installed\nArchitecture: amd64\nVersion: 3.0.15-1~deb12u1\n"),
          "field Package twice in one paragraph"),
      new Ambiguous("Version twice", installed("Package: openssl\n"
          + "Status: install ok installed\nArchitecture: amd64\nVersion: 3.0.15-1~deb12u1\n"
          + "Version: 3.0.11-1~deb12u2\n"), "field Version twice in one paragraph"),
      new Ambiguous("Source twice", installed("Package: libssl3\n"
          + "Status: install ok installed\nArchitecture: amd64\nSource: openssl\n"
          + "Source: openssl (3.0.11-1~deb12u2)\nVersion: 3.0.15-1~deb12u1\n"),
          "field Source twice in one paragraph"),
      new Ambiguous("field names differing only in case", installed("Package: openssl\n"
          + "Status: install ok installed\nArchitecture: amd64\nVersion: 3.0.15-1~deb12u1\n"
          + "version: 3.0.11-1~deb12u2\n"), "field version twice in one paragraph"),
      // a continuation of nothing: the paragraph before ended, so whose value is it?
      new Ambiguous("continuation line opening a paragraph", installed(
          " Version: 3.0.11-1~deb12u2\nPackage: openssl\nStatus: install ok installed\n"
          + "Architecture: amd64\nVersion: 3.0.15-1~deb12u1\n"),
          "a continuation line with no field before it"),
      new Ambiguous("a line that is no field", installed("Package: openssl\n"
          + "Status: install ok installed\nArchitecture: amd64\nVersion 3.0.15-1~deb12u1\n"),
          "not a 'Field: value' line"),
      // a carriage return is no line end to dpkg, but was one to the agent's readLine: two
      // Status lines to the agent, one Status with a CR inside to the CLI
      new Ambiguous("a lone carriage return inside a field", installed("Package: openssl\n"
          + "Status: install ok installed\rStatus: deinstall ok config-files\n"
          + "Architecture: amd64\nVersion: 3.0.15-1~deb12u1\n"), "not a 'Field: value' line"),
      // a Source dpkg never writes: the agent's own parsing read a name ("openssl ", the whole
      // line) where the CLI refused, so one reported a source the other never assessed
      source("Source with two spaces before the version", "openssl  (3.0.15-1~deb12u1)"),
      source("Source without the closing parenthesis", "openssl (3.0.15-1~deb12u1"),
      source("Source with an empty version", "openssl ()"),
      source("Source with a tab before the version", "openssl\t(3.0.15-1~deb12u1)"),
      source("Source with text after the version", "openssl (3.0.15-1~deb12u1) extra"));

  private static Ambiguous source(String name, String source) {
    return new Ambiguous(name, installed("Package: libssl3\nStatus: install ok installed\n"
        + "Architecture: amd64\nSource: " + source + "\nVersion: 3.0.15-1~deb12u1\n"),
        "Source is not 'name [(version)]': " + source);
  }
}
