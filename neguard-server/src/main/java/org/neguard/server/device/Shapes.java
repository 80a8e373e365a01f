package org.neguard.server.device;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.neguard.server.web.ApiException;

/**
 * The shapes of what devices and users name: device ids (a certificate's CN and a path segment),
 * NE types (a package manifest's {@code neType}), labels. Checked before anything is stored, so
 * that none of them needs escaping anywhere later.
 */
final class Shapes {
  static final Pattern DEVICE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  /** As a package manifest's {@code neType} (org.neguard.pkg.Manifest). */
  static final Pattern NE_TYPE = Pattern.compile("[A-Za-z0-9._+-]{1,128}");
  static final Pattern LABEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:=/-]{0,127}");
  static final int MAX_LABELS = 32;

  /** The one id no device may have: {@code /api/devices/ca} names the device CA. */
  static final String RESERVED_ID = "ca";

  private Shapes() {}

  static String deviceId(String id) {
    if (id == null || !DEVICE_ID.matcher(id).matches()) {
      throw ApiException.badInput("deviceId must be 1 to 64 of A-Z a-z 0-9 . _ -, starting with"
          + " a letter or digit: " + quoted(id));
    }
    if (id.equals(RESERVED_ID)) {
      // GET /api/devices/ca is the device CA: a device of that id could not be shown.
      throw ApiException.badInput("deviceId " + RESERVED_ID + " is reserved; choose another");
    }
    return id;
  }

  static String neType(String neType) {
    if (neType == null || !NE_TYPE.matcher(neType).matches()) {
      throw ApiException.badInput("neType must be 1 to 128 of A-Z a-z 0-9 . _ + -: "
          + quoted(neType));
    }
    return neType;
  }

  /** The labels, each checked, duplicates dropped, in the order given; null is none. */
  static List<String> labels(List<String> labels) {
    if (labels == null) {
      return List.of();
    }
    Set<String> out = new LinkedHashSet<>();
    for (String l : labels) {
      if (l == null || !LABEL.matcher(l).matches()) {
        throw ApiException.badInput("a label must be 1 to 128 of A-Z a-z 0-9 . _ : = / -,"
            + " starting with a letter or digit: " + quoted(l));
      }
      out.add(l);
    }
    if (out.size() > MAX_LABELS) {
      throw ApiException.badInput("at most " + MAX_LABELS + " labels, not " + out.size());
    }
    return new ArrayList<>(out);
  }

  /** A value for a message: clipped and quoted, so that it cannot forge a line. */
  static String quoted(String s) {
    if (s == null) {
      return "null";
    }
    String t = s.length() > 80 ? s.substring(0, 80) + "..." : s;
    return "'" + t.replaceAll("[^\\x20-\\x7e]", "?") + "'";
  }
}
