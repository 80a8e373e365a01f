package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code neguard vulndb import|status}: feeds into a database, all or nothing, and the state of
 * the database (intact, current). Records are in the OSV schema ({@link TelnetdAdvisories}).
 */
class VulnDbCommandTest {
  @TempDir Path dir;

  Path zip(String name, Instant modified, String... extra) throws Exception {
    Path zip = dir.resolve(name);
    try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
      for (TelnetdAdvisories.Advisory a : TelnetdAdvisories.BOTH) {
        z.putNextEntry(new ZipEntry(a.id() + ".json"));
        z.write(a.osv(modified).getBytes());
      }
      for (int i = 0; i < extra.length; i++) {
        z.putNextEntry(new ZipEntry("extra-" + i + ".json"));
        z.write(extra[i].getBytes());
      }
    }
    return zip;
  }

  @Test
  @DisplayName("HRD-3 import then status: the feed, its kind, ecosystems, record count and"
      + " date, in text and JSON; --max-age passes a current database")
  void importThenStatus() throws Exception {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    Path db = dir.resolve("db");
    CliRun imported = CliRun.of("vulndb", "import", "--db", db.toString(),
        zip("debian-osv.zip", now).toString(), "--json");
    assertThat(imported.exit()).as("%s", imported).isZero();
    JsonNode feed = imported.json().path("feeds").path(0);
    assertThat(feed.path("name").asText()).isEqualTo("debian-osv.zip");
    assertThat(feed.path("kind").asText()).isEqualTo("osv");
    assertThat(feed.path("records").asInt()).isEqualTo(2);
    assertThat(feed.path("newest").asText()).isEqualTo(now.toString());
    assertThat(feed.path("ecosystems").path(0).asText()).isEqualTo("Debian:12");

    CliRun text = CliRun.of("vulndb", "status", "--db", db.toString());
    assertThat(text.exit()).as("%s", text).isZero();
    assertThat(text.out()).contains("1 feed(s), 2 records, intact").contains("debian-osv.zip")
        .contains("Debian:12").contains(now.toString());
    CliRun fresh = CliRun.of("vulndb", "status", "--db", db.toString(), "--max-age", "7d",
        "--json");
    assertThat(fresh.exit()).as("%s", fresh).isZero();
    assertThat(fresh.json().path("verdict").asText()).isEqualTo("pass");
    assertThat(fresh.json().path("records").asInt()).isEqualTo(2);
  }

  @Test
  @DisplayName("HRD-3 refusals: a feed older than --max-age SCAN_POLICY, a damaged index"
      + " MALFORMED, no database MALFORMED (exit 3, each saying what to do); a malformed feed"
      + " refused MALFORMED leaving the database as it was; a missing file exit 1")
  void refusals() throws Exception {
    Path db = dir.resolve("db");
    Instant old = Instant.now().minus(30, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
    assertThat(CliRun.of("vulndb", "import", "--db", db.toString(), zip("old.zip", old)
        .toString()).exit()).isZero();
    CliRun stale = CliRun.of("vulndb", "status", "--db", db.toString(), "--max-age", "7d",
        "--json");
    assertThat(stale.exit()).as("%s", stale).isEqualTo(3);
    assertThat(stale.json().path("reasons").path(0).path("code").asText()).isEqualTo(
        "SCAN_POLICY");
    assertThat(stale.json().path("reasons").path(0).path("message").asText()).contains(
        "old.zip").contains("neguard vulndb import");

    CliRun broken = CliRun.of("vulndb", "import", "--db", db.toString(),
        zip("new.zip", Instant.now(), "{\"id\": \"X\"").toString(), "--json");
    assertThat(broken.exit()).as("%s", broken).isEqualTo(3);
    assertThat(broken.json().path("reasons").path(0).path("code").asText()).isEqualTo(
        "MALFORMED");
    assertThat(broken.json().path("reasons").path(0).path("message").asText()).contains(
        "extra-0.json");
    CliRun still = CliRun.of("vulndb", "status", "--db", db.toString(), "--json");
    assertThat(still.exit()).isZero();
    assertThat(still.json().path("feeds").findValuesAsText("name")).containsExactly("old.zip");

    Path idx;
    try (Stream<Path> s = Files.walk(db)) {
      idx = s.filter(p -> p.toString().endsWith(".idx")).findFirst().orElseThrow();
    }
    byte[] b = Files.readAllBytes(idx);
    b[b.length - 1] ^= 0x40;
    Files.write(idx, b);
    CliRun damaged = CliRun.of("vulndb", "status", "--db", db.toString(), "--json");
    assertThat(damaged.exit()).as("%s", damaged).isEqualTo(3);
    assertThat(damaged.json().path("reasons").path(0).path("code").asText()).isEqualTo(
        "MALFORMED");
    assertThat(damaged.json().path("reasons").path(0).path("message").asText()).contains(
        "damaged").contains("neguard vulndb import");

    CliRun none = CliRun.of("vulndb", "status", "--db", dir.resolve("nothing").toString());
    assertThat(none.exit()).as("%s", none).isEqualTo(3);
    assertThat(none.err() + none.out()).contains("import feeds with");
    CliRun missing = CliRun.of("vulndb", "import", "--db", db.toString(),
        dir.resolve("no-such.zip").toString());
    assertThat(missing.exit()).as("%s", missing).isEqualTo(1);
    assertThat(missing.err() + missing.out()).contains("no-such.zip").doesNotContain(
        "Exception");
  }
}
