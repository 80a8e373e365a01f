package org.neguard.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.regex.Pattern;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/** Typed reading of metadata fields: anything not of its type is MALFORMED, naming the field. */
final class Fields {
  /** The spec's expiry format, in whole seconds and UTC: what python-tuf and tuf-js write. */
  private static final Pattern EXPIRES = Pattern.compile(
      "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z");
  private static final DateTimeFormatter FORMAT =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

  private Fields() {}

  static JsonNode object(JsonNode parent, String field, String where) throws RefusalException {
    JsonNode v = parent.get(field);
    if (v == null || !v.isObject()) {
      throw malformed(where + " has no object " + field);
    }
    return v;
  }

  static String text(JsonNode parent, String field, String where) throws RefusalException {
    JsonNode v = parent.get(field);
    if (v == null || !v.isTextual()) {
      throw malformed(where + " has no string " + field);
    }
    return v.textValue();
  }

  static int positiveInt(JsonNode parent, String field, String where) throws RefusalException {
    JsonNode v = parent.get(field);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 1) {
      throw malformed(where + "'s " + field + " is not an integer from 1 to 2^31-1");
    }
    return v.intValue();
  }

  static long nonNegativeLong(JsonNode parent, String field, String where)
      throws RefusalException {
    JsonNode v = parent.get(field);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
      throw malformed(where + "'s " + field + " is not a non-negative integer");
    }
    return v.longValue();
  }

  static Instant expires(JsonNode signed, String where) throws RefusalException {
    String s = text(signed, "expires", where);
    if (!EXPIRES.matcher(s).matches()) {
      throw malformed(where + "'s expires " + Shown.shown(s)
          + " is not of the form YYYY-MM-DDTHH:MM:SSZ");
    }
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      throw malformed(where + "'s expires " + Shown.shown(s) + " is not a date");
    }
  }

  static String format(Instant instant) {
    return FORMAT.format(instant.truncatedTo(ChronoUnit.SECONDS));
  }

  /** The {@code sha256} of a {@code hashes} object: 64 lower-case hex characters. */
  static String sha256(JsonNode hashes, String where) throws RefusalException {
    if (hashes == null || !hashes.isObject()) {
      throw malformed(where + " has no hashes object");
    }
    JsonNode v = hashes.get("sha256");
    if (v == null || !v.isTextual() || !Crypto.SHA256_HEX.matcher(v.textValue()).matches()) {
      throw malformed(where + "'s hashes have no sha256 of 64 lower-case hex characters");
    }
    return v.textValue();
  }

  static void type(JsonNode signed, Role role) throws RefusalException {
    String t = text(signed, "_type", "the signed object");
    if (!t.equals(role.roleName())) {
      throw malformed("it is " + Shown.shown(t) + " metadata where " + role.roleName()
          + " metadata was expected");
    }
  }

  static RefusalException malformed(String what) {
    return new RefusalException(ReasonCode.MALFORMED,
        "TUF metadata is malformed: " + what
            + "; the repository serves a damaged or foreign file: tell its administrator");
  }
}
