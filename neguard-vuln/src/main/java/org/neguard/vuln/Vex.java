package org.neguard.vuln;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Applies VEX statements to an {@link Assessment}.
 *
 * <p>A statement applies to a finding when both hold:
 *
 * <ul>
 *   <li>its vulnerability is the finding's advisory id or one of the finding's CVE ids (exactly,
 *       as the ids are written);
 *   <li>it names no product (it speaks of the package it was given for as a whole), or one of its
 *       products is the finding's component's package URL: the same type, namespace, name,
 *       version, qualifiers (in any order) and subpath. Nothing looser: a package URL without a
 *       version, with other qualifiers, or that merely starts like the component's does not
 *       apply, so a statement about one version or build never silences another.
 * </ul>
 *
 * <p>When several statements apply, the newest decides; of two equally new ones, the one that
 * does not suppress (fail closed). The finding stays in the assessment with the statement
 * attached ({@link Finding#vex()}); only a {@code NOT_AFFECTED} one takes it out of {@link
 * Assessment#failing}.
 */
public final class Vex {
  private Vex() {}

  /** {@code assessment} with each finding carrying the statement that applies to it, if any. */
  public static Assessment apply(Assessment assessment, List<VexStatement> statements) {
    List<Finding> out = new ArrayList<>(assessment.findings().size());
    int applied = 0;
    for (Finding f : assessment.findings()) {
      Optional<VexStatement> s = deciding(f, statements);
      if (s.isPresent()) {
        applied++;
        out.add(f.withVex(s.get()));
      } else {
        out.add(f);
      }
    }
    String method = statements.isEmpty() ? assessment.method() : assessment.method()
        + "; VEX: " + statements.size() + " statement(s) read, " + applied + " finding(s) with"
        + " one that applies (same vulnerability id, same package URL or none)";
    return new Assessment(out, assessment.feeds(), method, assessment.components(),
        assessment.assessed(), assessment.notAssessed());
  }

  /** The statement that decides about {@code f}: the newest that applies, suppression last. */
  static Optional<VexStatement> deciding(Finding f, List<VexStatement> statements) {
    return statements.stream().filter(s -> applies(s, f))
        .max(Comparator.comparing(VexStatement::timestamp)
            .thenComparing(s -> s.status() != VexStatement.Status.NOT_AFFECTED));
  }

  /** Whether {@code s} speaks of {@code f}'s vulnerability and component. */
  public static boolean applies(VexStatement s, Finding f) {
    boolean sameVulnerability = s.vulnerability().equals(f.advisoryId())
        || f.cves().contains(s.vulnerability());
    if (!sameVulnerability) {
      return false;
    }
    if (s.products().isEmpty()) {
      return true;
    }
    Optional<Purl> component = Purl.tryParse(f.component().purl());
    return component.isPresent()
        && s.products().stream().map(Purl::tryParse).flatMap(Optional::stream)
            .anyMatch(component.get()::equals);
  }

  /**
   * A package URL (github.com/package-url/purl-spec) taken apart, each part percent-decoded, so
   * that two spellings of one package compare equal and nothing else does.
   *
   * @param qualifiers sorted by key (keys are case-insensitive, stored lower case)
   */
  record Purl(String type, String namespace, String name, String version,
      Map<String, String> qualifiers, String subpath) {
    static Optional<Purl> tryParse(String s) {
      try {
        return Optional.of(parse(s));
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
    }

    /**
     * Parses by the specification's order: subpath from the right at {@code #}, qualifiers at
     * {@code ?}, the version at the last {@code @}, then type, namespace and name at {@code /}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    static Purl parse(String s) {
      if (s.length() > 2048) {
        throw new IllegalArgumentException("longer than 2048 characters");
      }
      if (!s.startsWith("pkg:")) {
        throw new IllegalArgumentException("does not start with pkg:");
      }
      String rest = s.substring(4);
      while (rest.startsWith("/")) {
        rest = rest.substring(1);
      }
      String subpath = "";
      int hash = rest.indexOf('#');
      if (hash >= 0) {
        subpath = decode(rest.substring(hash + 1));
        rest = rest.substring(0, hash);
      }
      Map<String, String> qualifiers = new TreeMap<>();
      int q = rest.indexOf('?');
      if (q >= 0) {
        for (String kv : rest.substring(q + 1).split("&")) {
          int eq = kv.indexOf('=');
          if (eq <= 0) {
            throw new IllegalArgumentException("qualifier without key=value: " + kv);
          }
          String value = decode(kv.substring(eq + 1));
          if (value.isEmpty()) {
            continue; // the specification drops empty qualifiers
          }
          String key = kv.substring(0, eq).toLowerCase(java.util.Locale.ROOT);
          if (qualifiers.put(key, value) != null) {
            throw new IllegalArgumentException("qualifier " + key + " given twice");
          }
        }
        rest = rest.substring(0, q);
      }
      String version = "";
      int at = rest.lastIndexOf('@');
      if (at >= 0) {
        version = decode(rest.substring(at + 1));
        rest = rest.substring(0, at);
        if (version.isEmpty()) {
          throw new IllegalArgumentException("empty version after @");
        }
      }
      int slash = rest.indexOf('/');
      if (slash <= 0) {
        throw new IllegalArgumentException("no type/name");
      }
      String type = rest.substring(0, slash).toLowerCase(java.util.Locale.ROOT);
      if (!type.matches("[a-z.+-][a-z0-9.+-]*")) {
        throw new IllegalArgumentException("bad type " + type);
      }
      String path = rest.substring(slash + 1).replaceAll("/+$", "");
      int last = path.lastIndexOf('/');
      String name = decode(path.substring(last + 1));
      if (name.isEmpty()) {
        throw new IllegalArgumentException("no name");
      }
      List<String> ns = new ArrayList<>();
      if (last > 0) {
        for (String seg : path.substring(0, last).split("/")) {
          if (!seg.isEmpty()) {
            ns.add(decode(seg));
          }
        }
      }
      return new Purl(type, String.join("/", ns), name, version, Map.copyOf(qualifiers),
          subpath.replaceAll("^/+|/+$", ""));
    }

    private static String decode(String s) {
      // '+' is a literal plus in a package URL (Debian versions carry it), not a space.
      return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
  }
}
