package org.neguard.cli.support;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * A duration on the command line: a whole number with a unit, {@code 500ms}, {@code 2s},
 * {@code 60m}, {@code 36h} or {@code 7d}; never zero or negative.
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
  private static final Pattern DURATION = Pattern.compile("([1-9][0-9]{0,8})(ms|s|m|h|d)");

  /** What the help says a duration looks like. */
  public static final String FORMS = "500ms, 2s, 60m, 36h or 7d";

  @Override
  public Duration convert(String value) {
    return parse(value).orElseThrow(() -> new CommandLine.TypeConversionException(
        "'" + value + "' is not a duration like " + FORMS));
  }

  /** {@code value} as a duration, or empty when it is not one. */
  public static java.util.Optional<Duration> parse(String value) {
    Matcher m = DURATION.matcher(value.strip().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      return java.util.Optional.empty();
    }
    long n = Long.parseLong(m.group(1));
    return java.util.Optional.of(switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    });
  }

  /**
   * An {@code --expires}-style value as an ISO-8601 instant: {@code value} itself when it is
   * one, else now plus {@code value} read as a duration (to the second); empty when it is
   * neither.
   */
  public static java.util.Optional<String> instantOrFromNow(String value) {
    try {
      return java.util.Optional.of(java.time.Instant.parse(value).toString());
    } catch (java.time.format.DateTimeParseException e) {
      return parse(value).map(d -> java.time.Instant.now().plus(d)
          .truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
    }
  }

  /** A duration as this converter reads it, in its largest whole unit ({@code 90s}, 2m). */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 86_400_000L == 0) {
      return ms / 86_400_000L + "d";
    }
    if (ms % 3_600_000L == 0) {
      return ms / 3_600_000L + "h";
    }
    if (ms % 60_000L == 0) {
      return ms / 60_000L + "m";
    }
    return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
  }
}
