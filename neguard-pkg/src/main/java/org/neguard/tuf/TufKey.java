package org.neguard.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.PublicKey;
import org.neguard.verdict.RefusalException;

/** A TUF key as metadata carries it. */
public record TufKey(String keytype, String scheme, String publicValue) {
  public static TufKey of(PublicKey key) {
    throw new UnsupportedOperationException("todo");
  }

  public KeyType type() {
    throw new UnsupportedOperationException("todo");
  }

  public String keyId() {
    throw new UnsupportedOperationException("todo");
  }

  public ObjectNode toJson() {
    throw new UnsupportedOperationException("todo");
  }

  public static TufKey fromJson(JsonNode json) throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }

  public PublicKey toPublicKey() {
    throw new UnsupportedOperationException("todo");
  }

  public boolean verifies(byte[] data, byte[] signature) {
    throw new UnsupportedOperationException("todo");
  }
}
