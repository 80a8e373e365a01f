package org.neguard.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import org.neguard.verdict.RefusalException;

/**
 * The timestamp role's signed content: the current snapshot's version, length and hash. Short
 * lived, so that a client notices a freeze within a day.
 *
 * @param version from 1
 * @param expires when it expires
 * @param snapshotMeta {@code meta["snapshot.json"]}
 */
public record TimestampMetadata(int version, Instant expires, MetaFile snapshotMeta) {
  public static final String SNAPSHOT_JSON = "snapshot.json";

  public TimestampMetadata {
    if (version < 1) {
      throw new IllegalArgumentException("timestamp version " + version + " < 1");
    }
    Objects.requireNonNull(expires, "expires");
    Objects.requireNonNull(snapshotMeta, "snapshotMeta");
    expires = expires.truncatedTo(ChronoUnit.SECONDS);
  }

  /** @throws RefusalException {@code MALFORMED}, also when meta is not exactly snapshot.json */
  public static TimestampMetadata fromSigned(JsonNode signed) throws RefusalException {
    Fields.type(signed, Role.TIMESTAMP);
    int version = Fields.positiveInt(signed, "version", "timestamp");
    Instant expires = Fields.expires(signed, "timestamp");
    JsonNode meta = Fields.object(signed, "meta", "timestamp");
    if (meta.size() != 1 || !meta.has(SNAPSHOT_JSON)) {
      throw Fields.malformed("timestamp's meta is not exactly {\"snapshot.json\": ...}");
    }
    return new TimestampMetadata(version, expires,
        MetaFile.read(meta.get(SNAPSHOT_JSON), "timestamp's meta snapshot.json"));
  }

  public ObjectNode toSigned() {
    ObjectNode o = CanonicalJson.newObject();
    o.put("_type", "timestamp");
    o.put("expires", Fields.format(expires));
    o.putObject("meta").set(SNAPSHOT_JSON, snapshotMeta.toJson());
    o.put("spec_version", Metadata.SPEC_VERSION);
    o.put("version", version);
    return o;
  }

  public Metadata toMetadata() {
    return Metadata.unsigned(toSigned());
  }
}
