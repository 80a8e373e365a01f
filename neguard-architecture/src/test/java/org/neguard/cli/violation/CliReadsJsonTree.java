package org.neguard.cli.violation;

import com.fasterxml.jackson.databind.JsonNode;

/** A deliberate violation: a command reading a server answer's fields by name from a JSON tree. */
public final class CliReadsJsonTree {
  private CliReadsJsonTree() {}

  static String user(JsonNode answer) {
    return answer.path("username").asText();
  }
}
