package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.neguard.server.ServerConfig;

/**
 * {@code neguard attest} and {@code neguard evidence integrity} against a real server on
 * loopback and a real agent process: the first contact (REC-3), a deployment gated by the
 * attestation before it (ATT-1) and judged after it (ATT-4), an attestation on request that
 * passes, a file changed in the installed tree that fails the next one naming the file and
 * quarantines the NE (REC-1); the runtime schedule finding a changed file by itself (OBJ-2), a
 * recovery campaign in waves readmitting the quarantined NEs (REC-2), and the evidence built
 * from those runs, every requirement demonstrated. Needs the agent's answers
 * to challenges (branch att-agent) and the deployments' attestation gate (att-deploy) on main.
 */
@DisplayName("ATT-1..4 REC-1..4 OBJ-2 neguard attest, recover and evidence integrity on a real server")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AttestCliTest {
  static AgentFleet fleet;
  static Path aud;
  static Path appr2;

  @BeforeAll
  static void start() throws Exception {
    fleet = AgentFleet.start("attest-cli", b -> b.attest(new ServerConfig.Attest(
        Duration.ofSeconds(8), Duration.ZERO, Duration.ofSeconds(30), Duration.ofMillis(200),
        2)));
    aud = fleet.addUser("aud", "operator", "auditor");
    appr2 = fleet.addUser("appr2", "approver");
  }

  @AfterAll
  static void stop() throws Exception {
    if (fleet != null) {
      fleet.close();
    }
  }

  static CliRun as(Path user, String... args) {
    return CliRun.as(user, args);
  }

  /** {@code attest status --json}'s row of {@code device} once {@code until} holds (60 s). */
  static JsonNode trustWhen(String device, Predicate<JsonNode> until) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      CliRun s = as(fleet.op, "attest", "status", "--json");
      assertThat(s.exit()).as("%s", s).isZero();
      for (JsonNode d : s.json().path("devices")) {
        if (d.path("deviceId").asText().equals(device) && until.test(d)) {
          return d;
        }
      }
      assertThat(System.nanoTime()).as("%s", s).isLessThan(deadline);
      Thread.sleep(300);
    }
  }

  /** Approves, as two approvers, every pending baseline the device proposed. */
  static void approveBaselines(String device) {
    CliRun list = as(fleet.appr, "attest", "baseline", "list", "--state", "pending", "--json");
    assertThat(list.exit()).as("%s", list).isZero();
    for (JsonNode b : list.json().path("baselines")) {
      if (b.path("deviceId").asText().equals(device)) {
        for (Path who : List.of(fleet.appr, appr2)) {
          CliRun ok = as(who, "attest", "baseline", "approve", b.path("id").asText(), "--json");
          assertThat(ok.exit()).as("%s", ok).isZero();
        }
      }
    }
  }

  /** An NE of type mme with a platform path, enrolled, its baseline approved, trusted. */
  static AgentFleet.Ne trustedNe(String id) throws Exception {
    AgentFleet.Ne ne = fleet.ne(id).configure("mme");
    Files.createDirectories(ne.home.resolve("etc"));
    Files.writeString(ne.home.resolve("etc/site.conf"), "site=lab\n");
    ne.set("measure.paths", "etc=etc").start();
    trustWhen(ne.id, d -> "PENDING_BASELINE".equals(d.path("lastResult").asText()));
    approveBaselines(ne.id);
    CliRun ok = as(fleet.op, "attest", ne.id, "--wait", "--timeout", "60s");
    assertThat(ok.exit()).as("%s", ok).isZero();
    return ne;
  }

  /** {@code attest history --json} of {@code device} once one attestation matches (60 s). */
  static JsonNode attestationWhen(String device, Predicate<JsonNode> until) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      CliRun h = as(fleet.op, "attest", "history", device, "--json");
      assertThat(h.exit()).as("%s", h).isZero();
      for (JsonNode a : h.json().path("attestations")) {
        if (until.test(a)) {
          return a;
        }
      }
      assertThat(System.nanoTime()).as("%s", h).isLessThan(deadline);
      Thread.sleep(500);
    }
  }

  @Test
  @Order(1)
  @DisplayName("ATT-1..4 REC-1..4 OBJ-2 evidence before any run: every requirement"
      + " NOT_DEMONSTRATED with what to run, exit 0; --require-all exits 3")
  void evidence_beforeAnyRun_notDemonstrated() throws Exception {
    Path out = Files.createDirectories(fleet.dir.resolve("evidence-empty"));
    CliRun ev = as(aud, "evidence", "integrity", "--out", out.toString(), "--json");
    assertThat(ev.exit()).as("%s", ev).isZero();
    assertThat(ev.json().path("passed")).isEmpty();
    assertThat(ev.json().path("notDemonstrated")).hasSize(9);
    JsonNode doc = AgentFleet.JSON.readTree(out.resolve("evidence-integrity.json").toFile());
    assertThat(doc.path("requirements")).allSatisfy(c -> assertThat(c.path("verdict").asText())
        .isEqualTo("NOT_DEMONSTRATED"));
    CliRun gate = as(aud, "evidence", "integrity", "--out", out.toString(), "--require-all");
    assertThat(gate.exit()).as("%s", gate).isEqualTo(3);
    assertThat(gate.out()).contains("TC-OBJ2-01 is not demonstrated by any run");
  }

  @Test
  @Order(2)
  @DisplayName("first contact, a gated update, a passing attestation, then a changed file: exit 3"
      + " naming it, the NE quarantined, and the evidence cites each run")
  void attest_thenTamper_quarantined_evidence() throws Exception {
    byte[] lib = new byte[50_000];
    new java.util.Random(15).nextBytes(lib);
    fleet.publish("core", "1.0", 1, "mme", lib);
    // A platform path beside the packages: its reference is a baseline two approvers accept.
    AgentFleet.Ne ne = fleet.ne("ne-att-1").configure("mme");
    Files.createDirectories(ne.home.resolve("etc"));
    Files.writeString(ne.home.resolve("etc/site.conf"), "site=lab\n");
    ne.set("measure.paths", "etc=etc").start();

    // REC-3: the first attestation decides; the platform component waits for its baseline.
    JsonNode first = trustWhen(ne.id, d -> d.path("lastResult").isTextual()
        && !d.path("lastResult").asText().isEmpty());
    assertThat(first.path("lastResult").asText()).as("%s", first).isEqualTo("PENDING_BASELINE");
    assertThat(first.path("trustState").asText()).isEqualTo("unknown");
    CliRun pending = as(fleet.op, "attest", ne.id, "--wait", "--timeout", "60s");
    assertThat(pending.exit()).as("%s", pending).isEqualTo(3);
    assertThat(pending.out()).contains("PENDING_BASELINE");
    approveBaselines(ne.id);
    CliRun again = as(fleet.op, "attest", ne.id, "--wait", "--timeout", "60s");
    assertThat(again.exit()).as("%s", again).isZero();
    assertThat(again.out()).startsWith("PASS").contains("trust state  trusted");

    CliRun policy = as(fleet.appr, "attest", "policy", "set", "mme", "--action", "quarantine");
    assertThat(policy.exit()).as("%s", policy).isZero();

    // ATT-1, ATT-4: an update gated before and judged after.
    String dep = fleet.deploy("core", "1.0", ne.id);
    JsonNode t = fleet.finalTarget(dep, ne.id);
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("succeeded");

    CliRun ok = as(fleet.op, "attest", ne.id, "--wait", "--timeout", "60s");
    assertThat(ok.exit()).as("%s", ok).isZero();
    assertThat(ok.out()).startsWith("PASS").contains("trust state  trusted").contains("TIM ");

    // A file changed between updates: the next attestation fails and names it (REC-1, REC-4).
    Path core = ne.install().resolve("current/lib/core.so");
    Files.write(core, "changed on the NE".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    CliRun bad = as(fleet.op, "attest", ne.id, "--wait", "--timeout", "60s");
    assertThat(bad.exit()).as("%s", bad).isEqualTo(3);
    assertThat(bad.out()).contains("result       FAIL").contains("lib/core.so")
        .contains("trust state  quarantined");
    CliRun json = as(fleet.op, "attest", "history", ne.id, "--json");
    assertThat(json.exit()).as("%s", json).isZero();
    List<String> reasons = new ArrayList<>();
    json.json().path("attestations").forEach(a -> reasons.add(a.path("reason").asText()));
    assertThat(reasons).contains("FIRST_CONTACT", "BEFORE_UPDATE", "AFTER_UPDATE", "REQUESTED");
    CliRun status = as(fleet.op, "attest", "status");
    assertThat(status.out()).contains(ne.id).contains("quarantined");

    // The evidence, from these runs.
    Path out = fleet.dir.resolve("evidence");
    Files.createDirectories(out);
    CliRun ev = as(aud, "evidence", "integrity", "--out", out.toString(), "--json");
    assertThat(ev.exit()).as("%s", ev).isZero();
    List<String> passed = new ArrayList<>();
    ev.json().path("passed").forEach(p -> passed.add(p.asText()));
    assertThat(passed).contains("TC-ATT1-01", "TC-ATT2-01", "TC-ATT4-01", "TC-REC1-01",
        "TC-REC3-01", "TC-REC4-01");
    JsonNode doc = AgentFleet.JSON.readTree(out.resolve("evidence-integrity.json").toFile());
    assertThat(doc.path("requirements")).hasSize(9);
    assertThat(doc.path("notes").toString()).doesNotContain("not read");
    assertThat(Files.readString(out.resolve("evidence-integrity.html")))
        .contains(ne.id).contains("lib/core.so");
    // Left for a reader in target/: the evidence of a run that happened.
    Path keep = Files.createDirectories(Path.of("target", "evidence-integrity"));
    for (String f : List.of("evidence-integrity.html", "evidence-integrity.json")) {
      Files.copy(out.resolve(f), keep.resolve(f),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
  }

  @Test
  @Order(3)
  @DisplayName("OBJ-2 REC-2 a file changed between updates is found by the schedule and named;"
      + " a recovery campaign in waves readmits the quarantined NEs; every requirement then"
      + " demonstrated")
  void scheduleDetects_recoveryReadmits_allDemonstrated() throws Exception {
    AgentFleet.Ne ne = trustedNe("ne-att-2");
    String dep = fleet.deploy("core", "1.0", ne.id);
    assertThat(fleet.finalTarget(dep, ne.id).path("state").asText()).isEqualTo("succeeded");
    Files.write(ne.install().resolve("current/lib/core.so"), new byte[] {1, 2, 3});

    // OBJ-2: no one asks; the runtime schedule finds it within an interval and names the file.
    JsonNode found = attestationWhen(ne.id, a -> a.path("reason").asText().equals("SCHEDULED")
        && a.path("result").asText().equals("FAIL"));
    assertThat(found.path("reasons").toString()).contains("lib/core.so");
    trustWhen(ne.id, d -> d.path("trustState").asText().equals("quarantined"));

    // REC-2: a campaign over the quarantined NEs of the type, one per wave, to a known-good 1.1.
    byte[] good = new byte[40_000];
    new java.util.Random(11).nextBytes(good);
    fleet.publish("core", "1.1", 1, "mme", good);
    CliRun rec = as(fleet.op, "recover", "--ne-type", "mme", "--to", "core@1.1",
        "--wave-size", "1", "--json");
    assertThat(rec.exit()).as("%s", rec).isZero();
    String campaign = rec.json().path("id").asText();
    CliRun ok = as(fleet.appr, "deploy", "approve", campaign, "--json");
    assertThat(ok.exit()).as("%s", ok).isZero();
    for (String id : List.of("ne-att-1", ne.id)) {
      assertThat(fleet.finalTarget(campaign, id).path("state").asText()).isEqualTo("succeeded");
      trustWhen(id, d -> d.path("trustState").asText().equals("trusted"));
    }

    Path out = Files.createDirectories(fleet.dir.resolve("evidence-all"));
    CliRun ev = as(aud, "evidence", "integrity", "--out", out.toString(), "--require-all",
        "--json");
    assertThat(ev.exit()).as("%s", ev).isZero();
    assertThat(ev.json().path("passed")).hasSize(9);
    Path keep = Files.createDirectories(Path.of("target", "evidence-integrity"));
    for (String f : List.of("evidence-integrity.html", "evidence-integrity.json")) {
      Files.copy(out.resolve(f), keep.resolve(f),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
