package org.neguard.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;
import org.neguard.verdict.RefusalException;

/** What an NE needs to know of a target, in its {@code custom.neguard}. */
public record NeguardCustom(String name, String version, long securityVersion, String neType,
    String rim) {
  public ObjectNode toCustom() {
    throw new UnsupportedOperationException("todo");
  }

  public static Optional<NeguardCustom> fromCustom(JsonNode custom) throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }
}
