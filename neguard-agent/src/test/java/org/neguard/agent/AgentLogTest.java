package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The agent's event lines: one JSON object a line, written with Jackson's streaming generator. */
class AgentLogTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void line_fieldsTyped_nullsLeftOut_textEscaped() throws Exception {
    String line = AgentLog.line(Instant.parse("2026-12-06T08:00:00Z"), "poll", "status", 304,
        "changed", false, "etag", null, "message", "line 1\nline 2 \"quoted\" \u0007 \u2028",
        "bytes", 5_000_000_000L);
    assertThat(line).doesNotContain("\n").startsWith("{\"ts\":\"2026-12-06T08:00:00Z\"");
    JsonNode n = JSON.readTree(line);
    assertThat(n.path("event").asText()).isEqualTo("poll");
    assertThat(n.path("status").isIntegralNumber()).isTrue();
    assertThat(n.path("status").asInt()).isEqualTo(304);
    assertThat(n.path("changed").isBoolean()).isTrue();
    assertThat(n.has("etag")).isFalse();
    assertThat(n.path("message").asText()).isEqualTo("line 1\nline 2 \"quoted\" \u0007 \u2028");
    assertThat(n.path("bytes").asLong()).isEqualTo(5_000_000_000L);
  }

  @Test
  void event_writesOneWholeLine() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new AgentLog(new PrintStream(bytes, true, StandardCharsets.UTF_8)).event("stopped",
        "reason", Path.class.getSimpleName());
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertThat(out).endsWith(System.lineSeparator()).hasLineCount(1);
    assertThat(JSON.readTree(out).path("reason").asText()).isEqualTo("Path");
  }

  private interface Path {}
}
