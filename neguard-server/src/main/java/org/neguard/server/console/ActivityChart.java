package org.neguard.server.console;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The overview's chart of attestation failures and deployments over time (issue 18), counted by
 * the database from the attestation verdicts ({@code attestations.result = 'FAIL'}, by the time
 * they were judged) and the deployments (by the time they were created), in equal buckets of the
 * last 24 hours or 7 days. Drawn on the server as SVG attributes: no script, no inline style,
 * so the console's Content-Security-Policy stays as it is. Read-only; thread-safe.
 */
@Component
class ActivityChart {
  /** A window the chart can show: its length, its bucket and how a bucket is labelled. */
  enum Window {
    DAY("24h", Duration.ofHours(24), Duration.ofHours(1), "HH:mm"),
    WEEK("7d", Duration.ofDays(7), Duration.ofDays(1), "MM-dd");

    final String id;
    final Duration length;
    final Duration bucket;
    final DateTimeFormatter label;

    Window(String id, Duration length, Duration bucket, String label) {
      this.id = id;
      this.length = length;
      this.bucket = bucket;
      this.label = DateTimeFormatter.ofPattern(label, Locale.ROOT).withZone(ZoneOffset.UTC);
    }

    /** The window named {@code id}; anything else is the last 24 hours. */
    static Window of(String id) {
      return "7d".equals(id) ? WEEK : DAY;
    }

    int buckets() {
      return (int) (length.toSeconds() / bucket.toSeconds());
    }
  }

  /**
   * One bucket: its start (UTC), how many attestations failed and deployments were created in
   * it, and the bars' geometry in the SVG's units.
   */
  record Column(String start, String label, int failures, int deployments, int x,
      int failureHeight, int deploymentHeight) {}

  /** The chart: its window, the columns oldest first, totals and the tallest count. */
  record Chart(String window, String from, String to, List<Column> columns, int failures,
      int deployments, int max) {
    static final int HEIGHT = 120;
    /** The chart's width: 24 hourly columns of 18, or 7 daily ones wide enough for a date. */
    static final int WIDTH = 432;

    public int width() {
      return WIDTH;
    }
  }

  private final JdbcClient jdbc;
  private final Clock clock;

  ActivityChart(JdbcClient jdbc) {
    this.jdbc = jdbc;
    this.clock = Clock.systemUTC();
  }

  Chart chart(Window w) {
    long size = w.bucket.toSeconds();
    // The last bucket ends at the next whole bucket (hour or day, UTC), so labels are round.
    long end = Math.floorDiv(clock.instant().getEpochSecond(), size) * size + size;
    long start = end - w.length.toSeconds();
    int[] failures = counts("attestations", "judged_at", "result = 'FAIL'", start, end, size,
        w.buckets());
    int[] deployments = counts("deployments", "created_at", "1 = 1", start, end, size,
        w.buckets());
    int max = 1;
    for (int i = 0; i < w.buckets(); i++) {
      max = Math.max(max, Math.max(failures[i], deployments[i]));
    }
    List<Column> columns = new ArrayList<>();
    int totalF = 0;
    int totalD = 0;
    for (int i = 0; i < w.buckets(); i++) {
      Instant at = Instant.ofEpochSecond(start + i * size);
      columns.add(new Column(at.toString(), w.label.format(at), failures[i], deployments[i],
          i * (Chart.WIDTH / w.buckets()), failures[i] * Chart.HEIGHT / max,
          deployments[i] * Chart.HEIGHT / max));
      totalF += failures[i];
      totalD += deployments[i];
    }
    return new Chart(w.id, Instant.ofEpochSecond(start).toString(),
        Instant.ofEpochSecond(end).toString(), columns, totalF, totalD, max);
  }

  /**
   * Rows of {@code table} matching {@code where}, per bucket of {@code column}'s time: counted
   * by the database (a week of a large fleet's attestations is not fetched row by row). The
   * table, column and condition are this class's constants, never the request's; the bucket
   * arithmetic is numbers computed here.
   */
  private int[] counts(String table, String column, String where, long start, long end,
      long size, int buckets) {
    int[] out = new int[buckets];
    String sql = "SELECT b, COUNT(*) AS n FROM (SELECT FLOOR((EXTRACT(EPOCH FROM " + column
        + ") - " + start + ") / " + size + ") AS b FROM " + table + " WHERE " + where + " AND "
        + column + " >= ? AND " + column + " < ?) x GROUP BY b";
    jdbc.sql(sql).params(utc(start), utc(end)).query(rs -> {
      long b = rs.getLong("b");
      if (b >= 0 && b < buckets) {
        out[(int) b] += rs.getInt("n");
      }
    });
    return out;
  }

  private static OffsetDateTime utc(long epochSecond) {
    return Instant.ofEpochSecond(epochSecond).atOffset(ZoneOffset.UTC);
  }
}
