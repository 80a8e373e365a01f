package org.neguard.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.neguard.verdict.RefusalException;

/**
 * The snapshot role's signed content: the version (and length and hash) of every targets
 * metadata file, so that a client never combines targets of one moment with another's snapshot.
 *
 * @param version from 1
 * @param expires when it expires
 * @param meta by file name; always has {@code targets.json}
 */
public record SnapshotMetadata(int version, Instant expires, Map<String, MetaFile> meta) {
  public static final String TARGETS_JSON = "targets.json";

  public SnapshotMetadata {
    if (version < 1) {
      throw new IllegalArgumentException("snapshot version " + version + " < 1");
    }
    Objects.requireNonNull(expires, "expires");
    expires = expires.truncatedTo(ChronoUnit.SECONDS);
    meta = Collections.unmodifiableMap(new TreeMap<>(meta));
    if (!meta.containsKey(TARGETS_JSON)) {
      throw new IllegalArgumentException("a snapshot's meta has no " + TARGETS_JSON);
    }
  }

  /** @throws RefusalException {@code MALFORMED}, also when {@code targets.json} is not listed */
  public static SnapshotMetadata fromSigned(JsonNode signed) throws RefusalException {
    Fields.type(signed, Role.SNAPSHOT);
    int version = Fields.positiveInt(signed, "version", "snapshot");
    Instant expires = Fields.expires(signed, "snapshot");
    Map<String, MetaFile> meta = new TreeMap<>();
    JsonNode metaNode = Fields.object(signed, "meta", "snapshot");
    for (Map.Entry<String, JsonNode> e : metaNode.properties()) {
      meta.put(e.getKey(), MetaFile.read(e.getValue(), "snapshot's meta " + e.getKey()));
    }
    if (!meta.containsKey(TARGETS_JSON)) {
      throw Fields.malformed("snapshot's meta has no " + TARGETS_JSON);
    }
    return new SnapshotMetadata(version, expires, meta);
  }

  /** {@code meta["targets.json"]}. */
  public MetaFile targetsMeta() {
    return meta.get(TARGETS_JSON);
  }

  public ObjectNode toSigned() {
    ObjectNode o = CanonicalJson.newObject();
    o.put("_type", "snapshot");
    o.put("expires", Fields.format(expires));
    ObjectNode m = o.putObject("meta");
    meta.forEach((name, f) -> m.set(name, f.toJson()));
    o.put("spec_version", Metadata.SPEC_VERSION);
    o.put("version", version);
    return o;
  }

  public Metadata toMetadata() {
    return Metadata.unsigned(toSigned());
  }
}
