package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.server.ServerConfig;
import org.neguard.testing.SoftwareTpm;

/**
 * A real agent process on a (software) TPM answers the validation entity's challenges with
 * evidence quoted by the TPM: the Attester takes the TpmQuoter set-up bound, and the server
 * verifies the quote with the AK bound at enrollment.
 */
@DisplayName("ATT-3 OBJ-2 the agent's evidence on a TPM is quoted by it")
class AgentTpmAttestTest {
  static AgentFleet fleet;
  static SoftwareTpm tpm;

  @BeforeAll
  static void start() throws Exception {
    fleet = AgentFleet.start("agent-tpm-attest-test", b -> b.attest(new ServerConfig.Attest(
        Duration.ofHours(1), Duration.ZERO, Duration.ofSeconds(30), Duration.ofMillis(200), 2)));
    tpm = SoftwareTpm.start(fleet.dir.resolve("swtpm"));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (tpm != null) {
        tpm.close();
      }
    } finally {
      if (fleet != null) {
        fleet.close();
      }
    }
  }

  @Test
  @DisplayName("ATT-3 OBJ-2 with tpm.tcti the first contact is answered with a TPM quote"
      + " (trust base TPM, verified: PENDING_BASELINE for the platform directory); once the"
      + " baseline is approved, a requested attestation passes on the TPM")
  void tpmQuotedEvidence_verifiedAndPasses() throws Exception {
    AgentFleet.Ne ne = fleet.ne("ne-tpm-attest").configure("mme").set("tpm.tcti", tpm.tcti());
    Path etc = Files.createDirectories(ne.home.resolve("etc"));
    Files.writeString(etc.resolve("hosts"), "127.0.0.1 localhost\n");
    ne.set("measure.paths", "etc=" + etc).start();
    ne.await("tpm_bound", e -> e.path("pcr").asInt() == 14);
    JsonNode first = ne.await("attested", e -> e.path("reason").asText()
        .equals("FIRST_CONTACT"));
    assertThat(first.path("trustBase").asText()).as("%s", first).isEqualTo("TPM");
    assertThat(first.path("result").asText()).isEqualTo("PENDING_BASELINE");
    assertThat(ne.await("measured", e -> e.path("reason").asText().equals("FIRST_CONTACT"))
        .path("trustBase").asText()).isEqualTo("TPM");

    AttestFixture.approveBaselines(fleet, ne.id, fleet.appr,
        fleet.addUser("appr2", "approver"));
    AttestFixture.request(fleet, fleet.op, ne.id);
    JsonNode passed = ne.await("attested", e -> e.path("reason").asText().equals("REQUESTED"));
    assertThat(passed.path("result").asText()).as("%s", passed).isEqualTo("PASS");
    assertThat(passed.path("trustBase").asText()).isEqualTo("TPM");
    assertThat(passed.path("trustState").asText()).isEqualTo("trusted");
    ne.stop();
  }
}
