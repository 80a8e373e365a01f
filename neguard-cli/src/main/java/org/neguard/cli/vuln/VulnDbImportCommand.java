package org.neguard.cli.vuln;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.cli.support.CommandBase;
import org.neguard.cli.support.Output;
import org.neguard.cli.support.TerminalProgress;
import org.neguard.vuln.FeedInfo;
import org.neguard.vuln.VulnDb;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code neguard vulndb import}: feeds into the database, all or nothing. */
@Command(name = "import", mixinStandardHelpOptions = true,
    description = {"Import OSV feeds (a zip such as OSV's per-ecosystem all.zip, a directory"
        + " of OSV JSON records, or one record) and NVD CVE API 2.0 files (.json or .json.gz)"
        + " into the vulnerability database in --db, replacing feeds of the same file name.",
        "All or nothing: a malformed, truncated or oversized feed, or two records with one id,"
            + " is refused (exit 3, MALFORMED or SIZE_LIMIT) and the database stays as it"
            + " was; exit 1 when a file cannot be read."})
final class VulnDbImportCommand extends CommandBase {
  @Option(names = "--db", required = true, paramLabel = "DIR",
      description = "The database directory (created if needed).")
  Path db;

  @Parameters(arity = "1..*", paramLabel = "FEED", description = "The feed files to import.")
  List<Path> feeds;

  @Override
  public Integer call() throws Exception {
    Output out = output();
    long start = System.nanoTime();
    List<FeedInfo> all;
    try (TerminalProgress bar = TerminalProgress.bytes(out, "importing")) {
      all = VulnDb.importFeeds(db, feeds, bar);
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    List<String> names = feeds.stream().map(f -> f.getFileName().toString()).toList();
    StringBuilder text = new StringBuilder("imported " + names.size() + " feed(s) into " + db
        + " in " + took.toMillis() + " ms");
    for (FeedInfo f : all) {
      if (names.contains(f.name())) {
        text.append('\n').append(VulnDbStatusCommand.line(f, Instant.now()));
      }
    }
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("db", db.toString());
    d.put("imported", names);
    d.put("millis", took.toMillis());
    d.put("feeds", VulnDbStatusCommand.json(all));
    return out.done(text.toString(), d);
  }
}
