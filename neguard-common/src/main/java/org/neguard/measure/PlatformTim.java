package org.neguard.measure;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The platform TIM of an NE: its components' digests chained the way a TPM extends a SHA-256
 * PCR, in component-name order (docs/MEASUREMENT.md):
 *
 * <pre>
 * T0 = 32 zero bytes
 * T(i) = SHA-256(T(i-1) || digest(i))     digest(i) the 32 raw bytes of component i's tree digest
 * TIM = T(n), as 64 lower-case hex digits
 * </pre>
 *
 * <p>Components are sorted by the unsigned UTF-8 bytes of their names, so the NE and the PVE
 * compute the same TIM from the same list whatever order it travelled in. The list travels with
 * the TIM: a mismatch is located by comparing lists, and {@link #replay} gives every
 * intermediate value, which a TPM quote over the PCR must end at.
 *
 * <p>Thread-safe: stateless.
 */
public final class PlatformTim {
  /** The algorithm name recorded next to a platform TIM. */
  public static final String ALGORITHM = "sha256-pcr-chain-v1";

  /** Component names: a package name, or a platform component such as {@code platform:etc}. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/+-]{0,127}");

  private PlatformTim() {}

  /** What a component's reference value rests on (the evidence says which, per component). */
  public enum Reference {
    /** A package's RIM from its vendor-signed manifest. */
    VENDOR_SIGNED,
    /** A platform path's baseline, approved by operators (four-eyes, audited). */
    OPERATOR_BASELINE
  }

  /**
   * One measured component.
   *
   * @param name {@code [A-Za-z0-9][A-Za-z0-9._:/+-]{0,127}}
   * @param digest its tree digest, 64 lower-case hex digits
   * @param reference what its reference value rests on
   */
  public record Component(String name, String digest, Reference reference) {
    public Component {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(digest, "digest");
      Objects.requireNonNull(reference, "reference");
      if (!NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("component name not allowed: " + name);
      }
      if (!TreeDigest.isLowerHex64(digest)) {
        throw new IllegalArgumentException("digest is not 64 lower-case hex digits: " + digest);
      }
    }
  }

  /**
   * The TIM of {@code components}.
   *
   * @throws IllegalArgumentException if two components have the same name
   */
  public static String of(Collection<Component> components) {
    List<String> steps = replay(components);
    return steps.get(steps.size() - 1);
  }

  /**
   * Every value of the chain: T0 (64 zeros) first, then T(1)…T(n) in name order.
   *
   * @throws IllegalArgumentException if two components have the same name
   */
  public static List<String> replay(Collection<Component> components) {
    List<Component> sorted = sorted(components);
    List<String> out = new ArrayList<>(sorted.size() + 1);
    byte[] t = new byte[32];
    out.add(HexFormat.of().formatHex(t));
    for (Component c : sorted) {
      t = extend(t, HexFormat.of().parseHex(c.digest()));
      out.add(HexFormat.of().formatHex(t));
    }
    return List.copyOf(out);
  }

  /** {@code SHA-256(pcr || digest)}: one TPM2 PCR extend in a SHA-256 bank. */
  public static byte[] extend(byte[] pcr, byte[] digest) {
    if (pcr.length != 32 || digest.length != 32) {
      throw new IllegalArgumentException("pcr and digest must be 32 bytes: " + pcr.length + ", "
          + digest.length);
    }
    MessageDigest sha = Sha256.newDigest();
    sha.update(pcr);
    sha.update(digest);
    return sha.digest();
  }

  /** {@code components} in chain order; duplicate names refused. */
  public static List<Component> sorted(Collection<Component> components) {
    List<Component> sorted = new ArrayList<>(components);
    sorted.sort((a, b) -> Arrays.compareUnsigned(utf8(a.name()), utf8(b.name())));
    for (int i = 1; i < sorted.size(); i++) {
      if (sorted.get(i).name().equals(sorted.get(i - 1).name())) {
        throw new IllegalArgumentException("duplicate component: " + sorted.get(i).name());
      }
    }
    return List.copyOf(sorted);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
