package org.neguard.pkg;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The rules for a file path inside a package. A path that passes {@link #check} can be joined to
 * any target directory without leaving it, on Linux and on any filesystem an operator is likely to
 * copy it to.
 */
public final class PackagePath {
  /** Longest path accepted, in UTF-8 bytes (Linux's PATH_MAX less room for the target dir). */
  public static final int MAX_BYTES = 1024;

  private PackagePath() {}

  /**
   * Checks that {@code path} is a safe relative path: '/'-separated, no empty, '.' or '..'
   * segment, not absolute, no backslash, no control character, in NFC, at most {@link #MAX_BYTES}.
   *
   * @throws RefusalException with {@link ReasonCode#UNSAFE_PATH} naming the path and the rule
   */
  public static String check(String path) throws RefusalException {
    if (path == null || path.isEmpty()) {
      throw unsafe(String.valueOf(path), "is empty");
    }
    if (path.startsWith("/")) {
      throw unsafe(path, "is absolute");
    }
    if (path.indexOf('\\') >= 0) {
      throw unsafe(path, "contains a backslash");
    }
    if (path.length() >= 2 && path.charAt(1) == ':') {
      throw unsafe(path, "starts with a drive letter");
    }
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        throw unsafe(path, "contains control character 0x" + Integer.toHexString(c));
      }
      if (Character.isHighSurrogate(c)
          ? i + 1 >= path.length() || !Character.isLowSurrogate(path.charAt(++i))
          : Character.isLowSurrogate(c)) {
        throw unsafe(path, "contains an unpaired UTF-16 surrogate");
      }
    }
    for (String segment : path.split("/", -1)) {
      if (segment.isEmpty()) {
        throw unsafe(path, "has an empty segment (// or a trailing /)");
      }
      if (segment.equals(".") || segment.equals("..")) {
        throw unsafe(path, "has a '" + segment + "' segment");
      }
    }
    if (!Normalizer.isNormalized(path, Normalizer.Form.NFC)) {
      throw unsafe(path, "is not in Unicode NFC form");
    }
    if (path.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      throw unsafe(path, "is longer than " + MAX_BYTES + " bytes");
    }
    return path;
  }

  /**
   * Decodes a raw ZIP entry name as strict UTF-8.
   *
   * @throws RefusalException with {@link ReasonCode#UNSAFE_PATH} if the bytes are not UTF-8
   */
  public static String decode(byte[] raw) throws RefusalException {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(raw))
          .toString();
    } catch (CharacterCodingException e) {
      throw new RefusalException(
          ReasonCode.UNSAFE_PATH, "entry name is not valid UTF-8; rebuild the package with NEGuard");
    }
  }

  private static RefusalException unsafe(String path, String why) {
    return RefusalException.about(
        ReasonCode.UNSAFE_PATH,
        path,
        "unsafe path '" + printable(path) + "': it " + why + "; the package must be rebuilt");
  }

  /** The path with control characters escaped, safe to print on a terminal. */
  static String printable(String s) {
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints()
        .forEach(
            c -> {
              if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                b.append(String.format("\\x%02x", c));
              } else {
                b.appendCodePoint(c);
              }
            });
    return b.toString();
  }
}
