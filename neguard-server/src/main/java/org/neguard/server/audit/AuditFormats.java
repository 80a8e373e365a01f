package org.neguard.server.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import org.neguard.api.audit.AuditRecord;

/**
 * Export forms of an audit row for a SIEM: JSON lines, ArcSight CEF, and CEF inside an RFC 5424
 * syslog line. Values are escaped as each format requires, so a hostile field (a user name with
 * a pipe, an equals sign or a newline) cannot forge fields or lines, and every control character
 * ({@link AuditText#isControl}) leaves escaped in every format, also from rows stored before
 * the log escaped them itself.
 */
public final class AuditFormats {
  private static final ObjectMapper JSON = new ObjectMapper();

  static {
    // JSON must keep the exact value (hashes are recomputed from it), so controls go out as JSON
    // escapes (backslash, u, four hex digits), which Jackson does by itself only below U+0020.
    JSON.getFactory().setCharacterEscapes(new ControlEscapes());
  }

  private static final class ControlEscapes extends CharacterEscapes {
    private static final long serialVersionUID = 1L;
    private final int[] ascii = CharacterEscapes.standardAsciiEscapesForJSON();

    ControlEscapes() {
      ascii[0x7f] = CharacterEscapes.ESCAPE_STANDARD;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return ascii;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      return AuditText.isControl(ch)
          ? new SerializedString(String.format("\\u%04x", ch)) : null;
    }
  }

  private AuditFormats() {}

  /** One JSON object on one line. */
  public static String jsonLine(AuditRecord r) {
    try {
      return JSON.writeValueAsString(r);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One CEF:0 event. */
  public static String cef(AuditRecord r, String version) {
    int severity = switch (r.outcome()) {
      case AuditEvent.DENIED -> 7;
      case AuditEvent.FAILURE -> 5;
      default -> 3;
    };
    return "CEF:0|NEGuard|neguard-server|" + header(version) + "|" + header(r.action()) + "|"
        + header(r.action() + " " + r.outcome()) + "|" + severity + "|"
        + "rt=" + Instant.parse(r.occurredAt()).toEpochMilli()
        + " suser=" + ext(r.actor())
        + " src=" + ext(r.remote())
        + " outcome=" + ext(r.outcome())
        + " cs1Label=target cs1=" + ext(r.target())
        + " cn1Label=seq cn1=" + r.seq()
        + " cs2Label=hash cs2=" + r.hash()
        + " cs3Label=prevHash cs3=" + r.prevHash()
        + " msg=" + ext(r.detail());
  }

  /** An RFC 5424 syslog line (facility auth, priv) carrying the CEF event. */
  public static String syslog(AuditRecord r, String version, String hostname) {
    int severity = AuditEvent.SUCCESS.equals(r.outcome()) ? 6 : 4; // info, warning
    int pri = 10 * 8 + severity; // facility 10: authpriv
    return "<" + pri + ">1 " + token(r.occurredAt()) + " " + token(hostname)
        + " neguard-server - " + token(r.action()) + " - " + cef(r, version);
  }

  /** An RFC 5424 header field: printable US-ASCII without spaces, else {@code -}. */
  static String token(String s) {
    return s == null || s.isEmpty() || !s.chars().allMatch(c -> c > 32 && c < 127) ? "-" : s;
  }

  static String header(String s) {
    return AuditText.escape(s).replace("\\", "\\\\").replace("|", "\\|");
  }

  static String ext(String s) {
    return AuditText.escape(s).replace("\\", "\\\\").replace("=", "\\=");
  }
}
