package org.neguard.api.device;

/**
 * One installed OS package as the agent read it (issue 16, docs/VULNERABILITIES.md "What an NE
 * runs"): raw strings, parsed and validated on the server, so the agent carries no version
 * rules (its memory is tight).
 *
 * @param name the binary package ({@code inetutils-telnetd}; rpm: {@code %{NAME}})
 * @param version its version ({@code 2:2.4-2+deb12u3}; rpm: {@code [E:]V-R})
 * @param arch its architecture ({@code amd64}, {@code all})
 * @param source the source package advisories name (dpkg's {@code Source}; the binary's own name
 *     when dpkg names none)
 * @param sourceVersion the source's version (the binary's when dpkg gives none)
 */
public record OsPackage(String name, String version, String arch, String source,
    String sourceVersion) {

  /** The line this package contributes to {@link PackageReport#digestOf}. */
  String line() {
    return name + "\t" + version + "\t" + arch + "\t" + source + "\t" + sourceVersion + "\n";
  }
}
