package org.neguard.cli.vuln;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.cli.support.CommandBase;
import org.neguard.cli.support.DurationConverter;
import org.neguard.cli.support.Output;
import org.neguard.vuln.FeedInfo;
import org.neguard.vuln.VulnDb;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard vulndb status}: the feeds, their dates, and whether they are current. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = {"Show the feeds in the vulnerability database with their dates and record"
        + " counts, after checking every index against the SHA-256 recorded at import.",
        "Exit 0 when the database is intact (and, with --max-age, every feed current); 3 when"
            + " it is damaged or missing (MALFORMED) or a feed is older than --max-age"
            + " (SCAN_POLICY); 1 when it cannot be read."})
final class VulnDbStatusCommand extends CommandBase {
  @Option(names = "--db", required = true, paramLabel = "DIR",
      description = "The database directory.")
  Path db;

  @Option(names = "--max-age", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "Refuse the database when a feed's newest record is older than this ("
          + DurationConverter.FORMS + "): an old feed misses every advisory published since.")
  Duration maxAge;

  @Override
  public Integer call() throws Exception {
    Output out = output();
    VulnDb vdb = VulnDb.open(db);
    Instant now = Instant.now();
    if (maxAge != null) {
      vdb.requireFresh(maxAge, now);
    }
    List<FeedInfo> feeds = vdb.feeds();
    StringBuilder text = new StringBuilder();
    long records = 0;
    for (FeedInfo f : feeds) {
      text.append('\n').append(line(f, now));
      records += f.records();
    }
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("db", db.toString());
    d.put("records", records);
    d.put("feeds", json(feeds));
    String head = db + ": " + feeds.size() + " feed(s), " + records + " records, intact"
        + (maxAge == null ? "" : ", every feed newer than --max-age");
    return maxAge == null ? out.done(head + text, d) : out.pass("PASS  " + head + text, d);
  }

  /** The feeds for JSON output (dates as ISO-8601 strings). */
  static List<Map<String, Object>> json(List<FeedInfo> feeds) {
    return feeds.stream().map(f -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", f.name());
      m.put("kind", f.kind());
      m.put("ecosystems", f.ecosystems());
      m.put("newest", f.newest().toString());
      m.put("imported", f.imported().toString());
      m.put("records", f.records());
      m.put("sha256", f.sha256());
      return m;
    }).toList();
  }

  /** One feed in one line: {@code debian.zip  osv  Debian:12  60000 records  newest ... (2 days)}. */
  static String line(FeedInfo f, Instant now) {
    long days = Duration.between(f.newest(), now).toDays();
    return "  " + Output.printable(f.name()) + "  " + f.kind() + "  "
        + String.join(",", f.ecosystems()) + "  " + f.records() + " records  newest "
        + f.newest() + " (" + days + " day" + (days == 1 ? "" : "s") + " old)  imported "
        + f.imported();
  }
}
