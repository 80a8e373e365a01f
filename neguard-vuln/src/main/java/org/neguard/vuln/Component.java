package org.neguard.vuln;

import java.util.Objects;
import java.util.Optional;

/**
 * One piece of software to assess: an installed OS package, a library a bundle carries, a
 * product a remote scan identified.
 *
 * @param ecosystem the OSV ecosystem its advisories use ({@code Debian:12}, {@code Maven},
 *     {@code npm}, {@code PyPI}, {@code Go}...), or {@code CPE} for a product known only by its
 *     CPE
 * @param name the name in that ecosystem (for Debian the binary package; Maven
 *     {@code group:artifact}; npm with its scope)
 * @param version the version, in the ecosystem's syntax
 * @param purl its package URL ({@code pkg:deb/debian/inetutils-telnetd@2:2.4-2+deb12u3?...})
 * @param source the source package and version advisories name, when it differs (Debian: dpkg's
 *     {@code Source} field)
 * @param cpe its CPE 2.3 name, when known (remote service identification, an SBOM)
 */
public record Component(String ecosystem, String name, String version, String purl,
    Optional<Source> source, Optional<String> cpe) {
  public Component {
    Objects.requireNonNull(ecosystem, "ecosystem");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(purl, "purl");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(cpe, "cpe");
  }

  /** The source package a binary one was built from. */
  public record Source(String name, String version) {
    public Source {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(version, "version");
    }
  }

  /** An installed Debian package of {@code release} ({@code Debian:12}). */
  public static Component ofDpkg(DpkgPackage p, String release) {
    String distro = release.startsWith("Debian:") ? "debian-" + release.substring(7) : release;
    String purl = "pkg:deb/debian/" + p.name() + "@" + enc(p.version().toString()) + "?arch="
        + p.architecture() + "&distro=" + distro;
    return new Component(release, p.name(), p.version().toString(), purl,
        Optional.of(new Source(p.source(), p.sourceVersion().toString())), Optional.empty());
  }

  /** The name and version advisories match: the source's for a Debian binary package. */
  public String matchName() {
    return source.map(Source::name).orElse(name);
  }

  public String matchVersion() {
    return source.map(Source::version).orElse(version);
  }

  private static String enc(String v) {
    return v.replace("%", "%25").replace(":", "%3A").replace("+", "%2B");
  }
}
