package org.neguard.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Map;
import org.neguard.verdict.RefusalException;

/** The snapshot role's signed content. */
public record SnapshotMetadata(int version, Instant expires, Map<String, MetaFile> meta) {
  public static SnapshotMetadata fromSigned(JsonNode signed) throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }

  public MetaFile targetsMeta() {
    throw new UnsupportedOperationException("todo");
  }

  public ObjectNode toSigned() {
    throw new UnsupportedOperationException("todo");
  }

  public Metadata toMetadata() {
    return Metadata.unsigned(toSigned());
  }
}
