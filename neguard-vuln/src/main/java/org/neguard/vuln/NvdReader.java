package org.neguard.vuln;

import static org.neguard.vuln.StrictJson.malformed;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.zip.ZipException;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.neguard.vuln.NvdCve.Configuration;
import org.neguard.vuln.NvdCve.Node;
import org.neguard.vuln.NvdCve.Operator;

/**
 * Reads an NVD CVE API 2.0 feed ({@code {"format": "NVD_CVE", "version": "2.0",
 * "vulnerabilities": [{"cve": {...}}, ...]}}, as the API pages and NVD's 2.0 feed files give
 * it), plain or gzip-compressed, one record at a time: a feed of any size is never held whole.
 *
 * <p>Strict, since a feed decides what is reported: duplicate keys (two parsers would read
 * one record two ways), truncated input, trailing data, a second record with an id already
 * read, and fields of the wrong type are {@code MALFORMED}; a record larger than
 * {@link #MAX_RECORD_BYTES} or a feed of more than {@link #MAX_RECORDS} records is
 * {@code SIZE_LIMIT}, refused while it is read (counted in bytes of the token positions, one
 * string at most {@link #MAX_RECORD_BYTES} long before it is buffered), not after it was held.
 * Fields this reader does not use are skipped token by token, as the schema grows by adding
 * fields.
 *
 * <p>The sink has been given the records before a refusal: a caller discards the whole import
 * on an exception (a truncated feed is only known to be truncated at its end).
 *
 * <p>Thread-safe (no state between calls).
 */
public final class NvdReader {
  /** Larger records are refused: generous for thousands of cpeMatch of about 200 bytes each. */
  public static final int MAX_RECORD_BYTES = 8 << 20;
  /** NVD holds about 300,000 CVEs; ids are kept to refuse duplicates, so the count is bounded. */
  public static final int MAX_RECORDS = 1_000_000;
  /** cpeMatch entries in one record (each is kept); NVD's largest have a few thousand. */
  public static final int MAX_CPE_MATCHES = 50_000;
  private static final Pattern CVE_ID = Pattern.compile("CVE-[0-9]{4}-[0-9]{4,19}");
  private static final Map<String, String> METRIC_VERSIONS = Map.of("cvssMetricV40", "4.0",
      "cvssMetricV31", "3.1", "cvssMetricV30", "3.0", "cvssMetricV2", "2.0");
  private static final List<String> VERSION_ORDER = List.of("4.0", "3.1", "3.0", "2.0");
  // The base metrics each version's specification lists, in its order; other (temporal,
  // environmental, supplemental) metrics may follow. A score whose vector is not one of these
  // cannot be checked by anyone, so it is not believed. A v4.0 vector is checked in full by
  // Cvss4 (every metric, value and the fixed order of its Table 23).
  private static final String MORE = "(/[A-Za-z]{1,4}:[A-Za-z]{1,2})*";
  private static final Map<String, Pattern> VECTORS = Map.of(
      "2.0", Pattern.compile("AV:[LAN]/AC:[HML]/Au:[MSN]/C:[NPC]/I:[NPC]/A:[NPC]" + MORE),
      "3.0", Pattern.compile("CVSS:3\\.0/AV:[NALP]/AC:[LH]/PR:[NLH]/UI:[NR]/S:[UC]/C:[HLN]"
          + "/I:[HLN]/A:[HLN]" + MORE),
      "3.1", Pattern.compile("CVSS:3\\.1/AV:[NALP]/AC:[LH]/PR:[NLH]/UI:[NR]/S:[UC]/C:[HLN]"
          + "/I:[HLN]/A:[HLN]" + MORE));
  private static final JsonFactory FACTORY = JsonFactory.builder()
      .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      // The caller opened the stream and closes it.
      .disable(com.fasterxml.jackson.core.StreamReadFeature.AUTO_CLOSE_SOURCE)
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxStringLength(MAX_RECORD_BYTES)
          .maxNameLength(1024)
          .maxNestingDepth(32)
          .maxNumberLength(64)
          .build())
      .build();

  private NvdReader() {}

  /** What a feed said about itself, after all its records were read. */
  public record Summary(int records, Optional<Instant> timestamp,
      Optional<Instant> newestLastModified) {}

  /**
   * Reads every record of the feed in {@code in} (gzip detected by its magic bytes), named
   * {@code source} in messages, giving each to {@code sink}.
   *
   * @throws RefusalException MALFORMED or SIZE_LIMIT, saying where and what to do
   * @throws IOException reading {@code in} failed
   */
  public static void read(InputStream in, String source, Consumer<NvdCve> sink)
      throws IOException, RefusalException {
    readFeed(in, source, sink);
  }

  /** As {@link #read}, returning the feed's count and dates (its {@code timestamp}). */
  public static Summary readFeed(InputStream in, String source, Consumer<NvdCve> sink)
      throws IOException, RefusalException {
    Objects.requireNonNull(in, "in");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(sink, "sink");
    try {
      return parse(in, source, sink);
    } catch (StreamConstraintsException e) {
      throw new RefusalException(ReasonCode.SIZE_LIMIT, source + ": a value beyond this"
          + " reader's limits (" + firstLine(e) + "); an NVD feed has no such value, so this"
          + " file is not one", e);
    } catch (JsonProcessingException | EOFException | ZipException e) {
      throw malformed(source, "not a complete, strict JSON feed (" + firstLine(e) + ");"
          + " download the feed again: it is truncated or damaged");
    }
  }

  private static Summary parse(InputStream in, String source, Consumer<NvdCve> sink)
      throws IOException, RefusalException {
    BufferedInputStream b = new BufferedInputStream(in, 1 << 16);
    b.mark(4);
    int b0 = b.read();
    int b1 = b.read();
    b.reset();
    StrictGzipInputStream gz = b0 == 0x1f && b1 == 0x8b ? new StrictGzipInputStream(b) : null;
    try {
      return parseJson(gz != null ? gz : b, source, sink);
    } finally {
      if (gz != null) {
        gz.close(); // its inflater's native memory; the caller's stream stays open
      }
    }
  }

  private static Summary parseJson(InputStream json, String source, Consumer<NvdCve> sink)
      throws IOException, RefusalException {
    if (!json.markSupported()) {
      json = new BufferedInputStream(json, 1 << 16);
    }
    // Jackson would guess UTF-16 or UTF-32 from zero bytes; NVD feeds are UTF-8 JSON, and a
    // file read in another encoding than another reader uses is refused rather than guessed.
    json.mark(4);
    byte[] head = json.readNBytes(4);
    json.reset();
    for (byte x : head) {
      if (x == 0) {
        throw malformed(source, "not UTF-8 JSON (a zero byte at the start); NVD feeds are"
            + " UTF-8");
      }
    }
    try (JsonParser p = FACTORY.createParser(json)) {
      return new Feed(p, source, sink).read();
    }
  }

  // The parser's message quotes the input; keep it one printable line (no terminal escapes).
  private static String firstLine(Exception e) {
    String m = String.valueOf(e.getMessage());
    return Cpe.printable(m.lines().findFirst().orElse(m));
  }

  /** One pass over one feed. */
  private static final class Feed {
    private final JsonParser p;
    private final String source;
    private final Consumer<NvdCve> sink;
    private final Set<String> ids = new HashSet<>();
    private long recordStart = -1;
    private String recordId = "";
    private Instant newest;

    Feed(JsonParser p, String source, Consumer<NvdCve> sink) {
      this.p = p;
      this.source = source;
      this.sink = sink;
    }

    Summary read() throws IOException, RefusalException {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw malformed(source, "not a JSON object; an NVD CVE API 2.0 feed is one object with"
            + " vulnerabilities[]");
      }
      boolean sawVulnerabilities = false;
      String format = null;
      String version = null;
      Instant timestamp = null;
      int count = 0;
      while (next() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken t = next();
        switch (field) {
          case "format" -> format = string(t, "format");
          case "version" -> version = string(t, "version");
          case "timestamp" -> timestamp = time(string(t, "timestamp"), "timestamp");
          case "CVE_Items" -> throw malformed(source, "an NVD 1.1 feed (CVE_Items), retired"
              + " by NVD in 2023; download the CVE API 2.0 feed (nvdcve-2.0-*.json.gz)");
          case "vulnerabilities" -> {
            if (t != JsonToken.START_ARRAY) {
              throw malformed(source, "vulnerabilities is not an array");
            }
            // NVD writes format and version first (and a key-sorted copy keeps them before
            // vulnerabilities): knowing the file is NVD 2.0 before any record reaches the sink
            // keeps another format's records out of it.
            checkFormat(format, version);
            sawVulnerabilities = true;
            while (next() != JsonToken.END_ARRAY) {
              if (++count > MAX_RECORDS) {
                throw new RefusalException(ReasonCode.SIZE_LIMIT, source + ": more than "
                    + MAX_RECORDS + " records; split the feed (NVD's yearly files are far"
                    + " smaller)");
              }
              NvdCve cve = vulnerability();
              sink.accept(cve);
            }
          }
          default -> skip();
        }
      }
      if (p.nextToken() != null) {
        throw malformed(source, "data after the feed's object; download the feed again");
      }
      checkFormat(format, version);
      if (!sawVulnerabilities) {
        throw malformed(source, "no vulnerabilities[]: not an NVD CVE API 2.0 feed");
      }
      return new Summary(count, Optional.ofNullable(timestamp), Optional.ofNullable(newest));
    }

    private void checkFormat(String format, String version) throws RefusalException {
      if (format == null || !format.equals("NVD_CVE") || version == null
          || !version.equals("2.0")) {
        throw malformed(source, "format " + (format == null ? "missing" : Cpe.printable(format))
            + ", version " + (version == null ? "missing" : Cpe.printable(version))
            + " before vulnerabilities; expected an NVD CVE API 2.0 feed (\"format\":"
            + " \"NVD_CVE\", \"version\": \"2.0\" first, as NVD writes them)");
      }
    }

    /** The next token, refusing the record once it has spent more than its bytes. */
    private JsonToken next() throws IOException, RefusalException {
      JsonToken t = p.nextToken();
      if (t == null) {
        throw malformed(source, "the feed ends in the middle (truncated); download it again");
      }
      if (recordStart >= 0) {
        long at = p.currentTokenLocation().getByteOffset();
        if (at - recordStart > MAX_RECORD_BYTES) {
          throw new RefusalException(ReasonCode.SIZE_LIMIT, source + ": record "
              + (recordId.isEmpty() ? "#" + (ids.size() + 1) : recordId) + " is larger than "
              + MAX_RECORD_BYTES + " bytes; no NVD record is, so this feed is not one NVD"
              + " published");
        }
      }
      return t;
    }

    /** Skips the value whose first token is current, token by token (bounded by next()). */
    private void skip() throws IOException, RefusalException {
      JsonToken t = p.currentToken();
      if (t != JsonToken.START_OBJECT && t != JsonToken.START_ARRAY) {
        return;
      }
      int depth = 1;
      while (depth > 0) {
        JsonToken x = next();
        if (x == JsonToken.START_OBJECT || x == JsonToken.START_ARRAY) {
          depth++;
        } else if (x == JsonToken.END_OBJECT || x == JsonToken.END_ARRAY) {
          depth--;
        }
      }
    }

    private NvdCve vulnerability() throws IOException, RefusalException {
      if (p.currentToken() != JsonToken.START_OBJECT) {
        throw malformed(source, "an element of vulnerabilities[] is not an object");
      }
      recordStart = p.currentTokenLocation().getByteOffset();
      recordId = "";
      NvdCve cve = null;
      while (next() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken t = next();
        if (field.equals("cve")) {
          if (t != JsonToken.START_OBJECT) {
            throw malformed(source, "a cve is not an object");
          }
          cve = cve();
        } else {
          skip();
        }
      }
      if (cve == null) {
        throw malformed(source, "an element of vulnerabilities[] has no cve");
      }
      if (!ids.add(cve.id())) {
        throw malformed(source, "two records with the id " + cve.id() + "; a feed lists each"
            + " CVE once, so this one was altered or concatenated: download it again");
      }
      if (newest == null || cve.lastModified().isAfter(newest)) {
        newest = cve.lastModified();
      }
      recordStart = -1;
      return cve;
    }

    private NvdCve cve() throws IOException, RefusalException {
      String id = null;
      Instant lastModified = null;
      String description = "";
      List<Cvss> metrics = List.of();
      List<Configuration> tree = List.of();
      while (next() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken t = next();
        switch (field) {
          case "id" -> {
            id = string(t, "cve.id");
            if (!CVE_ID.matcher(id).matches()) {
              throw malformed(source, "cve.id " + Cpe.printable(id) + " is not a CVE id"
                  + " (CVE-YYYY-NNNN)");
            }
            recordId = id;
          }
          case "lastModified" -> lastModified = time(string(t, "lastModified"),
              "lastModified");
          case "descriptions" -> description = descriptions(t);
          case "metrics" -> metrics = metrics(t);
          case "configurations" -> tree = configurations(t);
          default -> skip();
        }
      }
      if (id == null) {
        throw malformed(source, "a cve without an id");
      }
      if (lastModified == null) {
        throw malformed(source, id + ": no lastModified");
      }
      List<CpeRange> flat = new ArrayList<>();
      for (Configuration c : tree) {
        for (Node n : c.nodes()) {
          flat.addAll(n.cpeMatch());
        }
      }
      return new NvdCve(id, lastModified, description, metrics, flat, tree);
    }

    private String descriptions(JsonToken t) throws IOException, RefusalException {
      expect(t, JsonToken.START_ARRAY, "descriptions");
      String en = "";
      while (next() != JsonToken.END_ARRAY) {
        expect(p.currentToken(), JsonToken.START_OBJECT, "a description");
        String lang = null;
        String value = null;
        while (next() == JsonToken.FIELD_NAME) {
          String field = p.currentName();
          JsonToken v = next();
          switch (field) {
            case "lang" -> lang = string(v, "descriptions[].lang");
            case "value" -> value = string(v, "descriptions[].value");
            default -> skip();
          }
        }
        if (lang == null || value == null) {
          throw malformed(source, recordId + ": a description without lang or value");
        }
        if (lang.equals("en") && en.isEmpty()) {
          en = value;
        }
      }
      return en;
    }

    private record Scored(Cvss cvss, int versionRank, boolean primary) {}

    private List<Cvss> metrics(JsonToken t) throws IOException, RefusalException {
      expect(t, JsonToken.START_OBJECT, "metrics");
      List<Scored> all = new ArrayList<>();
      while (next() == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        JsonToken v = next();
        String version = METRIC_VERSIONS.get(key);
        if (version == null) {
          skip(); // a metric kind this reader does not grade by
          continue;
        }
        expect(v, JsonToken.START_ARRAY, "metrics." + key);
        while (next() != JsonToken.END_ARRAY) {
          all.add(metric(key, version));
        }
      }
      // Best first: the newest CVSS version, and within one NVD's own (Primary) before a CNA's
      // (Secondary); the sort is stable, so the feed's order breaks the remaining ties.
      all.sort(Comparator.comparingInt(Scored::versionRank)
          .thenComparing(s -> !s.primary()));
      return all.stream().map(Scored::cvss).toList();
    }

    private Scored metric(String key, String version) throws IOException, RefusalException {
      expect(p.currentToken(), JsonToken.START_OBJECT, "an element of metrics." + key);
      String src = null;
      String type = null;
      String v2Severity = null;
      String dataVersion = null;
      String vector = null;
      Double score = null;
      String severity = null;
      while (next() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken v = next();
        switch (field) {
          case "source" -> src = string(v, key + "[].source");
          case "type" -> type = string(v, key + "[].type");
          case "baseSeverity" -> v2Severity = string(v, key + "[].baseSeverity");
          case "cvssData" -> {
            expect(v, JsonToken.START_OBJECT, key + "[].cvssData");
            while (next() == JsonToken.FIELD_NAME) {
              String f = p.currentName();
              JsonToken w = next();
              switch (f) {
                case "version" -> dataVersion = string(w, "cvssData.version");
                case "vectorString" -> vector = string(w, "cvssData.vectorString");
                case "baseScore" -> {
                  if (w != JsonToken.VALUE_NUMBER_FLOAT && w != JsonToken.VALUE_NUMBER_INT) {
                    throw malformed(source, recordId + ": " + key
                        + " cvssData.baseScore is not a number");
                  }
                  score = p.getDoubleValue();
                }
                case "baseSeverity" -> severity = string(w, "cvssData.baseSeverity");
                default -> skip();
              }
            }
          }
          default -> skip();
        }
      }
      String where = recordId + ": " + key;
      // A v4.0 metric may come without baseScore: it is computed from the vector below.
      if (src == null || type == null || dataVersion == null || vector == null
          || (score == null && !version.equals("4.0"))) {
        throw malformed(source, where + " lacks source, type, cvssData.version, vectorString"
            + " or baseScore");
      }
      if (!type.equals("Primary") && !type.equals("Secondary")) {
        throw malformed(source, where + " type " + Cpe.printable(type)
            + " is neither Primary nor Secondary");
      }
      if (!dataVersion.equals(version)) {
        throw malformed(source, where + " holds a CVSS " + Cpe.printable(dataVersion)
            + " score; a score filed under another version would be graded by the wrong rules");
      }
      String prefix = version.equals("2.0") ? "AV:" : "CVSS:" + version + "/";
      if (!vector.startsWith(prefix)) {
        throw malformed(source, where + " vector " + Cpe.printable(vector)
            + " does not start with " + prefix);
      }
      if (version.equals("4.0")) {
        double computed;
        try {
          computed = Cvss4.baseScore(vector);
        } catch (IllegalArgumentException e) {
          throw malformed(source, where + " vector is not a CVSS 4.0 vector: "
              + Cpe.printable(e.getMessage()));
        }
        // NVD's (or the CNA's) stated score is kept when there is one, as for every version;
        // without one, the score FIRST's calculator gives for the vector.
        if (score == null) {
          score = computed;
        }
      } else if (!VECTORS.get(version).matcher(vector).matches()) {
        throw malformed(source, where + " vector " + Cpe.printable(vector) + " is not a CVSS "
            + version + " vector with every base metric once, in the specification's order");
      }
      if (!(score >= 0 && score <= 10)) {
        throw malformed(source, where + " baseScore " + score + " is outside 0..10");
      }
      // The score is NVD's; its stated severity must be the one the score has, or two readers
      // (one going by the score, one by the label) would grade the CVE differently.
      String stated = version.equals("2.0") ? v2Severity : severity;
      if (stated != null && !stated.equals(expectedSeverity(version, score))) {
        throw malformed(source, where + " baseSeverity " + Cpe.printable(stated)
            + " disagrees with baseScore " + score + " (" + expectedSeverity(version, score)
            + ")");
      }
      return new Scored(new Cvss(version, vector, score, src), VERSION_ORDER.indexOf(version),
          type.equals("Primary"));
    }

    private List<Configuration> configurations(JsonToken t) throws IOException,
        RefusalException {
      expect(t, JsonToken.START_ARRAY, "configurations");
      List<Configuration> out = new ArrayList<>();
      int[] matches = {0};
      while (next() != JsonToken.END_ARRAY) {
        expect(p.currentToken(), JsonToken.START_OBJECT, "a configuration");
        Operator op = Operator.OR;
        boolean negate = false;
        List<Node> nodes = null;
        while (next() == JsonToken.FIELD_NAME) {
          String field = p.currentName();
          JsonToken v = next();
          switch (field) {
            case "operator" -> op = operator(v, "configurations[].operator");
            case "negate" -> negate = bool(v, "configurations[].negate");
            case "nodes" -> {
              expect(v, JsonToken.START_ARRAY, "configurations[].nodes");
              nodes = new ArrayList<>();
              while (next() != JsonToken.END_ARRAY) {
                nodes.add(node(matches));
              }
            }
            default -> throw unknownKey(field, "a configuration");
          }
        }
        if (nodes == null || nodes.isEmpty()) {
          throw malformed(source, recordId + ": a configuration without nodes");
        }
        out.add(new Configuration(op, negate, nodes));
      }
      return out;
    }

    private Node node(int[] matches) throws IOException, RefusalException {
      expect(p.currentToken(), JsonToken.START_OBJECT, "a node");
      Operator op = null;
      boolean negate = false;
      List<CpeRange> cpeMatch = null;
      while (next() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken v = next();
        switch (field) {
          case "operator" -> op = operator(v, "nodes[].operator");
          case "negate" -> negate = bool(v, "nodes[].negate");
          case "cpeMatch" -> {
            expect(v, JsonToken.START_ARRAY, "nodes[].cpeMatch");
            cpeMatch = new ArrayList<>();
            while (next() != JsonToken.END_ARRAY) {
              if (++matches[0] > MAX_CPE_MATCHES) {
                throw new RefusalException(ReasonCode.SIZE_LIMIT, source + ": " + recordId
                    + " has more than " + MAX_CPE_MATCHES + " cpeMatch entries; no NVD"
                    + " record has, so this feed is not one NVD published");
              }
              cpeMatch.add(cpeMatch());
            }
          }
          default -> throw unknownKey(field, "a node");
        }
      }
      // operator and cpeMatch are required by the NVD 2.0 schema: guessing OR for a missing
      // operator could turn "X on Y" into "X or Y".
      if (op == null || cpeMatch == null || cpeMatch.isEmpty()) {
        throw malformed(source, recordId + ": a node without operator or cpeMatch");
      }
      return new Node(op, negate, cpeMatch);
    }

    private CpeRange cpeMatch() throws IOException, RefusalException {
      expect(p.currentToken(), JsonToken.START_OBJECT, "a cpeMatch");
      Boolean vulnerable = null;
      String criteria = null;
      String[] bounds = new String[4];
      while (next() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken v = next();
        switch (field) {
          case "vulnerable" -> vulnerable = bool(v, "cpeMatch[].vulnerable");
          case "criteria" -> criteria = string(v, "cpeMatch[].criteria");
          case "matchCriteriaId" -> string(v, "cpeMatch[].matchCriteriaId"); // NVD's own key
          case "versionStartIncluding" -> bounds[0] = version(v, field);
          case "versionStartExcluding" -> bounds[1] = version(v, field);
          case "versionEndIncluding" -> bounds[2] = version(v, field);
          case "versionEndExcluding" -> bounds[3] = version(v, field);
          default -> throw unknownKey(field, "a cpeMatch");
        }
      }
      if (vulnerable == null || criteria == null) {
        throw malformed(source, recordId + ": a cpeMatch without vulnerable or criteria");
      }
      if ((bounds[0] != null && bounds[1] != null) || (bounds[2] != null && bounds[3] != null)) {
        throw malformed(source, recordId + ": a cpeMatch with two start or two end versions");
      }
      Cpe cpe;
      try {
        cpe = Cpe.parseFormatted(criteria);
      } catch (RefusalException e) {
        throw malformed(source, recordId + ": " + e.reasons().get(0).message());
      }
      return new CpeRange(cpe, Optional.ofNullable(bounds[0]), Optional.ofNullable(bounds[1]),
          Optional.ofNullable(bounds[2]), Optional.ofNullable(bounds[3]), vulnerable);
    }

    /**
     * Configurations decide what is affected: a key this reader does not know there (NVD 1.1's
     * {@code children}, a new bound) could change the meaning, so it is refused rather than
     * skipped, unlike elsewhere in a record.
     */
    private RefusalException unknownKey(String field, String where) {
      return malformed(source, recordId + ": " + where + " has the key "
          + Cpe.printable(field) + ", which this reader does not know and which could change"
          + " what the configuration matches; update NEGuard or report the feed");
    }

    private String version(JsonToken t, String field) throws IOException, RefusalException {
      String v = string(t, recordId + " " + field);
      if (v.length() > CpeVersion.MAX_LENGTH || !v.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
        throw malformed(source, recordId + ": " + field + " " + Cpe.printable(v)
            + " is not a version (printable ASCII, at most " + CpeVersion.MAX_LENGTH + ")");
      }
      return v;
    }

    private Operator operator(JsonToken t, String what) throws IOException, RefusalException {
      String v = string(t, what);
      return switch (v) {
        case "AND" -> Operator.AND;
        case "OR" -> Operator.OR;
        default -> throw malformed(source, recordId + ": " + what + " is "
            + Cpe.printable(v) + ", not AND or OR");
      };
    }

    private boolean bool(JsonToken t, String what) throws RefusalException {
      if (t != JsonToken.VALUE_TRUE && t != JsonToken.VALUE_FALSE) {
        throw malformed(source, recordId + ": " + what + " is not true or false");
      }
      return t == JsonToken.VALUE_TRUE;
    }

    private String string(JsonToken t, String what) throws IOException, RefusalException {
      if (t != JsonToken.VALUE_STRING) {
        throw malformed(source, (recordId.isEmpty() ? "" : recordId + ": ") + what
            + " is not a string");
      }
      return p.getText();
    }

    private void expect(JsonToken t, JsonToken want, String what) throws RefusalException {
      if (t != want) {
        throw malformed(source, (recordId.isEmpty() ? "" : recordId + ": ") + what + " is not"
            + (want == JsonToken.START_ARRAY ? " an array" : " an object"));
      }
    }

    /** NVD writes UTC without a zone ({@code 2024-07-01T13:15:06.467}); a zone is accepted. */
    private Instant time(String v, String what) throws RefusalException {
      if (v.length() > 40) {
        throw malformed(source, (recordId.isEmpty() ? "" : recordId + ": ") + what
            + " is not an ISO-8601 time (" + v.length() + " characters)");
      }
      try {
        if (v.endsWith("Z") || v.matches(".*[+-][0-9]{2}:[0-9]{2}$")) {
          return OffsetDateTime.parse(v).toInstant();
        }
        return LocalDateTime.parse(v).toInstant(ZoneOffset.UTC);
      } catch (DateTimeParseException e) {
        throw malformed(source, (recordId.isEmpty() ? "" : recordId + ": ") + what + " "
            + Cpe.printable(v) + " is not an ISO-8601 time");
      }
    }
  }

  /** The rating a CVSS version gives a base score (v2: low < 4, medium < 7, high). */
  static String expectedSeverity(String version, double score) {
    if (version.equals("2.0")) {
      return score < 4 ? "LOW" : score < 7 ? "MEDIUM" : "HIGH";
    }
    return Severity.ofScore(score).name();
  }
}
