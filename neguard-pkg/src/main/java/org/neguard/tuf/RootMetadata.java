package org.neguard.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.neguard.verdict.RefusalException;

/** The root role's signed content. */
public record RootMetadata(int version, Instant expires, boolean consistentSnapshot,
    Map<String, TufKey> keys, Map<Role, RoleKeys> roles) {
  public static RootMetadata fromSigned(JsonNode signed) throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }

  public ObjectNode toSigned() {
    throw new UnsupportedOperationException("todo");
  }

  public Metadata toMetadata() {
    return Metadata.unsigned(toSigned());
  }

  public RoleKeys role(Role role) {
    throw new UnsupportedOperationException("todo");
  }

  public List<TufKey> keysOf(Role role) {
    throw new UnsupportedOperationException("todo");
  }

  public int countValidSignatures(Role role, Metadata md) {
    throw new UnsupportedOperationException("todo");
  }

  public void verifyThreshold(Role role, Metadata md) throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }
}
