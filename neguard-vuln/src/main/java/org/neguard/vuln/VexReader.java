package org.neguard.vuln;

import static org.neguard.vuln.StrictJson.array;
import static org.neguard.vuln.StrictJson.malformed;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Reads a VEX document: CycloneDX VEX (a BOM whose {@code vulnerabilities[]} carry an {@code
 * analysis}, cyclonedx.org/capabilities/vex) or OpenVEX (openvex.dev, {@code statements[]}, both
 * the v0.2.0 object forms and the earlier string forms of {@code vulnerability} and
 * {@code products}).
 *
 * <p>Strict, because a VEX statement takes a finding out of the publication gate: duplicate keys
 * and trailing data are refused (two parsers must not read one document two ways); a document
 * larger than {@link #MAX_BYTES} is refused before it is parsed, and one read from a stream is
 * read no further than that; a statement whose status is unknown, a justification outside the
 * format's list, and above all a {@code not_affected} (or CycloneDX {@code false_positive})
 * without a justification or a non-blank impact statement are refused MALFORMED: "not affected"
 * must say why. Fields this reader does not use are skipped, as both formats grow by adding
 * fields.
 *
 * <p>Thread-safe.
 */
public final class VexReader {
  /** Largest document read: VEX documents are small; a huge one is refused unparsed. */
  public static final int MAX_BYTES = 4 << 20;
  /** Most statements in one document. */
  public static final int MAX_STATEMENTS = 20_000;

  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
  /** CVE, GHSA, OSV and distribution ids: no spaces, no control characters. */
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
  private static final Map<String, VexStatement.Status> CDX_STATES = Map.of(
      "not_affected", VexStatement.Status.NOT_AFFECTED,
      // A false positive is the strongest "not affected": the finding itself is wrong.
      "false_positive", VexStatement.Status.NOT_AFFECTED,
      "exploitable", VexStatement.Status.AFFECTED,
      "resolved", VexStatement.Status.FIXED,
      "resolved_with_pedigree", VexStatement.Status.FIXED,
      "in_triage", VexStatement.Status.UNDER_INVESTIGATION);
  private static final Set<String> CDX_JUSTIFICATIONS = Set.of("code_not_present",
      "code_not_reachable", "requires_configuration", "requires_dependency",
      "requires_environment", "protected_by_compiler", "protected_at_runtime",
      "protected_at_perimeter", "protected_by_mitigating_control");
  private static final Map<String, VexStatement.Status> OPENVEX_STATUS = Map.of(
      "not_affected", VexStatement.Status.NOT_AFFECTED,
      "affected", VexStatement.Status.AFFECTED,
      "fixed", VexStatement.Status.FIXED,
      "under_investigation", VexStatement.Status.UNDER_INVESTIGATION);
  private static final Set<String> OPENVEX_JUSTIFICATIONS = Set.of("component_not_present",
      "vulnerable_code_not_present", "vulnerable_code_not_in_execute_path",
      "vulnerable_code_cannot_be_controlled_by_adversary", "inline_mitigations_already_exist");

  private VexReader() {}

  /**
   * Reads at most {@link #MAX_BYTES} from {@code in} and parses them.
   *
   * @throws RefusalException SIZE_LIMIT (more than {@link #MAX_BYTES}) or MALFORMED
   * @throws IOException if {@code in} cannot be read
   */
  public static List<VexStatement> read(InputStream in, String source)
      throws IOException, RefusalException {
    byte[] bytes = in.readNBytes(MAX_BYTES + 1);
    if (bytes.length > MAX_BYTES) {
      throw tooLarge(source, "more than " + MAX_BYTES + " bytes");
    }
    return read(bytes, source);
  }

  /**
   * Parses {@code json}, named {@code source} in messages and in each statement (a file name).
   *
   * @return the statements, in document order; never empty
   * @throws RefusalException SIZE_LIMIT or MALFORMED
   */
  public static List<VexStatement> read(byte[] json, String source) throws RefusalException {
    if (json.length > MAX_BYTES) {
      throw tooLarge(source, json.length + " bytes, more than " + MAX_BYTES);
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
    List<VexStatement> out;
    if ("CycloneDX".equals(n.path("bomFormat").textValue())) {
      out = cycloneDx(n, source);
    } else if (n.path("@context").isTextual()
        && n.path("@context").textValue().startsWith("https://openvex.dev/ns")) {
      out = openVex(n, source);
    } else {
      throw malformed(source, "neither a CycloneDX document (bomFormat \"CycloneDX\") nor an"
          + " OpenVEX one (@context \"https://openvex.dev/ns/...\")");
    }
    if (out.isEmpty()) {
      throw malformed(source, "holds no VEX statement");
    }
    return out;
  }

  private static List<VexStatement> cycloneDx(JsonNode n, String source)
      throws RefusalException {
    JsonNode meta = n.path("metadata");
    String author = cdxAuthor(meta);
    Optional<Instant> docTime = optionalTime(meta, "timestamp", source);
    // affects[].ref names a component of this BOM by its bom-ref; the statement is about the
    // component's package URL.
    Map<String, String> purlByRef = new HashMap<>();
    for (JsonNode c : array(n, "components", source)) {
      collectRefs(c, purlByRef, source, 0);
    }
    if (!n.has("vulnerabilities")) {
      throw malformed(source, "a CycloneDX document without vulnerabilities[] is an SBOM, not"
          + " a VEX document");
    }
    List<VexStatement> out = new ArrayList<>();
    int i = 0;
    for (JsonNode v : array(n, "vulnerabilities", source)) {
      String where = "vulnerabilities[" + i++ + "]";
      limit(out, source);
      String id = id(v.get("id"), where + ".id", source);
      JsonNode analysis = v.get("analysis");
      if (analysis == null || !analysis.isObject()) {
        throw malformed(source, where + " (" + id + ") has no analysis: a VEX statement states"
            + " analysis.state (not_affected, exploitable, resolved, in_triage, false_positive)");
      }
      String state = string(analysis, "state", where + ".analysis", source)
          .orElseThrow(() -> malformed(source, where + " (" + id + ") has no analysis.state"));
      VexStatement.Status status = CDX_STATES.get(state);
      if (status == null) {
        throw malformed(source, where + " (" + id + "): unknown analysis.state \"" + state
            + "\"; one of " + new java.util.TreeSet<>(CDX_STATES.keySet()));
      }
      Optional<String> justification = string(analysis, "justification", where, source);
      if (justification.isPresent() && !CDX_JUSTIFICATIONS.contains(justification.get())) {
        throw malformed(source, where + " (" + id + "): unknown analysis.justification \""
            + justification.get() + "\"; one of " + new java.util.TreeSet<>(CDX_JUSTIFICATIONS));
      }
      Optional<String> detail = string(analysis, "detail", where, source)
          .filter(s -> !s.isBlank());
      requireReason(status, justification, detail, source, where + " (" + id + ")",
          "analysis.justification or analysis.detail");
      List<String> products = new ArrayList<>();
      for (JsonNode a : array(v, "affects", source)) {
        String ref = string(a, "ref", where + ".affects[]", source).orElseThrow(
            () -> malformed(source, where + " (" + id + "): an affects entry has no ref"));
        String purl = purlByRef.get(ref);
        if (purl == null && ref.startsWith("pkg:")) {
          purl = ref;
        }
        if (purl == null) {
          throw malformed(source, where + " (" + id + "): affects ref \"" + ref + "\" names"
              + " no component of this document with a purl, and is no package URL");
        }
        products.add(purl(purl, where, source));
      }
      Instant time = optionalTime(analysis, "lastUpdated", source)
          .or(() -> optionalTimeQuiet(analysis, "firstIssued"))
          .or(() -> optionalTimeQuiet(v, "updated"))
          .or(() -> optionalTimeQuiet(v, "published"))
          .or(() -> docTime)
          .orElseThrow(() -> malformed(source, where + " (" + id + ") has no time: give"
              + " metadata.timestamp or analysis.lastUpdated"));
      out.add(new VexStatement(id, products, status, justification, detail, author, time,
          source));
    }
    return out;
  }

  /** Components and their nested components: bom-ref to purl. */
  private static void collectRefs(JsonNode c, Map<String, String> purlByRef, String source,
      int depth) throws RefusalException {
    if (depth > 32) {
      throw malformed(source, "components nested deeper than 32");
    }
    String ref = c.path("bom-ref").textValue();
    String purl = c.path("purl").textValue();
    if (ref != null && purl != null && purlByRef.put(ref, purl) != null) {
      throw malformed(source, "two components with bom-ref \"" + ref + "\"");
    }
    for (JsonNode sub : array(c, "components", source)) {
      collectRefs(sub, purlByRef, source, depth + 1);
    }
  }

  private static String cdxAuthor(JsonNode meta) {
    for (JsonNode a : meta.path("authors")) {
      if (a.path("name").isTextual() && !a.path("name").textValue().isBlank()) {
        return a.path("name").textValue();
      }
    }
    for (String who : List.of("manufacturer", "supplier", "manufacture")) {
      if (meta.path(who).path("name").isTextual()) {
        return meta.path(who).path("name").textValue();
      }
    }
    return "(not stated)";
  }

  private static List<VexStatement> openVex(JsonNode n, String source) throws RefusalException {
    String author = string(n, "author", "document", source).filter(s -> !s.isBlank())
        .orElseThrow(() -> malformed(source, "an OpenVEX document without author"));
    Instant docTime = optionalTime(n, "timestamp", source)
        .orElseThrow(() -> malformed(source, "an OpenVEX document without timestamp"));
    if (!n.has("statements")) {
      throw malformed(source, "an OpenVEX document without statements[]");
    }
    List<VexStatement> out = new ArrayList<>();
    int i = 0;
    for (JsonNode s : array(n, "statements", source)) {
      String where = "statements[" + i++ + "]";
      limit(out, source);
      if (!s.isObject()) {
        throw malformed(source, where + " is not an object");
      }
      JsonNode vuln = s.get("vulnerability");
      String id = id(vuln != null && vuln.isObject() ? vuln.get("name") : vuln,
          where + ".vulnerability.name", source);
      String st = string(s, "status", where, source)
          .orElseThrow(() -> malformed(source, where + " (" + id + ") has no status"));
      VexStatement.Status status = OPENVEX_STATUS.get(st);
      if (status == null) {
        throw malformed(source, where + " (" + id + "): unknown status \"" + st + "\"; one of "
            + new java.util.TreeSet<>(OPENVEX_STATUS.keySet()));
      }
      Optional<String> justification = string(s, "justification", where, source);
      if (justification.isPresent() && !OPENVEX_JUSTIFICATIONS.contains(justification.get())) {
        throw malformed(source, where + " (" + id + "): unknown justification \""
            + justification.get() + "\"; one of " + new java.util.TreeSet<>(OPENVEX_JUSTIFICATIONS));
      }
      Optional<String> impact = string(s, "impact_statement", where, source)
          .filter(x -> !x.isBlank());
      requireReason(status, justification, impact, source, where + " (" + id + ")",
          "justification or impact_statement");
      // A product with subcomponents means "these components inside that product": both the
      // product and its subcomponents are listed; a finding's component must be one of them.
      LinkedHashSet<String> products = new LinkedHashSet<>();
      for (JsonNode p : array(s, "products", source)) {
        products.add(purl(productId(p, where, source), where, source));
        for (JsonNode sub : array(p, "subcomponents", source)) {
          products.add(purl(productId(sub, where, source), where, source));
        }
      }
      if (s.has("products") && products.isEmpty()) {
        throw malformed(source, where + " (" + id + "): products[] is empty; leave it out to"
            + " speak of the whole package");
      }
      Instant time = optionalTime(s, "timestamp", source).orElse(docTime);
      out.add(new VexStatement(id, List.copyOf(products), status, justification, impact,
          author, time, source));
    }
    return out;
  }

  /** OpenVEX v0.2.0 {@code {"@id": purl, "identifiers": {"purl": ...}}} or v0.0.x a string. */
  private static String productId(JsonNode p, String where, String source)
      throws RefusalException {
    if (p.isTextual()) {
      return p.textValue();
    }
    if (p.isObject()) {
      String purl = p.path("identifiers").path("purl").textValue();
      String id = p.path("@id").textValue();
      if (purl != null && id != null && id.startsWith("pkg:") && !id.equals(purl)) {
        throw malformed(source, where + ": a product's @id " + id + " and identifiers.purl "
            + purl + " differ");
      }
      if (purl != null) {
        return purl;
      }
      if (id != null) {
        return id;
      }
    }
    throw malformed(source, where + ": a product is neither a package URL nor an object with"
        + " @id or identifiers.purl");
  }

  private static String purl(String s, String where, String source) throws RefusalException {
    try {
      Vex.Purl.parse(s);
    } catch (IllegalArgumentException e) {
      throw malformed(source, where + ": product " + shorten(s) + " is not a package URL ("
          + e.getMessage() + ")");
    }
    return s;
  }

  private static void requireReason(VexStatement.Status status, Optional<String> justification,
      Optional<String> text, String source, String where, String fields)
      throws RefusalException {
    if (status == VexStatement.Status.NOT_AFFECTED && justification.isEmpty()
        && text.isEmpty()) {
      throw malformed(source, where + " says not affected without a reason: give " + fields
          + " (why the product is not affected); a bare \"not affected\" is not accepted");
    }
  }

  private static void limit(List<VexStatement> out, String source) throws RefusalException {
    if (out.size() >= MAX_STATEMENTS) {
      throw tooLarge(source, "more than " + MAX_STATEMENTS + " statements");
    }
  }

  private static String id(JsonNode v, String field, String source) throws RefusalException {
    if (v == null || !v.isTextual() || !ID.matcher(v.textValue()).matches()) {
      throw malformed(source, field + " is missing or not a vulnerability id (CVE-…, GHSA-…)"
          + (v != null && v.isTextual() ? ": " + shorten(v.textValue()) : ""));
    }
    return v.textValue();
  }

  private static Optional<String> string(JsonNode n, String field, String where, String source)
      throws RefusalException {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return Optional.empty();
    }
    if (!v.isTextual()) {
      throw malformed(source, where + "." + field + " is not a string");
    }
    return Optional.of(v.textValue());
  }

  private static Optional<Instant> optionalTime(JsonNode n, String field, String source)
      throws RefusalException {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return Optional.empty();
    }
    Optional<Instant> t = optionalTimeQuiet(n, field);
    if (t.isEmpty()) {
      throw malformed(source, field + " is not an RFC 3339 time: " + shorten(v.asText()));
    }
    return t;
  }

  private static Optional<Instant> optionalTimeQuiet(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      return Optional.empty();
    }
    try {
      return Optional.of(OffsetDateTime.parse(v.textValue()).toInstant());
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  private static String shorten(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "…" : s;
  }

  private static RefusalException tooLarge(String source, String what) {
    return new RefusalException(ReasonCode.SIZE_LIMIT, source + ": a VEX document of " + what
        + "; split it or leave out what does not concern this package");
  }
}
