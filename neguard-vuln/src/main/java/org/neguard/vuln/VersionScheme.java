package org.neguard.vuln;

import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;
import org.apache.maven.artifact.versioning.ComparableVersion;
import org.semver4j.Semver;

/**
 * How one ecosystem orders its versions. Versions are never compared as strings: {@code 1.10}
 * is above {@code 1.9} in every scheme here, and each scheme's own traps (Debian epochs and
 * {@code ~}, semver pre-releases, Maven qualifiers, PEP 440 dev/post releases) follow its
 * specification or its reference implementation.
 *
 * <p>An ecosystem with no scheme here is not matched at all: its components are reported as
 * "not assessed", never as clean.
 *
 * <p>Immutable and thread-safe.
 */
public enum VersionScheme {
  /** dpkg's order (deb-version(5)), {@link DebianVersion}: Debian and Ubuntu releases. */
  DEBIAN {
    @Override
    Comparable<?> key(String v) {
      return DebianVersion.parse(v);
    }
  },
  /**
   * Semantic Versioning 2.0.0 (semver4j, strict): npm, crates.io, Go modules (whose leading
   * {@code v} is dropped), OSV {@code SEMVER} ranges. {@code 1.0.0-alpha < 1.0.0-alpha.1 <
   * 1.0.0-beta < 1.0.0-rc.1 < 1.0.0}; build metadata is ignored.
   */
  SEMVER {
    @Override
    Comparable<?> key(String v) {
      String s = v.startsWith("v") ? v.substring(1) : v;
      Semver parsed = Semver.parse(s);
      if (parsed == null) {
        throw new IllegalArgumentException("not a semantic version: " + v);
      }
      return parsed;
    }
  },
  /**
   * Maven's own order ({@code ComparableVersion} of maven-artifact, what Maven resolves with):
   * {@code 1.0-alpha < 1.0-beta < 1.0-rc < 1.0-SNAPSHOT < 1.0 = 1.0.0 = 1.0-ga < 1.0-sp <
   * 1.0.1}. Maven accepts any string as a version, so only empty and overlong ones are refused.
   */
  MAVEN {
    @Override
    Comparable<?> key(String v) {
      if (v.isBlank()) {
        throw new IllegalArgumentException("empty Maven version");
      }
      return new ComparableVersion(v);
    }
  },
  /**
   * rpm's order ({@link RpmVersion}, rpm's own {@code rpmvercmp}): the rpm distributions whose
   * OSV ecosystems say their versions are rpm's (ossf/osv-schema {@code ecosystems.json}).
   */
  RPM {
    @Override
    Comparable<?> key(String v) {
      return RpmVersion.parse(v);
    }
  },
  /** PEP 440 ({@link Pep440Version}): PyPI. */
  PYPI {
    @Override
    Comparable<?> key(String v) {
      return Pep440Version.parse(v);
    }
  };

  /** Longer version strings are refused in every scheme (a version is not a document). */
  public static final int MAX_LENGTH = 256;

  abstract Comparable<?> key(String version);

  /**
   * The comparable form of {@code version}: compare two of them with {@link #order()}.
   *
   * @throws IllegalArgumentException naming the version when it is not one in this scheme
   */
  public Comparable<?> parse(String version) {
    if (version == null || version.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(name().toLowerCase(Locale.ROOT) + " version missing or"
          + " longer than " + MAX_LENGTH + " characters");
    }
    return key(version);
  }

  /** Orders parsed versions of this scheme (from {@link #parse}). */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public Comparator<Comparable<?>> order() {
    return (a, b) -> ((Comparable) a).compareTo(b);
  }

  /**
   * Compares two versions of this scheme.
   *
   * @throws IllegalArgumentException naming the version that is not one
   */
  public int compare(String a, String b) {
    return order().compare(parse(a), parse(b));
  }

  /**
   * The scheme of an OSV ecosystem ({@code Debian:12}, {@code npm}, {@code Maven}...), or empty
   * when this program does not know how that ecosystem orders versions.
   */
  public static Optional<VersionScheme> forEcosystem(String ecosystem) {
    String base = ecosystem.contains(":") ? ecosystem.substring(0, ecosystem.indexOf(':'))
        : ecosystem;
    return switch (base) {
      case "Debian", "Ubuntu" -> Optional.of(DEBIAN);
      case "AlmaLinux", "Rocky Linux", "Red Hat", "openSUSE", "SUSE", "Mageia" ->
          Optional.of(RPM);
      case "npm", "crates.io", "Go" -> Optional.of(SEMVER);
      case "Maven" -> Optional.of(MAVEN);
      case "PyPI" -> Optional.of(PYPI);
      default -> Optional.empty();
    };
  }
}
