package org.neguard.server.vuln;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.neguard.api.vuln.DeviceVulnerabilities;
import org.neguard.api.vuln.FeedDate;
import org.neguard.measure.Sha256;
import org.neguard.server.ServerConfig;
import org.neguard.verdict.RefusalException;
import org.neguard.vuln.FeedInfo;
import org.neguard.vuln.VulnDb;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The server's vulnerability database ({@code --vulndb DIR}): opened when first needed, not at
 * start (a server without a current database still serves everything else), and opened again
 * whenever the directory's {@code feeds.json} changes ({@code neguard vulndb import} rewrites it
 * last), so a new import needs no restart. Its state is always explicit: {@code NO_DATABASE}
 * (none configured, none imported yet, or one that cannot be opened) and {@code STALE_DATABASE}
 * (a feed older than {@code --vulndb-max-age}) are never shown as "no vulnerabilities".
 * The one place the server opens it: the NEs' assessments and the publication gate (server.pkg)
 * share it, so one import is seen by both and the index is in memory once. Thread-safe.
 */
@Component
public final class VulnDatabase {
  private static final Logger LOG = LoggerFactory.getLogger(VulnDatabase.class);
  /** feeds.json lists a few feeds; a larger one is not a database's. */
  static final int MAX_FEEDS_JSON = 1 << 20;
  static final String NONE = "none";

  private final Optional<Path> dir;
  private final Duration maxAge;
  private String openedFingerprint;
  private VulnDb opened;

  VulnDatabase(ServerConfig config) {
    this.dir = config.vuln().db();
    this.maxAge = config.vuln().maxAge();
  }

  /**
   * The database as it is now.
   *
   * @param state {@code ASSESSED} (usable and current), {@code STALE_DATABASE} (usable, too
   *     old) or {@code NO_DATABASE}
   * @param db the opened database, when usable
   * @param fingerprint SHA-256 of feeds.json ({@link #NONE} without a database): what an
   *     assessment was made against
   * @param messages why not {@code ASSESSED}, with what to do
   */
  public record Current(String state, Optional<VulnDb> db, String fingerprint,
      List<FeedDate> feeds, List<String> messages) {}

  /** Opens or reopens the database if needed, and judges its freshness at {@code now}. */
  public synchronized Current current(Instant now) {
    if (dir.isEmpty()) {
      return none("this server was started without a vulnerability database: import feeds with"
          + " 'neguard vulndb import --db DIR FEED...' and start the server with --vulndb DIR");
    }
    Path d = dir.get();
    byte[] list;
    try (InputStream in = Files.newInputStream(d.resolve("feeds.json"))) {
      list = in.readNBytes(MAX_FEEDS_JSON + 1);
    } catch (NoSuchFileException e) {
      return none(d + " holds no vulnerability database yet: import feeds with 'neguard vulndb"
          + " import --db " + d + " FEED...'");
    } catch (IOException e) {
      return none("cannot read " + d.resolve("feeds.json") + ": " + e.getMessage());
    }
    if (list.length > MAX_FEEDS_JSON) {
      return none(d.resolve("feeds.json") + " is larger than " + MAX_FEEDS_JSON + " bytes:"
          + " not a vulnerability database's; import the feeds again into an empty directory");
    }
    String fingerprint = Sha256.hex(list);
    if (!fingerprint.equals(openedFingerprint)) {
      try {
        VulnDb db = VulnDb.open(d);
        opened = db;
        openedFingerprint = fingerprint;
        LOG.info("vulnerability database {} opened: {} feed(s)", d, db.feeds().size());
      } catch (RefusalException | IOException | RuntimeException e) {
        // Fail closed: a database that cannot be opened is no database, not an old one kept.
        opened = null;
        openedFingerprint = null;
        return none("the vulnerability database in " + d + " cannot be opened: "
            + e.getMessage() + "; import the feeds again with 'neguard vulndb import'");
      }
    }
    List<FeedDate> feeds = opened.feeds().stream().map(VulnDatabase::date).toList();
    try {
      opened.requireFresh(maxAge, now);
      return new Current(DeviceVulnerabilities.ASSESSED, Optional.of(opened), fingerprint, feeds,
          List.of());
    } catch (RefusalException e) {
      return new Current(DeviceVulnerabilities.STALE_DATABASE, Optional.of(opened), fingerprint,
          feeds, List.of(e.getMessage() + " (the server's --vulndb-max-age is "
              + maxAge.toDays() + " days): findings published since are missing"));
    }
  }

  private static Current none(String message) {
    return new Current(DeviceVulnerabilities.NO_DATABASE, Optional.empty(), NONE, List.of(),
        List.of(message));
  }

  private static FeedDate date(FeedInfo f) {
    return new FeedDate(f.name(), f.kind(), f.newest().toString(), f.imported().toString(),
        f.records());
  }
}
