package org.neguard.measure;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256, the one digest NEGuard uses everywhere: new digests and lower-case hex. Every digest
 * written in a manifest, a report or a log goes through {@link #hex}, so that the spelling (64
 * lower-case hex digits) is the same wherever two of them are compared.
 */
public final class Sha256 {
  // Never updated, only cloned: a clone skips the provider look-up of getInstance, which was
  // a tenth of the scan threads' time with one digest per payload file (issue 17).
  private static final MessageDigest PROTOTYPE = lookUp();

  private Sha256() {}

  /** A fresh SHA-256 digest. Every Java platform has one (the JCA requires it). */
  public static MessageDigest newDigest() {
    try {
      return (MessageDigest) PROTOTYPE.clone();
    } catch (CloneNotSupportedException e) {
      return lookUp(); // a provider whose digest cannot be cloned
    }
  }

  private static MessageDigest lookUp() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every Java platform has SHA-256", e);
    }
  }

  /** The SHA-256 of {@code data}, as 64 lower-case hex digits. */
  public static String hex(byte[] data) {
    return HexFormat.of().formatHex(newDigest().digest(data));
  }

  /**
   * Completes {@code digest} (which is reset, as by {@link MessageDigest#digest()}) and returns
   * its value as lower-case hex.
   */
  public static String hex(MessageDigest digest) {
    return HexFormat.of().formatHex(digest.digest());
  }

  /** The SHA-256 of a file's content, read as a stream (the file may be larger than memory). */
  public static String hex(Path file) throws IOException {
    MessageDigest digest = newDigest();
    byte[] buf = new byte[64 * 1024];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        digest.update(buf, 0, n);
      }
    }
    return hex(digest);
  }
}
