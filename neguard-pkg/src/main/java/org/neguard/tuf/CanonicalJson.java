package org.neguard.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.neguard.verdict.RefusalException;

/** Canonical JSON (OLPC / securesystemslib), what TUF signatures are over, and strict reading. */
public final class CanonicalJson {
  private CanonicalJson() {}

  public static byte[] encode(JsonNode node) {
    throw new UnsupportedOperationException("todo");
  }

  public static ObjectNode parseObject(byte[] bytes, long maxBytes, String what)
      throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }

  public static ObjectNode newObject() {
    throw new UnsupportedOperationException("todo");
  }
}
