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

  /**
   * An installed rpm package of {@code release} ({@code AlmaLinux:9}; a RHEL host's {@code
   * Red Hat:9.4}, {@link RedHatStreams}), as {@code rpm -qa}
   * names it. rpm's {@code SOURCERPM} carries no epoch: the source's is the binary's (one spec
   * builds both; Trivy reads it the same way).
   *
   * @param version {@code [E:]V-R}
   * @param sourceVersion the source rpm's {@code V-R}, or {@code E:V-R}
   * @throws IllegalArgumentException naming the version that rpm would not build
   */
  public static Component ofRpm(String name, String version, String arch, String source,
      String sourceVersion, String release) {
    RpmVersion v = RpmVersion.parse(version);
    RpmVersion s = RpmVersion.parse(sourceVersion);
    if (!s.hasEpoch()) {
      s = new RpmVersion(v.epoch(), v.hasEpoch(), s.version(), s.release());
    }
    String base = release.contains(":") ? release.substring(0, release.indexOf(':')) : release;
    java.util.TreeMap<String, String> q = new java.util.TreeMap<>();
    q.put("arch", arch);
    // Red Hat's package URLs are pkg:rpm/redhat/NAME (its CSAF and OSV records), a RHEL
    // host's release Red Hat:9.4 its distro rhel-9.4
    boolean redHat = base.equals(RedHatStreams.FAMILY);
    q.put("distro", redHat ? "rhel-" + release.substring(release.indexOf(':') + 1)
        .replace(':', '-') : release.toLowerCase(java.util.Locale.ROOT).replace(' ', '-')
        .replace(':', '-'));
    if (v.epoch() != 0) {
      q.put("epoch", Long.toString(v.epoch()));
    }
    String purl;
    try {
      purl = new com.github.packageurl.PackageURL("rpm", redHat ? "redhat"
          : base.toLowerCase(java.util.Locale.ROOT).replace(' ', '-'), name, v.version() + (v.release().isEmpty() ? "" : "-"
          + v.release()), q, null).canonicalize();
    } catch (com.github.packageurl.MalformedPackageURLException e) {
      throw new IllegalArgumentException("rpm package " + name + " " + version
          + " has no package URL: " + e.getMessage());
    }
    return new Component(release, name, v.toString(), purl,
        Optional.of(new Source(source, s.toString())), Optional.empty());
  }

  /** Debian code names as package URLs' {@code distro} qualifier may give them. */
  private static final java.util.Map<String, String> DEBIAN_CODENAMES = java.util.Map.of(
      "buster", "10", "bullseye", "11", "bookworm", "12", "trixie", "13", "forky", "14");

  /**
   * The component a package URL names (purl-spec; parsed by packageurl-java): {@code deb}
   * (ecosystem {@code Debian:RELEASE} from the {@code distro} qualifier, {@code debian-12} or
   * {@code bookworm}; the source package from the {@code upstream} qualifier, {@code NAME} or
   * {@code NAME@VERSION}), {@code maven} ({@code group:artifact}), {@code npm} (with its scope),
   * {@code pypi}, {@code golang}, {@code cargo}, and the other types under their OSV ecosystem
   * names. A Debian package without a release keeps ecosystem {@code Debian}: advisories are
   * per release, so it is reported not assessed rather than matched against none.
   *
   * @throws IllegalArgumentException naming the purl when it is not one or has no version
   */
  public static Component ofPurl(String purl) {
    com.github.packageurl.PackageURL p;
    try {
      p = new com.github.packageurl.PackageURL(purl);
    } catch (com.github.packageurl.MalformedPackageURLException e) {
      throw new IllegalArgumentException("not a package URL: " + purl + " (" + e.getMessage()
          + ")");
    }
    if (p.getVersion() == null || p.getVersion().isEmpty()) {
      throw new IllegalArgumentException("package URL without a version, which cannot be"
          + " assessed: " + purl);
    }
    String ns = p.getNamespace();
    java.util.Map<String, String> q = p.getQualifiers() == null ? java.util.Map.of()
        : p.getQualifiers();
    String name = p.getName();
    String version = p.getVersion();
    Optional<Source> source = Optional.empty();
    String ecosystem;
    switch (p.getType()) {
      case "deb" -> {
        ecosystem = debianRelease(ns, q.get("distro"));
        try {
          DebianVersion.parse(version);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("package URL " + purl + ": " + e.getMessage());
        }
        String upstream = q.get("upstream");
        if (upstream != null && !upstream.isEmpty()) {
          int at = upstream.indexOf('@');
          // without a source version, the binary's, less a binNMU suffix (+b1), is the source's
          String sv = at >= 0 ? upstream.substring(at + 1) : version.replaceFirst("\\+b\\d+$",
              "");
          source = Optional.of(new Source(at >= 0 ? upstream.substring(0, at) : upstream, sv));
        }
      }
      case "maven" -> {
        if (ns == null) {
          throw new IllegalArgumentException("Maven package URL without a group: " + purl);
        }
        ecosystem = "Maven";
        name = ns + ":" + name;
      }
      case "npm" -> {
        ecosystem = "npm";
        name = ns == null ? name : ns + "/" + name;
      }
      case "golang" -> {
        ecosystem = "Go";
        name = ns == null ? name : ns + "/" + name;
      }
      case "pypi" -> ecosystem = "PyPI";
      case "cargo" -> ecosystem = "crates.io";
      case "gem" -> ecosystem = "RubyGems";
      case "nuget" -> ecosystem = "NuGet";
      case "composer" -> {
        ecosystem = "Packagist";
        name = ns == null ? name : ns + "/" + name;
      }
      default -> ecosystem = "purl:" + p.getType();
    }
    return new Component(ecosystem, name, version, p.canonicalize(), source, Optional.empty());
  }

  private static String debianRelease(String namespace, String distro) {
    String base = "ubuntu".equals(namespace) ? "Ubuntu" : "Debian";
    if (distro == null || !base.equals("Debian")) {
      return base;
    }
    String d = distro.toLowerCase(java.util.Locale.ROOT);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("debian-(\\d+)(\\.\\d+)*")
        .matcher(d);
    if (m.matches()) {
      return "Debian:" + m.group(1);
    }
    return DEBIAN_CODENAMES.containsKey(d) ? "Debian:" + DEBIAN_CODENAMES.get(d) : base;
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
