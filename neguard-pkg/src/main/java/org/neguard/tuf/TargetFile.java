package org.neguard.tuf;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.neguard.verdict.RefusalException;

/**
 * One target entry of targets metadata.
 *
 * @param name the target's name, matching {@link #NAME}: one file name, never a path
 * @param length the file's exact length in bytes
 * @param sha256 the file's SHA-256, lower-case hex
 * @param custom the entry's {@code custom} object, or null for none
 */
public record TargetFile(String name, long length, String sha256, ObjectNode custom) {
  /**
   * Target names the repository publishes and the client accepts: {@code <package>-<version>.ngp}
   * and the like; no {@code /}, no leading dot, so no name reaches outside the directory it is
   * downloaded to.
   */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,254}");

  /**
   * Copies {@code custom} as it reads back from a file (numbers as the parser types them), so
   * that an entry built in memory equals the same entry read from metadata.
   *
   * @throws IllegalArgumentException for a name off {@link #NAME}, a negative length, a bad hash,
   *     a float in {@code custom}
   */
  public TargetFile {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(sha256, "sha256");
    if (!isSafeName(name)) {
      throw new IllegalArgumentException("target name " + Shown.shown(name)
          + " does not match " + NAME.pattern());
    }
    if (length < 0) {
      throw new IllegalArgumentException("target " + name + " has a negative length");
    }
    if (!Crypto.SHA256_HEX.matcher(sha256).matches()) {
      throw new IllegalArgumentException(
          "target " + name + "'s sha256 is not 64 lower-case hex characters");
    }
    custom = custom == null ? null : CanonicalJson.normalized(custom);
  }

  @Override
  public ObjectNode custom() {
    return custom == null ? null : custom.deepCopy();
  }

  /** A target whose {@code custom} is {@code {"neguard": ...}}. */
  public static TargetFile of(String name, long length, String sha256, NeguardCustom custom) {
    return new TargetFile(name, length, sha256, custom == null ? null : custom.toCustom());
  }

  /** The entry's {@code custom.neguard}, empty when there is none. */
  public Optional<NeguardCustom> neguard() throws RefusalException {
    return NeguardCustom.fromCustom(custom);
  }

  /** {@code <sha256>.<name>}: the target's file name under {@code targets/}. */
  public String consistentFileName() {
    return sha256 + "." + name;
  }

  public static boolean isSafeName(String name) {
    return name != null && NAME.matcher(name).matches();
  }
}
