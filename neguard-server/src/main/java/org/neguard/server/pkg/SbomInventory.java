package org.neguard.server.pkg;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.neguard.vuln.Component;
import org.neguard.vuln.Inventory;
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
   * The component a package URL names ({@link Component#ofPurl}: a Debian package of the
   * release its {@code distro} qualifier names, its source package from {@code upstream}; an
   * ecosystem package by the type's OSV ecosystem; other kinds the database reports as not
   * assessed).
   */
  static Optional<Component> component(String purl, String source) throws RefusalException {
    try {
      return Optional.of(Component.ofPurl(purl));
    } catch (IllegalArgumentException e) {
      throw malformed(source, "component " + shorten(purl) + ": " + e.getMessage()
          + "; an SBOM names what the package carries, at the version it carries");
    }
  }

  private static String shorten(String s) {
    return s.length() > 120 ? s.substring(0, 120) + "…" : s;
  }

  private static RefusalException malformed(String source, String message) {
    return new RefusalException(ReasonCode.MALFORMED, source + ": " + message);
  }
}
