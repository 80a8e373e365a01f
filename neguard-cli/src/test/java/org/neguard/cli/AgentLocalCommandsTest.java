package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The agent's local commands against the state a real agent process left: core 1.0 and 2.0
 * (three files each) installed and upgraded through a real server, then {@code neguard agent
 * status}, {@code verify-installed} and {@code evidence install} run as the CLI, before and
 * after the tree is tampered with.
 */
@DisplayName("INT-3 INT-1 the agent's local commands: status, verify-installed, evidence install")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentLocalCommandsTest {
  static AgentFleet fleet;
  static AgentFleet.Ne ne;
  static String deployment;

  @BeforeAll
  static void install() throws Exception {
    fleet = AgentFleet.start("agent-local-test");
    Path tree = Files.createTempDirectory(fleet.dir, "tree-");
    Files.createDirectories(tree.resolve("bin"));
    Files.createDirectories(tree.resolve("lib"));
    Files.createDirectories(tree.resolve("etc"));
    Files.writeString(tree.resolve("bin/mmed"), "#!/bin/sh\nexec sleep 1000\n");
    Files.setPosixFilePermissions(tree.resolve("bin/mmed"),
        PosixFilePermissions.fromString("rwxr-xr-x"));
    byte[] lib = new byte[40_000];
    new java.util.Random(7).nextBytes(lib);
    Files.write(tree.resolve("lib/core.so"), lib);
    Files.writeString(tree.resolve("etc/mme.conf"), "s1ap.port=36412\n");
    fleet.upload(SignedBundles.build(fleet.dir, fleet.pki, "core", "1.0", 1, "mme", tree));
    Files.writeString(tree.resolve("etc/mme.conf"), "s1ap.port=36412\nversion=2\n");
    fleet.upload(SignedBundles.build(fleet.dir, fleet.pki, "core", "2.0", 2, "mme", tree));
    ne = fleet.ne("ne-local").configure("mme").start();
    ne.await("enrolled", e -> true);
    for (String version : new String[] {"1.0", "2.0"}) {
      deployment = fleet.deploy("core", version, "ne-local");
      JsonNode t = fleet.finalTarget(deployment, "ne-local");
      assertThat(t.path("state").asText()).as("%s", t).isEqualTo("succeeded");
    }
    ne.await("installed", e -> e.path("slot").asText().endsWith("core@2.0"));
    ne.stop();
  }

  @AfterAll
  static void stop() throws Exception {
    if (fleet != null) {
      fleet.close();
    }
  }

  static CliRun agent(String command, Path config, String... more) {
    List<String> args = new ArrayList<>(List.of("agent", command, "--config", config.toString(),
        "--json"));
    args.addAll(List.of(more));
    return CliRun.of(args.toArray(String[]::new));
  }

  @Test
  @Order(10)
  @DisplayName("INT-3 status shows the installed package, current, versions on disk, the last"
      + " result and a real mutual-TLS answer from the server")
  void status_afterInstall_showsEverything() throws Exception {
    CliRun r = agent("status", ne.config);
    assertThat(r.exit()).as("%s", r).isZero();
    JsonNode s = r.json();
    assertThat(s.path("installed").path("name").asText()).isEqualTo("core");
    assertThat(s.path("installed").path("version").asText()).isEqualTo("2.0");
    assertThat(s.path("installed").path("securityVersion").asLong()).isEqualTo(2);
    assertThat(s.path("current").asText()).isEqualTo("core@2.0");
    assertThat(s.path("previous").asText()).isEqualTo("core@1.0");
    assertThat(s.path("versions").toString()).isEqualTo("[\"core@1.0\",\"core@2.0\"]");
    assertThat(s.path("lastResult").path("status").asText()).isEqualTo("succeeded");
    assertThat(s.path("journal").isNull()).isTrue();
    assertThat(s.path("server").path("reachable").asBoolean()).as("%s", s).isTrue();
    assertThat(s.path("server").path("detail").asText()).contains("mutual TLS as ne-local");

    CliRun text = CliRun.of("agent", "status", "--config", ne.config.toString());
    assertThat(text.exit()).isZero();
    assertThat(text.out()).contains("installed  core 2.0 (securityVersion 2")
        .contains("current    core@2.0").contains("previous   core@1.0 (last-known-good)")
        .contains("succeeded").contains("reachable: mutual TLS");
  }

  @Test
  @Order(20)
  @DisplayName("INT-3 status with the server gone says unreachable and why, exit 0; a bad"
      + " configuration exits 2")
  void status_serverDownOrBadConfig() throws Exception {
    Path copy = ne.home.resolve("unreachable.properties");
    String props = Files.readString(ne.config).replaceAll("(?m)^server\\.url=.*$",
        "server.url=https://127.0.0.1:1");
    Files.writeString(copy, props);
    CliRun r = agent("status", copy, "--timeout", "2s");
    assertThat(r.exit()).as("%s", r).isZero();
    assertThat(r.json().path("server").path("reachable").asBoolean(true)).isFalse();
    assertThat(r.json().path("server").path("detail").asText()).startsWith("unreachable: ");

    Path bad = Files.writeString(ne.home.resolve("bad.properties"), props + "no.such.key=1\n");
    assertThat(agent("status", bad).exit()).isEqualTo(2);
    assertThat(agent("verify-installed", bad).exit()).isEqualTo(2);
    CliRun none = CliRun.of("agent");
    assertThat(none.exit()).as("no --config and no command: usage").isEqualTo(2);
  }

  @Test
  @Order(30)
  @DisplayName("INT-3 INT-1 verify-installed on the tree the agent installed: the kept manifest's"
      + " vendor signature verifies and every file matches, exit 0")
  void verifyInstalled_untouched_passes() throws Exception {
    for (String slot : new String[] {"core@1.0", "core@2.0"}) {
      assertThat(ne.state().resolve("manifests/" + slot + "/manifest.json")).isRegularFile();
      assertThat(ne.state().resolve("manifests/" + slot + "/manifest.json.p7s")).isRegularFile();
    }
    CliRun r = agent("verify-installed", ne.config);
    assertThat(r.exit()).as("%s", r).isZero();
    assertThat(r.json().path("verdict").asText()).isEqualTo("pass");
    assertThat(r.json().path("filesChecked").asInt()).isEqualTo(3);
    assertThat(r.json().path("signer").path("subject").asText()).isNotBlank();
    assertThat(r.json().path("package").path("version").asText()).isEqualTo("2.0");
  }

  static JsonNode testCase(JsonNode doc, String id) {
    for (JsonNode c : doc.path("testCases")) {
      if (c.path("id").asText().equals(id)) {
        return c;
      }
    }
    throw new AssertionError("no test case " + id + " in " + doc);
  }

  @Test
  @Order(35)
  @DisplayName("INT-1 INT-2 INT-3 INT-4 SRC-2 evidence install from the agent's log, state,"
      + " configuration and the server: each requirement passes on the events observed (the"
      + " install and the upgrade, their order ids, bundle digests, signer, the server's stored"
      + " package)")
  void evidenceInstall_realRuns_citesWhatHappened() throws Exception {
    Path out = ne.home.resolve("evidence");
    CliRun r = CliRun.as(fleet.admin, "evidence", "install", "--agent-config",
        ne.config.toString(), "--log", ne.log.toString(), "--with-server", "--out",
        out.toString(), "--json");
    assertThat(r.exit()).as("%s", r).isZero();
    JsonNode doc = AgentFleet.JSON.readTree(out.resolve("evidence-install.json").toFile());
    assertThat(doc.path("verdict").asText()).isEqualTo("pass");
    for (String id : new String[] {"TC-INT1-01", "TC-INT2-01", "TC-INT3-01", "TC-INT4-01",
        "TC-SRC2-01"}) {
      assertThat(testCase(doc, id).path("verdict").asText()).as(id + ": %s", doc)
          .isEqualTo("PASS");
    }
    List<JsonNode> verified = ne.events().stream()
        .filter(e -> e.path("event").asText().equals("order_verified")).toList();
    assertThat(verified).hasSize(2);
    String int3 = testCase(doc, "TC-INT3-01").toString();
    String int4 = testCase(doc, "TC-INT4-01").toString();
    for (JsonNode v : verified) {
      assertThat(int3).contains(v.path("orderId").asText());
      assertThat(int4).contains(v.path("bundleSha256").asText());
    }
    assertThat(int3).contains("upgrade from core@1.0").contains("first install")
        .contains("all 3 files match");
    assertThat(int4).contains("server ingest: stored").contains("uploaded by pub")
        .contains("TUF target core-2.0.ngp");
    assertThat(testCase(doc, "TC-INT2-01").path("actual").asText())
        .isEqualTo("2 kept signed manifest(s) verified now");
    assertThat(testCase(doc, "TC-INT2-01").toString()).contains("CMS SignedData")
        .contains("core@1.0").contains("core@2.0");
    assertThat(testCase(doc, "TC-SRC2-01").toString()).contains("PACKAGE_UPLOAD")
        .contains("enrolled");
    assertThat(Files.readString(out.resolve("evidence-install.html")))
        .contains("TC-INT4-01").contains(verified.get(0).path("orderId").asText());

    // Only the log: what the state would show is not observed, and says so; nothing fails.
    Path logOnly = ne.home.resolve("evidence-log-only");
    CliRun l = CliRun.of("evidence", "install", "--log", ne.log.toString(), "--out",
        logOnly.toString(), "--json");
    assertThat(l.exit()).as("%s", l).isZero();
    JsonNode d = AgentFleet.JSON.readTree(logOnly.resolve("evidence-install.json").toFile());
    assertThat(testCase(d, "TC-INT2-01").path("verdict").asText()).isEqualTo("NOT_TESTED");
    assertThat(testCase(d, "TC-INT2-01").path("actual").asText()).startsWith("not observed");
    assertThat(testCase(d, "TC-INT4-01").toString()).contains("server ingest: not observed");
    assertThat(testCase(d, "TC-INT3-01").path("verdict").asText()).isEqualTo("PASS");

    // Nothing given at all: a usage error, not an empty document.
    assertThat(CliRun.of("evidence", "install", "--out", logOnly.toString()).exit())
        .isEqualTo(2);
  }

  @Test
  @Order(36)
  @DisplayName("ATT-3 OBJ-2 agent measure: the active slot measures exactly the RIM of its signed"
      + " manifest, a platform directory of measure.paths is a component of its own, and the"
      + " TIM is the chain of both (recomputed here)")
  void measure_untouched_matchesTheSignedRim() throws Exception {
    Path etc = Files.createDirectories(ne.home.resolve("etc-neguard"));
    Files.writeString(etc.resolve("agent.conf"), "a platform file\n");
    ne.set("measure.paths", "etc=etc-neguard");
    CliRun r = agent("measure", ne.config);
    assertThat(r.exit()).as("%s", r).isZero();
    JsonNode c = r.json().path("components");
    assertThat(c.findValuesAsText("name")).containsExactlyInAnyOrder("core", "platform:etc");
    JsonNode core = c.path(0).path("name").asText().equals("core") ? c.path(0) : c.path(1);
    JsonNode plat = core == c.path(0) ? c.path(1) : c.path(0);
    assertThat(core.path("digest").asText()).isEqualTo(core.path("signedRim").asText());
    assertThat(core.path("matches").asBoolean()).isTrue();
    assertThat(plat.path("reference").asText()).isEqualTo("OPERATOR_BASELINE");
    assertThat(r.json().path("tim").asText()).isEqualTo(org.neguard.measure.PlatformTim.of(
        List.of(new org.neguard.measure.PlatformTim.Component("core", core.path("digest")
            .asText(), org.neguard.measure.PlatformTim.Reference.VENDOR_SIGNED),
            new org.neguard.measure.PlatformTim.Component("platform:etc", plat.path("digest")
                .asText(), org.neguard.measure.PlatformTim.Reference.OPERATOR_BASELINE))));
  }

  @Test
  @Order(40)
  @DisplayName("INT-3 INT-1 a changed byte, a deleted file, an added file and a planted symbolic"
      + " link: verify-installed exits 3 naming each with its code")
  void verifyInstalled_tampered_namesEach() throws Exception {
    Path slot = ne.install().resolve("versions/core@2.0");
    byte[] lib = Files.readAllBytes(slot.resolve("lib/core.so"));
    lib[1000] ^= 0x01;
    Files.write(slot.resolve("lib/core.so"), lib);
    Files.delete(slot.resolve("etc/mme.conf"));
    Files.writeString(slot.resolve("bin/helper"), "#!/bin/sh\nnc -l -p 4444\n");
    Files.createSymbolicLink(slot.resolve("lib/libssl.so"), Path.of("/tmp/libssl.so"));
    CliRun r = agent("verify-installed", ne.config);
    assertThat(r.exit()).as("%s", r).isEqualTo(3);
    List<String> rows = new ArrayList<>();
    for (JsonNode f : r.json().path("findings")) {
      rows.add(f.path("path").asText() + " " + f.path("kind").asText() + " "
          + f.path("code").asText());
    }
    assertThat(rows).containsExactly("bin/helper extra STRUCTURE",
        "etc/mme.conf missing STRUCTURE", "lib/core.so changed DIGEST_MISMATCH",
        "lib/libssl.so unsafe UNSAFE_PATH");
    assertThat(r.json().path("reasons").toString()).contains("DIGEST_MISMATCH")
        .contains("lib/core.so");

    CliRun text = CliRun.of("agent", "verify-installed", "--config", ne.config.toString());
    assertThat(text.exit()).isEqualTo(3);
    assertThat(text.out()).contains("DIGEST_MISMATCH").contains("lib/core.so")
        .contains("etc/mme.conf").contains("bin/helper").contains("lib/libssl.so");
  }

  @Test
  @Order(41)
  @DisplayName("ATT-3 OBJ-2 agent measure on the tampered tree: exit 3 MEASUREMENT_MISMATCH, the"
      + " changed, missing and extra files named")
  void measure_tampered_mismatchNamed() throws Exception {
    CliRun r = agent("measure", ne.config);
    assertThat(r.exit()).as("%s", r).isEqualTo(3);
    assertThat(r.json().path("reasons").path(0).path("code").asText())
        .isEqualTo("MEASUREMENT_MISMATCH");
    JsonNode core = r.json().path("components").path(0);
    assertThat(core.path("matches").asBoolean()).isFalse();
    assertThat(core.path("changed").size() + core.path("missing").size()
        + core.path("extra").size()).isPositive();
  }

  @Test
  @Order(45)
  @DisplayName("INT-1 INT-3 evidence install on the tampered NE: INT-1 and INT-3 fail, naming the"
      + " changed files; exit 3")
  void evidenceInstall_tampered_fails() throws Exception {
    Path out = ne.home.resolve("evidence-tampered");
    CliRun r = CliRun.of("evidence", "install", "--agent-config", ne.config.toString(), "--log",
        ne.log.toString(), "--out", out.toString(), "--json");
    assertThat(r.exit()).as("%s", r).isEqualTo(3);
    JsonNode doc = AgentFleet.JSON.readTree(out.resolve("evidence-install.json").toFile());
    assertThat(doc.path("verdict").asText()).isEqualTo("fail");
    assertThat(testCase(doc, "TC-INT1-01").path("verdict").asText()).isEqualTo("FAIL");
    assertThat(testCase(doc, "TC-INT3-01").path("verdict").asText()).isEqualTo("FAIL");
    assertThat(testCase(doc, "TC-INT1-01").toString()).contains("lib/core.so DIGEST_MISMATCH")
        .contains("etc/mme.conf STRUCTURE");
    assertThat(r.json().path("reasons").get(0).path("subject").asText()).isEqualTo("TC-INT1-01");
    assertThat(r.json().path("reasons").get(0).path("code").asText())
        .isEqualTo("DIGEST_MISMATCH");
  }

  @Test
  @Order(50)
  @DisplayName("INT-3 INT-1 a kept manifest altered on the NE (its security version raised) no"
      + " longer verifies: SIGNATURE_INVALID, exit 3, no file judged against it")
  void verifyInstalled_manifestAltered_signatureRefused() throws Exception {
    Path m = ne.state().resolve("manifests/core@2.0/manifest.json");
    String json = Files.readString(m);
    String altered = json.replaceFirst("\"securityVersion\"\\s*:\\s*2", "\"securityVersion\":9");
    assertThat(altered).isNotEqualTo(json);
    Files.writeString(m, altered);
    try {
      CliRun r = agent("verify-installed", ne.config);
      assertThat(r.exit()).as("%s", r).isEqualTo(3);
      assertThat(r.json().path("reasons").get(0).path("code").asText())
          .isEqualTo("SIGNATURE_INVALID");
    } finally {
      Files.writeString(m, json);
    }
  }

  @Test
  @Order(60)
  @DisplayName("INT-3 an NE with nothing active: verify-installed says so and exits 1")
  void verifyInstalled_nothingActive_error() throws Exception {
    AgentFleet.Ne fresh = fleet.ne("ne-fresh").configure("mme");
    CliRun r = agent("verify-installed", fresh.config);
    assertThat(r.exit()).as("%s", r).isEqualTo(1);
    assertThat(r.out()).contains("BAD_INPUT").contains("nothing is active");
  }
}
