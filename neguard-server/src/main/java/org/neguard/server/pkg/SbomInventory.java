package org.neguard.server.pkg;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.neguard.vuln.Component;
import org.neguard.vuln.DebianVersion;
import org.neguard.vuln.Inventory;
import org.neguard.vuln.Vex;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The components of a bundle's CycloneDX SBOM, as the publication gate assesses them: each
 * {@code components[]} entry (nested ones too) with a package URL. Strict as every document the
 * gate reads (duplicate keys and trailing data refused), bounded (the SBOM's size is bounded by
 * the bundle reader before it is read; here the number of components and the nesting).
 *
 * <p>Interim reader until {@code CycloneDx} of neguard-vuln (issue 16, helper sbom) replaces
 * it: the same rules, fewer formats.
 */
final class SbomInventory {
  static final int MAX_COMPONENTS = 100_000;
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
  /** OSV ecosystem names of package URL types. */
  private static final Map<String, String> ECOSYSTEMS = Map.of("maven", "Maven", "npm", "npm",
      "pypi", "PyPI", "golang", "Go", "cargo", "crates.io", "gem", "RubyGems", "nuget", "NuGet");

  /**
   * What the SBOM lists.
   *
   * @param inventory the components with a package URL the database can be asked about
   * @param notAssessed components without one (or of an unknown kind): listed, never a pass
   */
  record Result(Inventory inventory, List<String> notAssessed) {}

  private SbomInventory() {}

  static Result read(byte[] sbom, String source) throws RefusalException {
    JsonNode n;
    try {
      n = MAPPER.readTree(sbom);
    } catch (IOException e) {
      throw malformed(source, "not strict JSON (" + String.valueOf(e.getMessage()).lines()
          .findFirst().orElse("") + ")");
    }
    if (n == null || !n.isObject() || !"CycloneDX".equals(n.path("bomFormat").textValue())) {
      throw malformed(source, "not a CycloneDX JSON document (bomFormat \"CycloneDX\")");
    }
    List<Component> components = new ArrayList<>();
    List<String> notAssessed = new ArrayList<>();
    collect(n.get("components"), source, 0, components, notAssessed);
    return new Result(new Inventory(components, List.of()), notAssessed);
  }

  private static void collect(JsonNode list, String source, int depth, List<Component> out,
      List<String> notAssessed) throws RefusalException {
    if (list == null || list.isNull()) {
      return;
    }
    if (!list.isArray()) {
      throw malformed(source, "components is not an array");
    }
    if (depth > 32) {
      throw malformed(source, "components nested deeper than 32");
    }
    for (JsonNode c : list) {
      if (out.size() + notAssessed.size() >= MAX_COMPONENTS) {
        throw new RefusalException(ReasonCode.SIZE_LIMIT, source + ": more than "
            + MAX_COMPONENTS + " components");
      }
      JsonNode purl = c.get("purl");
      if (purl == null || purl.isNull()) {
        notAssessed.add(c.path("name").asText("(unnamed)") + " (no purl)");
      } else if (!purl.isTextual()) {
        throw malformed(source, "a component's purl is not a string");
      } else {
        Optional<Component> comp = component(purl.textValue(), source);
        if (comp.isPresent()) {
          out.add(comp.get());
        } else {
          notAssessed.add(purl.textValue());
        }
      }
      collect(c.get("components"), source, depth + 1, out, notAssessed);
    }
  }

  /**
   * The component a package URL names: a Debian package of the release its {@code distro}
   * qualifier names ({@code debian-12} is {@code Debian:12}), with its source package from the
   * {@code upstream} qualifier ({@code name} or {@code name@version}, as syft writes it); an
   * ecosystem package by the type's OSV ecosystem. Empty when the kind is not one advisories
   * name.
   */
  static Optional<Component> component(String purl, String source) throws RefusalException {
    Vex.Purl p;
    try {
      p = Vex.Purl.parse(purl);
    } catch (IllegalArgumentException e) {
      throw malformed(source, "component purl " + shorten(purl) + " is not a package URL ("
          + e.getMessage() + ")");
    }
    if (p.version().isEmpty()) {
      throw malformed(source, "component " + shorten(purl) + " has no version; an SBOM names"
          + " what the package carries, at the version it carries");
    }
    if (p.type().equals("deb")) {
      String distro = p.qualifiers().getOrDefault("distro", "");
      if (!distro.matches("debian-[0-9]{1,3}")) {
        return Optional.empty();
      }
      checkDebian(p.version(), purl, source);
      Optional<Component.Source> src = Optional.empty();
      String upstream = p.qualifiers().get("upstream");
      if (upstream != null) {
        int at = upstream.indexOf('@');
        String srcVersion = at < 0 ? p.version() : upstream.substring(at + 1);
        checkDebian(srcVersion, purl, source);
        src = Optional.of(new Component.Source(at < 0 ? upstream : upstream.substring(0, at),
            srcVersion));
      }
      return Optional.of(new Component("Debian:" + distro.substring(7), p.name(), p.version(),
          purl, src, Optional.empty()));
    }
    String ecosystem = ECOSYSTEMS.get(p.type());
    if (ecosystem == null) {
      return Optional.empty();
    }
    String name = p.namespace().isEmpty() ? p.name()
        : p.type().equals("maven") ? p.namespace() + ":" + p.name()
        : p.namespace() + "/" + p.name();
    return Optional.of(new Component(ecosystem, name, p.version(), purl, Optional.empty(),
        Optional.empty()));
  }

  private static void checkDebian(String version, String purl, String source)
      throws RefusalException {
    try {
      DebianVersion.parse(version);
    } catch (IllegalArgumentException e) {
      throw malformed(source, "component " + shorten(purl) + ": " + e.getMessage());
    }
  }

  private static String shorten(String s) {
    return s.length() > 120 ? s.substring(0, 120) + "…" : s;
  }

  private static RefusalException malformed(String source, String message) {
    return new RefusalException(ReasonCode.MALFORMED, source + ": " + message);
  }
}
