package org.neguard.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * This machine's identity: systemd's machine id ({@code /etc/machine-id}, or D-Bus's {@code
 * /var/lib/dbus/machine-id} where there is none), 32 lower-case hexadecimal digits, unique per
 * installation. A host name is not: clones of one image, and hosts left at a default name
 * ({@code localhost}, {@code debian}), share theirs, so whatever decides that a document
 * describes "this machine" (HRD-3: {@code harden check} using this host's package database for
 * an inventory) compares this id, and the inventory records it. One reader for both ends, so
 * that they cannot disagree on what an id is.
 *
 * <p>Strict: the file must hold exactly the 32 digits, with at most one trailing newline;
 * anything else (upper case, another length, systemd's {@code uninitialized} of a first boot,
 * the all-zero id systemd itself rejects, an unreadable file) is no id, never a guess. Stateless
 * and thread-safe.
 */
public final class MachineId {
  static final Path ETC = Path.of("/etc/machine-id");
  static final Path DBUS = Path.of("/var/lib/dbus/machine-id");
  private static final Pattern ID = Pattern.compile("[0-9a-f]{32}");
  private static final String NULL_ID = "0".repeat(32);

  /**
   * NEGuard's application id for systemd's app-specific machine ids: what is recorded and
   * compared is {@code systemd-id128 machine-id --app-specific=} this, never the raw id, which
   * systemd asks to keep confidential (inventories are files people pass around).
   */
  public static final String APP_ID = "4852488a9b7a57a372959f65eb993fc2";

  private MachineId() {}

  /**
   * This machine's id as NEGuard records it: systemd's app-specific id for {@link #APP_ID}
   * (HMAC-SHA256 keyed by the raw id, as {@code sd_id128_get_machine_app_specific}); empty when
   * the machine has no valid id.
   */
  public static Optional<String> local() {
    return read(ETC, DBUS).map(MachineId::appSpecific);
  }

  /** {@code rawId}'s app-specific id for {@link #APP_ID}, formatted as a machine id. */
  static String appSpecific(String rawId) {
    HexFormat hex = HexFormat.of();
    byte[] h;
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(hex.parseHex(rawId), "HmacSHA256"));
      h = mac.doFinal(hex.parseHex(APP_ID));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
    // The first 128 bits, marked as a version 4 UUID, as systemd does.
    h[6] = (byte) ((h[6] & 0x0F) | 0x40);
    h[8] = (byte) ((h[8] & 0x3F) | 0x80);
    return hex.formatHex(h, 0, 16);
  }

  /**
   * The id in {@code file}, or in {@code fallback} only when {@code file} does not exist: a
   * present but invalid {@code /etc/machine-id} (empty or {@code uninitialized} before systemd's
   * first boot completes) leaves the machine without an id, and D-Bus's file may then be a copy
   * from the image the machine was cloned from.
   */
  static Optional<String> read(Path file, Path fallback) {
    // Not following links: a dangling link at /etc/machine-id is a machine-id file gone wrong
    // (no id), not a missing one that sends us to D-Bus's copy, which may be the image's.
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return Files.exists(fallback) ? read(fallback) : Optional.empty();
    }
    return read(file);
  }

  private static Optional<String> read(Path file) {
    // A FIFO or device at the path would block or never end: only a regular file is read.
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(34); // 32 digits and a newline, and one more to see a longer file
    } catch (IOException e) {
      return Optional.empty(); // unreadable or just removed: no id, never another file's
    }
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    if (text.endsWith("\n")) {
      text = text.substring(0, text.length() - 1);
    }
    return valid(text) ? Optional.of(text) : Optional.empty();
  }

  /**
   * Whether {@code id} is a machine id as recorded: exactly 32 lower-case hexadecimal digits, not
   * all zero (systemd's null id, which marks no id).
   */
  public static boolean valid(String id) {
    return id != null && ID.matcher(id).matches() && !id.equals(NULL_ID);
  }
}
