package org.neguard.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import java.util.Optional;
import org.neguard.verdict.RefusalException;

/**
 * What an NE needs to know of a target before it downloads it, in the target's
 * {@code custom.neguard}: signed by the targets role with the rest of the entry.
 *
 * @param name the package name
 * @param version the package version
 * @param securityVersion the anti-rollback counter (the manifest's securityVersion), >= 0
 * @param neType the NE type the package is for
 * @param rim the package's tree digest (its reference integrity measurement)
 */
public record NeguardCustom(String name, String version, long securityVersion, String neType,
    String rim) {
  public NeguardCustom {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(neType, "neType");
    Objects.requireNonNull(rim, "rim");
    if (securityVersion < 0) {
      throw new IllegalArgumentException("securityVersion < 0: " + securityVersion);
    }
  }

  /** {@code {"neguard": {"name", "version", "securityVersion", "neType", "rim"}}}. */
  public ObjectNode toCustom() {
    ObjectNode custom = CanonicalJson.newObject();
    custom.putObject("neguard")
        .put("name", name)
        .put("version", version)
        .put("securityVersion", securityVersion)
        .put("neType", neType)
        .put("rim", rim);
    return custom;
  }

  /**
   * Reads {@code custom.neguard}.
   *
   * @return empty when {@code custom} is null or has no {@code neguard} member (a target another
   *     tool published)
   * @throws RefusalException {@code MALFORMED} when {@code neguard} is there but incomplete
   */
  public static Optional<NeguardCustom> fromCustom(JsonNode custom) throws RefusalException {
    if (custom == null || !custom.isObject() || !custom.has("neguard")) {
      return Optional.empty();
    }
    JsonNode n = custom.get("neguard");
    if (!n.isObject()) {
      throw Fields.malformed("a target's custom.neguard is not an object");
    }
    String where = "a target's custom.neguard";
    return Optional.of(new NeguardCustom(Fields.text(n, "name", where),
        Fields.text(n, "version", where), Fields.nonNegativeLong(n, "securityVersion", where),
        Fields.text(n, "neType", where), Fields.text(n, "rim", where)));
  }
}
