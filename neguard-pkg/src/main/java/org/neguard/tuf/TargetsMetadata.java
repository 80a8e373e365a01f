package org.neguard.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The targets role's signed content.
 *
 * @param version from 1
 * @param expires when it expires
 * @param targets the entries by name (each entry's name is its key)
 */
public record TargetsMetadata(int version, Instant expires, Map<String, TargetFile> targets) {
  public TargetsMetadata {
    if (version < 1) {
      throw new IllegalArgumentException("targets version " + version + " < 1");
    }
    Objects.requireNonNull(expires, "expires");
    expires = expires.truncatedTo(ChronoUnit.SECONDS);
    targets.forEach((name, t) -> {
      if (!t.name().equals(name)) {
        throw new IllegalArgumentException("target " + t.name() + " is filed under " + name);
      }
    });
    targets = Collections.unmodifiableMap(new TreeMap<>(targets));
  }

  /**
   * Reads targets' signed object. Delegations are not read: a NEGuard repository has only the
   * top-level targets role.
   *
   * @throws RefusalException {@code UNSAFE_PATH} for a target name off {@link TargetFile#NAME}
   *     (a path such as {@code ../x} or {@code a/b}); {@code MALFORMED} for a bad entry
   */
  public static TargetsMetadata fromSigned(JsonNode signed) throws RefusalException {
    Fields.type(signed, Role.TARGETS);
    int version = Fields.positiveInt(signed, "version", "targets");
    Instant expires = Fields.expires(signed, "targets");
    Map<String, TargetFile> targets = new TreeMap<>();
    JsonNode targetsNode = Fields.object(signed, "targets", "targets");
    for (Map.Entry<String, JsonNode> e : targetsNode.properties()) {
      String name = e.getKey();
      if (!TargetFile.isSafeName(name)) {
        throw RefusalException.about(ReasonCode.UNSAFE_PATH, Shown.shown(name),
            "targets metadata version " + version + " names the target " + Shown.shown(name)
                + ", which is not a plain file name (" + TargetFile.NAME.pattern()
                + "): it could write outside the download directory; do not use this "
                + "repository until its administrator removes it");
      }
      JsonNode entry = e.getValue();
      if (!entry.isObject()) {
        throw Fields.malformed("target " + name + " is not an object");
      }
      String where = "target " + name;
      long length = Fields.nonNegativeLong(entry, "length", where);
      String sha256 = Fields.sha256(entry.get("hashes"), where);
      JsonNode custom = entry.get("custom");
      if (custom != null && !custom.isObject()) {
        throw Fields.malformed(where + "'s custom is not an object");
      }
      targets.put(name, new TargetFile(name, length, sha256, (ObjectNode) custom));
    }
    return new TargetsMetadata(version, expires, targets);
  }

  public ObjectNode toSigned() {
    ObjectNode o = CanonicalJson.newObject();
    o.put("_type", "targets");
    o.put("expires", Fields.format(expires));
    o.put("spec_version", Metadata.SPEC_VERSION);
    ObjectNode t = o.putObject("targets");
    targets.forEach((name, target) -> {
      ObjectNode entry = t.putObject(name);
      entry.put("length", target.length());
      entry.putObject("hashes").put("sha256", target.sha256());
      if (target.custom() != null) {
        entry.set("custom", target.custom());
      }
    });
    o.put("version", version);
    return o;
  }

  public Metadata toMetadata() {
    return Metadata.unsigned(toSigned());
  }
}
