package org.neguard.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import org.neguard.verdict.RefusalException;

/** The timestamp role's signed content. */
public record TimestampMetadata(int version, Instant expires, MetaFile snapshotMeta) {
  public static TimestampMetadata fromSigned(JsonNode signed) throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }

  public ObjectNode toSigned() {
    throw new UnsupportedOperationException("todo");
  }

  public Metadata toMetadata() {
    return Metadata.unsigned(toSigned());
  }
}
