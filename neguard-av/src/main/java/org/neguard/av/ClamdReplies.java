package org.neguard.av;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.neguard.scanreport.FileResult;

/**
 * Reads clamd's replies: {@code VERSION} and {@code INSTREAM}. Every reply is either understood
 * exactly or refused with {@code ENGINE_ERROR}; nothing unknown is taken for clean.
 */
final class ClamdReplies {
  /** clamd's answer when a stream passes {@code StreamMaxLength}. */
  static final String SIZE_LIMIT = "INSTREAM size limit exceeded. ERROR";

  /** Findings clamd raises for content it skipped ({@code AlertExceedsMax yes}). */
  static final String LIMITS_PREFIX = "Heuristics.Limits.Exceeded";

  /** Findings clamd raises for content it could not decrypt ({@code AlertEncrypted yes}). */
  static final String ENCRYPTED_PREFIX = "Heuristics.Encrypted";

  private static final Pattern VERSION =
      Pattern.compile("ClamAV ([0-9][^/\\s]*)(?:/([0-9]{1,10})/(.+))?");
  private static final Pattern FOUND = Pattern.compile("stream: (\\S+) FOUND");
  private static final Pattern SPACES = Pattern.compile(" +");

  /** C's {@code ctime()} without the newline: {@code Mon Nov 23 10:00:00 2026}. */
  private static final DateTimeFormatter CTIME =
      DateTimeFormatter.ofPattern("EEE MMM d HH:mm:ss uuuu", Locale.ENGLISH);

  private ClamdReplies() {}

  /** clamd's {@code VERSION}, split. */
  record Version(String engineVersion, String databaseVersion, Instant databaseDate) {}

  /**
   * Parses {@code ClamAV 1.4.6/27000/Mon Nov 23 10:00:00 2026}. clamd prints the database's
   * build time with {@code ctime()}, in its own host's time zone, which the reply does not carry:
   * {@code zone} says which it is. A reply without the database part ({@code ClamAV 1.4.6}, clamd
   * without a daily database) gives null database fields: the scan policy refuses those.
   *
   * @throws RefusalException {@code ENGINE_ERROR} when the reply is not of that form
   */
  static Version parseVersion(String reply, ZoneId zone) throws RefusalException {
    Matcher m = VERSION.matcher(reply);
    if (!m.matches()) {
      throw new RefusalException(
          ReasonCode.ENGINE_ERROR,
          "clamd's VERSION reply is not 'ClamAV VERSION/DATABASE/DATE': '"
              + ClamdConnection.printable(reply) + "'; is this a clamd?");
    }
    if (m.group(2) == null) {
      return new Version(m.group(1), null, null);
    }
    String date = SPACES.matcher(m.group(3).trim()).replaceAll(" ");
    try {
      Instant built = LocalDateTime.parse(date, CTIME).atZone(zone).toInstant();
      return new Version(m.group(1), m.group(2), built);
    } catch (DateTimeException e) {
      throw new RefusalException(
          ReasonCode.ENGINE_ERROR,
          "clamd's VERSION reply has a database date NEGuard cannot read: '"
              + ClamdConnection.printable(m.group(3))
              + "' (expected like 'Mon Nov 23 10:00:00 2026')");
    }
  }

  /**
   * Turns one {@code INSTREAM} reply (without any session id) into a result for {@code path}.
   *
   * @throws RefusalException {@code ENGINE_ERROR} for an error reply other than the stream size
   *     limit, or for anything not understood
   */
  static FileResult parseScan(String path, String reply) throws RefusalException {
    if (reply.equals("stream: OK")) {
      return FileResult.clean(path);
    }
    if (reply.equals(SIZE_LIMIT)) {
      return FileResult.notScanned(
          path,
          "larger than clamd's StreamMaxLength: clamd refused the stream (raise StreamMaxLength,"
              + " MaxFileSize and MaxScanSize above the package's largest file)");
    }
    Matcher m = FOUND.matcher(reply);
    if (m.matches()) {
      String name = m.group(1);
      if (name.startsWith(LIMITS_PREFIX)) {
        return FileResult.notScanned(
            path,
            "clamd skipped content over one of its limits (" + name + "): raise clamd's limits"
                + " (MaxFileSize, MaxScanSize, MaxRecursion, MaxFiles, MaxScanTime) and scan"
                + " again");
      }
      if (name.startsWith(ENCRYPTED_PREFIX)) {
        return FileResult.notScanned(
            path,
            "encrypted content clamd cannot open (" + name + "): ship it unencrypted to be"
                + " scanned");
      }
      return FileResult.infected(path, name, null);
    }
    if (reply.endsWith(" ERROR")) {
      throw new RefusalException(
          ReasonCode.ENGINE_ERROR,
          "clamd failed to scan '" + path + "': " + ClamdConnection.printable(reply)
              + " (see clamd's log)");
    }
    throw new RefusalException(
        ReasonCode.ENGINE_ERROR,
        "clamd's reply for '" + path + "' is not understood: '"
            + ClamdConnection.printable(reply) + "'; is this a clamd?");
  }
}
