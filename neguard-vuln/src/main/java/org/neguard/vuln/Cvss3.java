package org.neguard.vuln;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The CVSS v3.0 and v3.1 base score, computed from the vector string exactly as the FIRST
 * specifications say (sections 7.1 and 7.4, and for v3.1 Appendix A's integer "Roundup", which
 * v3.1 introduced so that floating-point error cannot lift 4.0 to 4.1). A feed's vector is
 * recomputed rather than its score believed: OSV records carry only the vector.
 *
 * <p>Strict: the {@code CVSS:3.x/} prefix, all eight base metrics exactly once with a defined
 * value, temporal and environmental metrics allowed (ignored for the base score) but each at most
 * once; anything else is refused.
 */
public final class Cvss3 {
  private static final List<String> BASE = List.of("AV", "AC", "PR", "UI", "S", "C", "I", "A");
  private static final Set<String> OTHER = Set.of("E", "RL", "RC", "CR", "IR", "AR", "MAV",
      "MAC", "MPR", "MUI", "MS", "MC", "MI", "MA");

  private Cvss3() {}

  /**
   * The base score of {@code vector} ({@code CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H} is
   * 9.8).
   *
   * @throws IllegalArgumentException naming the vector and what is wrong with it
   */
  public static double baseScore(String vector) {
    if (vector == null || vector.length() > 200) {
      throw new IllegalArgumentException("CVSS vector missing or longer than 200 characters");
    }
    boolean v30;
    if (vector.startsWith("CVSS:3.0/")) {
      v30 = true;
    } else if (vector.startsWith("CVSS:3.1/")) {
      v30 = false;
    } else {
      throw new IllegalArgumentException("not a CVSS v3.0/v3.1 vector (no CVSS:3.x/ prefix): "
          + vector);
    }
    Map<String, String> m = new HashMap<>();
    for (String part : vector.substring(9).split("/", -1)) {
      int colon = part.indexOf(':');
      if (colon <= 0 || colon == part.length() - 1) {
        throw new IllegalArgumentException("CVSS vector part '" + part + "' is not METRIC:VALUE"
            + " in " + vector);
      }
      String k = part.substring(0, colon);
      if (!BASE.contains(k) && !OTHER.contains(k)) {
        throw new IllegalArgumentException("unknown CVSS v3 metric " + k + " in " + vector);
      }
      if (m.put(k, part.substring(colon + 1)) != null) {
        throw new IllegalArgumentException("CVSS metric " + k + " given twice in " + vector);
      }
    }
    for (String k : BASE) {
      if (!m.containsKey(k)) {
        throw new IllegalArgumentException("CVSS base metric " + k + " missing in " + vector);
      }
    }
    boolean changed = switch (m.get("S")) {
      case "U" -> false;
      case "C" -> true;
      default -> throw bad(vector, "S");
    };
    double av = switch (m.get("AV")) {
      case "N" -> 0.85;
      case "A" -> 0.62;
      case "L" -> 0.55;
      case "P" -> 0.2;
      default -> throw bad(vector, "AV");
    };
    double ac = switch (m.get("AC")) {
      case "L" -> 0.77;
      case "H" -> 0.44;
      default -> throw bad(vector, "AC");
    };
    double pr = switch (m.get("PR")) {
      case "N" -> 0.85;
      case "L" -> changed ? 0.68 : 0.62;
      case "H" -> changed ? 0.5 : 0.27;
      default -> throw bad(vector, "PR");
    };
    double ui = switch (m.get("UI")) {
      case "N" -> 0.85;
      case "R" -> 0.62;
      default -> throw bad(vector, "UI");
    };
    double c = cia(m.get("C"), vector, "C");
    double i = cia(m.get("I"), vector, "I");
    double a = cia(m.get("A"), vector, "A");
    double iss = 1 - ((1 - c) * (1 - i) * (1 - a));
    double impact = changed ? 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15)
        : 6.42 * iss;
    double exploitability = 8.22 * av * ac * pr * ui;
    if (impact <= 0) {
      return 0.0;
    }
    double raw = changed ? Math.min(1.08 * (impact + exploitability), 10)
        : Math.min(impact + exploitability, 10);
    return v30 ? roundup30(raw) : roundup(raw);
  }

  /**
   * CVSS v3.1 Appendix A: the smallest number with one decimal place at or above {@code x},
   * computed on integers (100,000ths) so that 4.000000000000001 gives 4.0, not 4.1.
   */
  static double roundup(double x) {
    long i = Math.round(x * 100_000);
    if (i % 10_000 == 0) {
      return i / 100_000.0;
    }
    return (Math.floor(i / 10_000.0) + 1) / 10.0;
  }

  /** CVSS v3.0's Roundup as that specification defines it (section 7.4). */
  static double roundup30(double x) {
    return Math.ceil(x * 10) / 10.0;
  }

  private static double cia(String v, String vector, String metric) {
    return switch (v) {
      case "H" -> 0.56;
      case "L" -> 0.22;
      case "N" -> 0;
      default -> throw bad(vector, metric);
    };
  }

  private static IllegalArgumentException bad(String vector, String metric) {
    return new IllegalArgumentException("CVSS metric " + metric + " has no defined value in "
        + vector);
  }
}
