package org.neguard.server.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.api.device.Feedback;
import org.neguard.api.device.InstalledPackage;
import org.neguard.server.Http;
import org.neguard.server.TestServer.Role;

/**
 * A thousand NEs quarantined at once (REC-2): one recovery campaign over all of them completes in
 * waves of its concurrency limit, while the users' API keeps answering. The validation entity is
 * the engine's stand-in (its judging is measured in docs/BENCHMARKS.md); this is the engine's
 * side: waves, orders and feedback for a thousand targets.
 */
class RecoveryScaleTest {
  static final int DEVICES = 1000;
  static final int WAVE = 250;

  @Test
  @DisplayName("REC-2 1,000 NEs quarantined at once: the recovery campaign completes in waves of"
      + " 250, and the users' API stays responsive meanwhile")
  void thousandQuarantined_campaignCompletes_apiResponsive() throws Exception {
    try (DeployFixture f = new DeployFixture()) {
      try (Connection c = f.db(); PreparedStatement p = c.prepareStatement("INSERT INTO devices"
          + " (id, ne_type, trust_state, enrolled_at, enrollment_token, cert_serial,"
          + " cert_not_after) VALUES (?, 'mme', 'quarantined', ?, 'test', ?, ?)")) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        for (int i = 0; i < DEVICES; i++) {
          String id = String.format("sc-%04d", i);
          p.setString(1, id);
          p.setObject(2, now);
          p.setString(3, "serial-" + id);
          p.setObject(4, now.plusDays(1));
          p.addBatch();
        }
        p.executeBatch();
      }
      Http.Response r = f.s.http.post("/api/recoveries", f.s.token(Role.OPERATOR), Map.of(
          "neType", "mme", "packageName", DeployFixture.PACKAGE, "packageVersion",
          DeployFixture.VERSION, "waveSize", WAVE));
      assertThat(r.status()).as(r.toString()).isEqualTo(201);
      String id = r.json().path("id").asText();
      assertThat(r.json().path("targetCount").asInt()).isEqualTo(DEVICES);
      assertThat(r.json().path("waves").size()).isEqualTo(DEVICES / WAVE);
      assertThat(f.approve(id, f.s.token(Role.APPROVER)).status()).isEqualTo(200);

      List<Long> apiMillis = new ArrayList<>();
      Instant start = Instant.now();
      for (int wave = 1; wave <= DEVICES / WAVE; wave++) {
        f.scheduler.advanceAll();
        List<Map<String, Object>> issued = f.rows("SELECT device_id, order_id FROM"
            + " deployment_targets WHERE deployment_id = ? AND state = 'issued'", id);
        assertThat(issued).as("wave %s: at most the concurrency limit ordered", wave)
            .hasSize(WAVE);
        for (Map<String, Object> t : issued) {
          f.orders.feedback((String) t.get("device_id"), new Feedback((String) t.get("order_id"),
              "succeeded", 100, List.of(), new InstalledPackage(DeployFixture.PACKAGE,
                  DeployFixture.VERSION, 1), "evidence"));
        }
        long t0 = System.nanoTime();
        Http.Response view = f.s.http.get("/api/deployments/" + id, f.s.adminToken());
        apiMillis.add((System.nanoTime() - t0) / 1_000_000);
        assertThat(view.status()).isEqualTo(200);
      }
      f.scheduler.advanceAll();
      Duration took = Duration.between(start, Instant.now());

      assertThat(f.state(id)).isEqualTo("completed");
      assertThat(f.count("SELECT COUNT(*) FROM deployment_targets WHERE deployment_id = ? AND"
          + " state = 'succeeded'", id)).isEqualTo(DEVICES);
      assertThat(apiMillis).as("the deployment view's latency during the campaign (ms)")
          .allMatch(ms -> ms < 2_000);
      System.out.println("RecoveryScaleTest: " + DEVICES + " devices in " + took.toMillis()
          + " ms; deployment view " + apiMillis + " ms");
    }
  }
}
