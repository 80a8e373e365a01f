package org.neguard.harden.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/** Hostile policy files: any byte-level damage is a POLICY_INVALID refusal, never a crash. */
class PolicyMutationTest {
  private static final String SPECIAL = ":-[]{}&*!|>'\"%@`#,?\t\n ";

  @Test
  @DisplayName("HRD-2: 1000 mutations of the MME sample parse or are refused with a position")
  void parse_mutatedSample_onlyPolicyInvalid() throws Exception {
    byte[] good = Files.readAllBytes(PolicyParserTest.EXAMPLES.resolve("mme.yaml"));
    Random random = new Random(20261123L);
    int refused = 0;
    for (int i = 0; i < 1000; i++) {
      byte[] b = good.clone();
      int edits = 1 + random.nextInt(4);
      for (int e = 0; e < edits; e++) {
        int at = random.nextInt(b.length);
        b[at] = switch (random.nextInt(4)) {
          case 0 -> (byte) random.nextInt(256);
          case 1 -> (byte) SPECIAL.charAt(random.nextInt(SPECIAL.length()));
          case 2 -> (byte) ('0' + random.nextInt(10));
          default -> 0;
        };
      }
      try {
        PolicyParser.parse(b, "m.yaml");
      } catch (RefusalException ex) {
        refused++;
        assertThat(ex.code()).isEqualTo(ReasonCode.POLICY_INVALID);
        assertThat(ex.reasons().get(0).message()).startsWith("m.yaml: line ");
      } catch (RuntimeException ex) {
        throw new AssertionError("mutation " + i + " crashed the parser: "
            + new String(b, java.nio.charset.StandardCharsets.ISO_8859_1), ex);
      }
    }
    assertThat(refused).isGreaterThan(300);
  }
}
