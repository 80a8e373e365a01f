package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Map;
import org.neguard.cli.support.Credentials;
import org.neguard.cli.support.ServerClient;

/** The validation entity's user API for the agent's attestation tests, as a logged-in user. */
final class AttestFixture {
  private AttestFixture() {}

  /** A client of the user API with the token {@code neguard login} saved in {@code login}. */
  static ServerClient client(AgentFleet fleet, Path login) throws Exception {
    return ServerClient.of(fleet.url, Credentials.in(login).find(fleet.url).orElseThrow()
        .token(), null, false);
  }

  /**
   * Approves, with two distinct approvers (four eyes), the platform baselines the NE's first
   * contact proposed.
   */
  static void approveBaselines(AgentFleet fleet, String deviceId, Path approver1,
      Path approver2) throws Exception {
    JsonNode pending = client(fleet, approver1).get("/api/baselines?state=pending",
        JsonNode.class);
    int approved = 0;
    for (JsonNode b : pending) {
      if (b.path("deviceId").asText().equals(deviceId)) {
        for (Path approver : new Path[] {approver1, approver2}) {
          client(fleet, approver).post("/api/baselines/" + b.path("id").asText() + "/approve",
              Map.of(), JsonNode.class);
        }
        approved++;
      }
    }
    assertThat(approved).as("baselines proposed for %s: %s", deviceId, pending).isPositive();
  }

  /** An attestation of {@code deviceId} requested by the user of {@code login}: pending. */
  static JsonNode request(AgentFleet fleet, Path login, String deviceId) throws Exception {
    JsonNode r = client(fleet, login).post("/api/devices/" + deviceId + "/attestations",
        Map.of(), JsonNode.class);
    assertThat(r.path("reason").asText()).as("%s", r).isEqualTo("REQUESTED");
    return r;
  }

  /** A bean of the fleet's server (its device CA, for the man in the middle). */
  static <T> T bean(AgentFleet fleet, Class<T> type) throws Exception {
    java.lang.reflect.Field f = org.neguard.server.NeguardServer.class
        .getDeclaredField("context");
    f.setAccessible(true);
    return ((org.springframework.context.ConfigurableApplicationContext) f.get(fleet.server))
        .getBean(type);
  }
}
