package org.neguard.vuln;

import java.util.Collection;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which of Red Hat's OSV product streams a RHEL NE's packages are matched against (issue 16,
 * docs/VULNERABILITIES.md "Red Hat Enterprise Linux").
 *
 * <p>Red Hat keys its OSV records by product stream: the ecosystem is {@code Red Hat:} and the
 * stream's CPE less its {@code cpe:/[oa]:redhat:} prefix (ossf/osv-schema {@code
 * ecosystems.json}; Red Hat's converter {@code tools/redhat}), so {@code
 * Red Hat:enterprise_linux:9::appstream}, {@code Red Hat:enterprise_linux:9::baseos}, {@code
 * Red Hat:rhel_eus:9.4::baseos}, {@code Red Hat:enterprise_linux:10.0} (RHEL 10 names minor
 * releases). os-release says only {@code ID=rhel}, {@code VERSION_ID=9.4}: not which stream a
 * package came from, nor whether the host follows an extended-support stream. So an NE's
 * release is the host's, {@code Red Hat:9.4}, and a stream applies to it when:
 *
 * <ul>
 *   <li>its product is {@code enterprise_linux} (BaseOS, AppStream, CRB, HighAvailability, ...,
 *       whatever the stream's last part says) of the NE's major release, whatever the minor;
 *   <li>its product is an extended-support one ({@code rhel_eus}, {@code rhel_aus}, {@code
 *       rhel_e4s}, {@code rhel_tus}, {@code rhel_eus_long_life}, {@code rhel_els}) of the NE's
 *       major and minor release (or of its major, when the stream names no minor).
 * </ul>
 *
 * <p>Other Red Hat products ({@code openshift}, {@code satellite}, {@code enterprise_linux_ai},
 * software collections, whose CPE versions are not RHEL's) never apply. A stream of a RHEL
 * product whose release cannot be read ({@code enterprise_linux:9.x}, a bare {@code Red Hat})
 * is {@link Applies#UNKNOWN}: the caller reports the package not assessed rather than passing
 * it. Stateless.
 */
public final class RedHatStreams {
  /** The ecosystem family of every Red Hat record, and the index's key for all of them. */
  public static final String FAMILY = "Red Hat";
  private static final String PREFIX = FAMILY + ":";
  /** A release number as Red Hat's CPEs write it: no sign, no leading zero, a few digits. */
  private static final String NUMBER = "(0|[1-9][0-9]{0,3})";
  private static final Pattern RELEASE = Pattern.compile(NUMBER + "(?:\\." + NUMBER + ")?");
  /** The host release an agent sends for {@code ID=rhel}: {@code Red Hat:9.4}. */
  private static final Pattern HOST = Pattern.compile(Pattern.quote(PREFIX) + RELEASE);
  private static final String MAIN = "enterprise_linux";
  private static final Set<String> EXTENDED = Set.of("rhel_eus", "rhel_aus", "rhel_e4s",
      "rhel_tus", "rhel_eus_long_life", "rhel_els");

  private RedHatStreams() {}

  /** Whether a stream applies to a host. */
  public enum Applies { YES, NO, UNKNOWN }

  /**
   * A RHEL host's release.
   *
   * @param major {@code 9} of {@code 9.4}
   * @param minor {@code 4} of {@code 9.4}; empty when os-release gave the major only
   */
  public record Host(int major, OptionalInt minor) {
    @Override
    public String toString() {
      return PREFIX + major + (minor.isPresent() ? "." + minor.getAsInt() : "");
    }
  }

  /**
   * The RHEL host release {@code release} names ({@code Red Hat:9.4}, {@code Red Hat:9}), or
   * empty when it names none: a stream ({@code Red Hat:enterprise_linux:9::baseos}) is matched
   * as any other ecosystem is, exactly.
   */
  public static Optional<Host> host(String release) {
    if (release == null || !HOST.matcher(release).matches()) {
      return Optional.empty();
    }
    Matcher m = RELEASE.matcher(release.substring(PREFIX.length()));
    if (!m.matches()) {
      return Optional.empty();
    }
    return Optional.of(new Host(Integer.parseInt(m.group(1)), m.group(2) == null
        ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(m.group(2)))));
  }

  /** Whether the stream {@code ecosystem} (an OSV record's) applies to {@code host}. */
  public static Applies applies(String ecosystem, Host host) {
    if (ecosystem.equals(FAMILY)) {
      return Applies.UNKNOWN; // no stream at all: which release it is about is unknown
    }
    if (!ecosystem.startsWith(PREFIX)) {
      return Applies.NO;
    }
    String[] parts = ecosystem.substring(PREFIX.length()).split(":", -1);
    boolean main = parts[0].equals(MAIN);
    if (!main && !EXTENDED.contains(parts[0])) {
      return Applies.NO; // a layered product: its CPE version is its own, not RHEL's
    }
    Matcher m = parts.length < 2 ? null : RELEASE.matcher(parts[1]);
    if (m == null || !m.matches()) {
      return Applies.UNKNOWN;
    }
    if (Integer.parseInt(m.group(1)) != host.major()) {
      return Applies.NO;
    }
    // the main streams carry every fix of the major release; an extended one only the fixes
    // of its own minor release, which a host of another minor does not follow
    if (main || m.group(2) == null) {
      return Applies.YES;
    }
    return host.minor().isPresent() && host.minor().getAsInt() == Integer.parseInt(m.group(2))
        ? Applies.YES : Applies.NO;
  }

  /**
   * Whether feeds covering {@code ecosystems} say anything about {@code release}: they name it
   * (an exact ecosystem), or it is a RHEL host release and one of them is a stream that
   * applies to it.
   */
  public static boolean covers(Collection<String> ecosystems, String release) {
    if (release == null) {
      return false;
    }
    if (ecosystems.contains(release)) {
      return true;
    }
    Optional<Host> host = host(release);
    return host.isPresent() && ecosystems.stream()
        .anyMatch(e -> applies(e, host.get()) == Applies.YES);
  }
}
