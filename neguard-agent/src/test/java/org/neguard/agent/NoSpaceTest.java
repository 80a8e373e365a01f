package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The full-disk refusal's test: which I/O errors are a full disk (AgentAttackTest runs one). */
@DisplayName("OBJ-1 a full install root is a refusal, not a retry loop")
class NoSpaceTest {
  @Test
  @DisplayName("OBJ-1 a full disk is recognised (ENOSPC, EDQUOT, as a cause too); other I/O"
      + " errors are not")
  void noSpace_recognised() {
    assertThat(Agent.noSpace(new java.io.IOException("No space left on device"))).isTrue();
    assertThat(Agent.noSpace(new java.nio.file.FileSystemException("/x", null,
        "No space left on device"))).isTrue();
    assertThat(Agent.noSpace(new java.io.UncheckedIOException(new java.io.IOException(
        "Disk quota exceeded")))).isTrue();
    assertThat(Agent.noSpace(new java.io.IOException("Connection reset"))).isFalse();
    assertThat(Agent.noSpace(new java.nio.file.AccessDeniedException("/x"))).isFalse();
  }
}
