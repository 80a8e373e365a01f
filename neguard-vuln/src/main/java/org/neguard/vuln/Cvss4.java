package org.neguard.vuln;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CVSS v4.0 score of a vector string (FIRST's CVSS v4.0 Specification Document v1.2,
 * Section 8: the vector's MacroVector, that MacroVector's score from FIRST's lookup table, less
 * the mean proportional severity distance to the next lower MacroVectors, rounded to one
 * decimal), computed by us.springett:cvss-calculator ({@code CvssV4}, which implements that
 * algorithm and table). The score is CVSS-B for a vector of Base metrics only and CVSS-BT,
 * CVSS-BE or CVSS-BTE when Threat or Environmental metrics are given (an omitted or {@code X}
 * metric takes the value the specification gives it); Supplemental metrics never change it.
 *
 * <p>The vector is parsed here first, strictly, as Section 7 says: the {@code CVSS:4.0/} prefix,
 * every Base metric, each metric at most once and in the order of Table 23 ("every other
 * ordering is invalid"), each value one Table 23 defines (case sensitive), no empty part. The
 * library's own parser is lenient (it scores a vector whose metrics are out of order, or that
 * ends in "/"), so only a vector this parser accepts reaches it. Anything else is refused, never
 * scored by guess: a vector whose meaning is in doubt has no score, and its finding stays
 * UNKNOWN. Stateless and thread-safe.
 */
public final class Cvss4 {
  /** Longer than any valid vector (every metric given, U:Amber): refused before parsing. */
  static final int MAX_LENGTH = 256;
  private static final String PREFIX = "CVSS:4.0/";

  /** Table 23: every metric in the specification's order, with its values. */
  private static final Map<String, List<String>> METRICS = metrics();
  private static final List<String> ORDER = List.copyOf(METRICS.keySet());
  private static final int BASE_COUNT = 11;
  private static final List<String> THREAT = List.of("E");
  private static final List<String> ENVIRONMENTAL = List.of("CR", "IR", "AR", "MAV", "MAC",
      "MAT", "MPR", "MUI", "MVC", "MVI", "MVA", "MSC", "MSI", "MSA");

  private Cvss4() {}

  /**
   * A scored vector.
   *
   * @param score 0.0 to 10.0, one decimal
   * @param nomenclature {@code CVSS-B}, {@code CVSS-BT}, {@code CVSS-BE} or {@code CVSS-BTE}:
   *     which metric groups the score takes into account
   */
  public record Score(double score, String nomenclature) {
    public Score {
      Severity.ofScore(score);
    }

    public Severity severity() {
      return Severity.ofScore(score);
    }
  }

  /**
   * The score of {@code vector}
   * ({@code CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N} is 9.3, CVSS-B).
   *
   * @throws IllegalArgumentException naming the vector and what is wrong with it
   */
  public static Score score(String vector) {
    Map<String, String> m = parse(vector);
    String nomenclature = "CVSS-B"
        + (THREAT.stream().anyMatch(k -> !m.get(k).equals("X")) ? "T" : "")
        + (ENVIRONMENTAL.stream().anyMatch(k -> !m.get(k).equals("X")) ? "E" : "");
    us.springett.cvss.Cvss scored = us.springett.cvss.Cvss.fromVector(vector);
    if (!(scored instanceof us.springett.cvss.CvssV4)) {
      // A vector this parser accepts is one the library reads; anything else is a disagreement
      // between the two readers, never a reason to score by guess.
      throw new IllegalStateException("the CVSS library did not read " + vector + " as v4.0");
    }
    return new Score(scored.calculateScore().getBaseScore(), nomenclature);
  }

  /** The score of {@code vector}, for a caller that needs only the number. */
  public static double baseScore(String vector) {
    return score(vector).score();
  }

  /**
   * Every metric of Table 23 with its value in {@code vector}, {@code X} for an optional metric
   * it omits.
   */
  static Map<String, String> parse(String vector) {
    if (vector == null || vector.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("CVSS v4.0 vector missing or longer than " + MAX_LENGTH
          + " characters");
    }
    if (!vector.startsWith(PREFIX)) {
      throw new IllegalArgumentException("not a CVSS v4.0 vector (no CVSS:4.0/ prefix): "
          + vector);
    }
    Map<String, String> m = new HashMap<>();
    int last = -1;
    for (String part : vector.substring(PREFIX.length()).split("/", -1)) {
      int colon = part.indexOf(':');
      if (colon <= 0 || colon == part.length() - 1 || part.indexOf(':', colon + 1) >= 0) {
        throw new IllegalArgumentException("CVSS vector part '" + part + "' is not METRIC:VALUE"
            + " in " + vector);
      }
      String k = part.substring(0, colon);
      String v = part.substring(colon + 1);
      List<String> values = METRICS.get(k);
      if (values == null) {
        throw new IllegalArgumentException("unknown CVSS v4.0 metric " + k + " in " + vector);
      }
      if (m.containsKey(k)) {
        throw new IllegalArgumentException("CVSS metric " + k + " given twice in " + vector);
      }
      if (!values.contains(v)) {
        throw new IllegalArgumentException("CVSS v4.0 metric " + k + " has no value " + v
            + " (" + String.join(", ", values) + ") in " + vector);
      }
      int at = ORDER.indexOf(k);
      if (at < last) {
        throw new IllegalArgumentException("CVSS v4.0 metric " + k + " out of the"
            + " specification's order (Table 23: any other ordering is invalid) in " + vector);
      }
      last = at;
      m.put(k, v);
    }
    for (String k : ORDER.subList(0, BASE_COUNT)) {
      if (!m.containsKey(k)) {
        throw new IllegalArgumentException("CVSS base metric " + k + " missing in " + vector);
      }
    }
    for (String k : ORDER.subList(BASE_COUNT, ORDER.size())) {
      m.putIfAbsent(k, "X");
    }
    return m;
  }

  private static Map<String, List<String>> metrics() {
    Map<String, List<String>> t = new LinkedHashMap<>();
    List<String> impact = List.of("H", "L", "N");
    List<String> requirement = List.of("X", "H", "M", "L");
    t.put("AV", List.of("N", "A", "L", "P"));
    t.put("AC", List.of("L", "H"));
    t.put("AT", List.of("N", "P"));
    t.put("PR", List.of("N", "L", "H"));
    t.put("UI", List.of("N", "P", "A"));
    for (String k : List.of("VC", "VI", "VA", "SC", "SI", "SA")) {
      t.put(k, impact);
    }
    t.put("E", List.of("X", "A", "P", "U"));
    t.put("CR", requirement);
    t.put("IR", requirement);
    t.put("AR", requirement);
    t.put("MAV", List.of("X", "N", "A", "L", "P"));
    t.put("MAC", List.of("X", "L", "H"));
    t.put("MAT", List.of("X", "N", "P"));
    t.put("MPR", List.of("X", "N", "L", "H"));
    t.put("MUI", List.of("X", "N", "P", "A"));
    for (String k : List.of("MVC", "MVI", "MVA", "MSC")) {
      t.put(k, List.of("X", "N", "L", "H"));
    }
    t.put("MSI", List.of("X", "N", "L", "H", "S"));
    t.put("MSA", List.of("X", "N", "L", "H", "S"));
    t.put("S", List.of("X", "N", "P"));
    t.put("AU", List.of("X", "N", "Y"));
    t.put("R", List.of("X", "A", "U", "I"));
    t.put("V", List.of("X", "D", "C"));
    t.put("RE", List.of("X", "L", "M", "H"));
    t.put("U", List.of("X", "Clear", "Green", "Amber", "Red"));
    return java.util.Collections.unmodifiableMap(t);
  }
}
