package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.harden.vuln.VulnFixtures;
import org.neguard.progress.ProgressListener;
import org.neguard.vuln.VulnDb;

/**
 * HRD-3: {@code harden check} assesses an inventory with this host's own package database only
 * when the inventory is provably this machine's: its host name AND the machine id {@code harden
 * inventory} recorded (/etc/machine-id) are this host's. An inventory of another NE with the same
 * name (clones of one image, a default name such as {@code debian}) judged by this host's
 * packages would be a false "clean" for a vulnerable NE (security review finding M3). The
 * inventories here are taken by the real {@code harden inventory} on this machine, with its real
 * /etc/machine-id; the others are edited copies of them.
 */
class HardenCheckMachineIdTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  static Path db;
  static Path policy;
  static Path inventory;
  static String machineId;

  @BeforeAll
  static void setUp() throws Exception {
    Path feed = Files.createDirectories(dir.resolve("feed"));
    db = dir.resolve("vulndb");
    VulnDb.importFeeds(db, List.of(VulnFixtures.feed(feed, "debian-12-osv.zip",
        Instant.now().truncatedTo(ChronoUnit.SECONDS))), ProgressListener.NONE);
    policy = Files.writeString(dir.resolve("ne.yaml"), """
        schema: neguard-hardening-policy/1
        neType: lab-ne
        allowed: []
        """);
    inventory = dir.resolve("inventory.json");
    CliRun r = CliRun.of("harden", "inventory", "--json", "--out", inventory.toString());
    assertThat(r.exit()).as("%s", r).isZero();
    // The real /etc/machine-id, as NEGuard records it: its app-specific id (io.MachineIdTest
    // holds both the reading and the derivation to systemd-id128).
    machineId = org.neguard.io.MachineId.local().orElseThrow();
    assertThat(machineId).isNotEqualTo(Files.readString(Path.of("/etc/machine-id"),
        StandardCharsets.US_ASCII).strip());
  }

  /** A copy of this host's inventory with {@code machineId} set to {@code value} (JSON text). */
  static Path withMachineId(String name, String value) throws Exception {
    String json = Files.readString(inventory);
    assertThat(json).contains("\"machineId\" : \"" + machineId + "\"");
    return Files.writeString(dir.resolve(name), json.replace(
        "\"machineId\" : \"" + machineId + "\"", "\"machineId\" : " + value));
  }

  /** {@code harden check} of {@code file} with the database, as the test cases run it. */
  static CliRun check(Path file, String... more) {
    String[] args = {"--policy", policy.toString(), "--inventory", file.toString(), "--vulndb",
        db.toString(), "--json"};
    String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
    System.arraycopy(more, 0, all, args.length, more.length);
    return HardenCli.check(all);
  }

  @Test
  @DisplayName("HRD-3 this host's inventory (the real harden inventory, its real machine id)"
      + " is assessed with this host's dpkg database, as before")
  void check_thisHostsInventory_assessedWithThisHostsPackages() throws Exception {
    // HRD-3
    JsonNode inv = JSON.readTree(inventory.toFile());
    assertThat(inv.path("machineId").asText()).isEqualTo(machineId);
    assertThat(inv.path("host").asText()).isEqualTo(Files.readString(
        Path.of("/proc/sys/kernel/hostname")).strip());

    CliRun r = check(inventory);
    // This machine is no lab NE: its open ports may fail the port half; the packages are
    // assessed all the same.
    assertThat(r.exit()).as("%s", r).isIn(0, 3);
    JsonNode v = r.json().at("/evidence/vulnerabilities");
    assertThat(v.path("packages").asText()).contains("/var/lib/dpkg/status", "this host's");
    assertThat(v.path("components").asInt()).isGreaterThan(100);
  }

  @Test
  @DisplayName("HRD-3 an inventory naming this host but recording another machine's id (a clone,"
      + " a default name) is refused (exit 2) saying why and what to give; this host's dpkg"
      + " database is not used, no evidence is written; with --dpkg-status it is assessed")
  void check_sameHostNameOtherMachineId_refusesLocalPackages() throws Exception {
    // HRD-3
    String other = machineId.substring(0, 31) + (machineId.endsWith("0") ? "1" : "0");
    Path clone = withMachineId("clone.json", "\"" + other + "\"");
    Path report = dir.resolve("clone-evidence");

    CliRun r = check(clone, "--report", report.toString());
    assertThat(r.exit()).as("%s", r).isEqualTo(2);
    assertThat(r.err()).contains("names this host", "another machine's",
        "is not this host's /etc/machine-id", "--dpkg-status FILE", "--rpmdb DIR",
        "'neguard harden inventory'");
    assertThat(r.out()).doesNotContain("/var/lib/dpkg/status");
    assertThat(report).doesNotExist();

    // What the message says to do: that host's package database, given.
    CliRun given = check(clone, "--dpkg-status", "/var/lib/dpkg/status");
    assertThat(given.exit()).as("%s", given).isIn(0, 3);
    assertThat(given.json().at("/evidence/vulnerabilities/packages").asText())
        .contains("given with --dpkg-status");
  }

  @Test
  @DisplayName("HRD-3 an inventory naming this host without a machine id (older NEGuard, or"
      + " machineId null) stays readable but is refused (exit 2) for this host's packages")
  void check_sameHostNameNoMachineId_refusesLocalPackages() throws Exception {
    // HRD-3
    ObjectNode old = (ObjectNode) JSON.readTree(inventory.toFile());
    old.remove("machineId");
    Path older = Files.write(dir.resolve("older.json"), JSON.writeValueAsBytes(old));

    for (Path file : List.of(older, withMachineId("null.json", "null"))) {
      CliRun r = check(file);
      assertThat(r.exit()).as("%s", r).isEqualTo(2);
      assertThat(r.err()).contains("names this host", "records no machine id",
          "--dpkg-status FILE", "--rpmdb DIR", "'neguard harden inventory'");
      assertThat(r.out()).doesNotContain("/var/lib/dpkg/status");
    }
    // Still an inventory: without the vulnerability assessment it is judged as before.
    CliRun ports = HardenCli.check("--policy", policy.toString(), "--inventory",
        older.toString(), "--json");
    assertThat(ports.exit()).as("%s", ports).isIn(0, 3);
    assertThat(ports.json().path("host").asText()).isEqualTo(old.path("host").asText());
  }

  @Test
  @DisplayName("HRD-3 a malformed machineId (wrong length, upper case, not hex, a newline, all"
      + " zero, not a string) or a duplicated machineId key is refused as a malformed inventory"
      + " (BAD_INPUT, exit 1), never read as this host's")
  void check_malformedMachineId_refusedAsMalformed() throws Exception {
    // HRD-3
    List<String> bad = List.of(
        "\"" + machineId.toUpperCase() + "\"",
        "\"" + machineId.substring(1) + "\"",
        "\"" + machineId + "0\"",
        "\"g" + machineId.substring(1) + "\"",
        "\"" + machineId + "\\n\"",
        "\" " + machineId + "\"",
        "\"" + "0".repeat(32) + "\"",
        "\"\"",
        "12345678901234567890123456789012",
        "true",
        "[\"" + machineId + "\"]",
        "{\"id\": \"" + machineId + "\"}",
        // a duplicate key: another machine's id first, this host's last
        "\"" + "1".repeat(32) + "\", \"machineId\" : \"" + machineId + "\"");
    int i = 0;
    for (String value : bad) {
      CliRun r = check(withMachineId("bad-" + i++ + ".json", value));
      assertThat(r.exit()).as("%s: %s", value, r).isEqualTo(1);
      JsonNode reasons = r.json().path("reasons");
      assertThat(reasons.findValuesAsText("code")).as("%s: %s", value, r)
          .containsExactly("BAD_INPUT");
      assertThat(reasons.toString()).as(value).contains("observation is not valid at line");
      assertThat(r.out()).doesNotContain("/var/lib/dpkg/status");
    }
  }
}
