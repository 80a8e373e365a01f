package org.neguard.server.deploy;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A daily UTC window {@code HH:MM-HH:MM} in which orders are issued; it may wrap midnight
 * ({@code 22:00-02:00}). The start is inside, the end is not.
 */
record MaintenanceWindow(LocalTime start, LocalTime end) {
  private static final Pattern FORM = Pattern.compile("(\\d\\d:\\d\\d)-(\\d\\d:\\d\\d)");

  MaintenanceWindow {
    if (start.equals(end)) {
      throw new IllegalArgumentException("maintenance window starts and ends at " + start);
    }
  }

  /**
   * Parses {@code HH:MM-HH:MM}.
   *
   * @throws IllegalArgumentException naming the text when it is not such a window
   */
  static MaintenanceWindow parse(String text) {
    Matcher m = FORM.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "maintenance window is not HH:MM-HH:MM (UTC): '" + text + "'");
    }
    try {
      return new MaintenanceWindow(LocalTime.parse(m.group(1)), LocalTime.parse(m.group(2)));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("maintenance window has no such time: '" + text + "'");
    }
  }

  boolean wraps() {
    return end.isBefore(start);
  }

  /** Whether {@code at} lies inside the window. */
  boolean contains(Instant at) {
    LocalTime t = LocalTime.ofInstant(at, ZoneOffset.UTC);
    boolean afterStart = !t.isBefore(start);
    boolean beforeEnd = t.isBefore(end);
    return wraps() ? afterStart || beforeEnd : afterStart && beforeEnd;
  }

  /** When the window that contains {@code at} closes. */
  Instant endOf(Instant at) {
    LocalDate day = LocalDate.ofInstant(at, ZoneOffset.UTC);
    LocalTime t = LocalTime.ofInstant(at, ZoneOffset.UTC);
    if (wraps() && !t.isBefore(start)) {
      day = day.plusDays(1);
    }
    return day.atTime(end).toInstant(ZoneOffset.UTC);
  }

  @Override
  public String toString() {
    return start + "-" + end;
  }
}
