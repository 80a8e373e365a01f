package org.neguard.vuln;

import static org.neguard.vuln.StrictJson.array;
import static org.neguard.vuln.StrictJson.malformed;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Reads one OSV record (the Open Source Vulnerability schema, ossf.github.io/osv-schema).
 * Duplicate keys and trailing data are refused (two parsers must not read one record two
 * ways); fields this reader does not use are skipped, as the schema grows by adding fields.
 * A record larger than {@link #MAX_BYTES} is refused before it is parsed.
 *
 * <p>Thread-safe.
 */
public final class OsvReader {
  public static final int MAX_BYTES = 1 << 20;
  /** Summaries are cut to this many characters (the index keeps one per record). */
  static final int MAX_SUMMARY = 160;
  /** Names, versions and ids longer than this are no names (and the index stores them short). */
  static final int MAX_STRING = 1024;
  private static final Set<String> EVENT_KINDS = Set.of("introduced", "fixed", "last_affected",
      "limit");
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

  private OsvReader() {}

  /**
   * Parses {@code json}, named {@code source} in messages (a file name).
   *
   * @throws RefusalException SIZE_LIMIT or MALFORMED
   */
  public static Advisory read(byte[] json, String source) throws RefusalException {
    if (json.length > MAX_BYTES) {
      throw new RefusalException(ReasonCode.SIZE_LIMIT, source + ": an OSV record of "
          + json.length + " bytes, more than " + MAX_BYTES);
    }
    JsonNode n;
    try {
      n = MAPPER.readTree(json);
    } catch (IOException e) {
      String m = String.valueOf(e.getMessage());
      throw malformed(source, "not strict JSON (" + m.lines().findFirst().orElse("") + ")");
    }
    if (n == null || !n.isObject()) {
      throw malformed(source, "not a JSON object");
    }
    String id = text(n, "id", source);
    if (!id.matches("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")) {
      throw malformed(source, "id is not an OSV id: " + id);
    }
    List<String> aliases = new ArrayList<>();
    for (JsonNode a : array(n, "aliases", source)) {
      if (!a.isTextual()) {
        throw malformed(source, id + ": an alias is not a string");
      }
      if (a.textValue().length() > MAX_STRING) {
        throw malformed(source, id + ": an alias is longer than " + MAX_STRING);
      }
      aliases.add(a.textValue());
    }
    // Red Hat's records name their CVEs in upstream (schema 1.7), not in aliases: the CVE ids
    // there are kept with the aliases, so findings and VEX statements name them as for others
    for (JsonNode u : array(n, "upstream", source)) {
      if (!u.isTextual()) {
        throw malformed(source, id + ": an upstream id is not a string");
      }
      if (u.textValue().matches("CVE-\\d{4}-\\d{4,19}") && !aliases.contains(u.textValue())) {
        aliases.add(u.textValue());
      }
    }
    // A vector whose score can be computed here is kept: CVSS v3 first (Cvss3), else v4.0
    // (Cvss4); a v2 (or later) vector only for the report, when neither is given. A v3 or v4
    // vector that is not one refuses the record: a score is never guessed from it.
    Optional<String> v3 = Optional.empty();
    Optional<String> v4 = Optional.empty();
    Optional<String> other = Optional.empty();
    for (JsonNode s : array(n, "severity", source)) {
      String type = s.path("type").asText("");
      if (type.startsWith("CVSS_V3")) {
        v3 = Optional.of(scoredVector(s, source, id, Cvss3::baseScore));
      } else if (type.equals("CVSS_V4")) {
        v4 = Optional.of(scoredVector(s, source, id, Cvss4::baseScore));
      } else if (type.startsWith("CVSS_V") && other.isEmpty()) {
        other = Optional.of(text(s, "score", source));
      }
    }
    Optional<String> cvss = v3.isPresent() ? v3 : v4.isPresent() ? v4 : other;
    List<Advisory.Affected> affected = new ArrayList<>();
    for (JsonNode a : array(n, "affected", source)) {
      JsonNode pkg = a.path("package");
      String ecosystem = text(pkg, "ecosystem", source);
      String name = text(pkg, "name", source);
      List<Advisory.Range> ranges = new ArrayList<>();
      for (JsonNode r : array(a, "ranges", source)) {
        String type = text(r, "type", source);
        if (!type.equals("ECOSYSTEM") && !type.equals("SEMVER")) {
          continue; // GIT ranges are commits, not versions of a package
        }
        List<Advisory.Event> events = new ArrayList<>();
        for (JsonNode e : array(r, "events", source)) {
          if (!e.isObject() || e.size() != 1) {
            throw malformed(source, id + ": an event is not one key and its version");
          }
          String kind = e.fieldNames().next();
          if (!EVENT_KINDS.contains(kind) || !e.get(kind).isTextual()
              || e.get(kind).textValue().isEmpty()
              || e.get(kind).textValue().length() > MAX_STRING) {
            throw malformed(source, id + ": unknown event " + kind);
          }
          events.add(new Advisory.Event(kind, e.get(kind).textValue()));
        }
        ranges.add(new Advisory.Range(type, events));
      }
      List<String> versions = new ArrayList<>();
      for (JsonNode v : array(a, "versions", source)) {
        if (!v.isTextual()) {
          throw malformed(source, id + ": a listed version is not a string");
        }
        if (v.textValue().length() > MAX_STRING) {
          throw malformed(source, id + ": a listed version is longer than " + MAX_STRING);
        }
        versions.add(v.textValue());
      }
      affected.add(new Advisory.Affected(ecosystem, name, ranges, versions));
    }
    // one line, bounded: the index keeps it for every record, the details stay in the feed
    String summary = n.path("summary").asText(n.path("details").asText("").lines().findFirst()
        .orElse(""));
    if (summary.length() > MAX_SUMMARY) {
      summary = summary.substring(0, MAX_SUMMARY - 1) + "\u2026";
    }
    java.time.Instant modified;
    try {
      modified = java.time.Instant.parse(text(n, "modified", source));
    } catch (java.time.format.DateTimeParseException e) {
      throw malformed(source, id + ": modified is not an RFC 3339 UTC time");
    }
    if (n.hasNonNull("withdrawn")) {
      // OSV: a withdrawn record was published in error; it keeps its id (a second record with
      // it is still a duplicate) but affects nothing.
      try {
        java.time.Instant.parse(text(n, "withdrawn", source));
      } catch (java.time.format.DateTimeParseException e) {
        throw malformed(source, id + ": withdrawn is not an RFC 3339 UTC time");
      }
      affected = List.of();
    }
    return new Advisory(id, aliases, summary, cvss, affected, modified);
  }

  private static String text(JsonNode n, String field, String source) throws RefusalException {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual() || v.textValue().isEmpty()) {
      throw malformed(source, field + " is missing or not a string");
    }
    if (v.textValue().length() > MAX_STRING) {
      throw malformed(source, field + " is longer than " + MAX_STRING + " characters");
    }
    return v.textValue();
  }

  /**
   * The vector of severity entry {@code s}, refused MALFORMED (naming the record) when {@code
   * score} cannot score it: a score is never guessed from a vector that is not one.
   */
  private static String scoredVector(JsonNode s, String source, String id,
      java.util.function.ToDoubleFunction<String> score) throws RefusalException {
    String vector = text(s, "score", source);
    try {
      score.applyAsDouble(vector);
    } catch (IllegalArgumentException e) {
      throw malformed(source, id + ": severity: " + e.getMessage());
    }
    return vector;
  }
}
