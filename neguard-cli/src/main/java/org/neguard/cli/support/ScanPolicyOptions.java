package org.neguard.cli.support;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.neguard.scanreport.ScanReportCheck;
import org.neguard.scanreport.ScanPolicy;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The publication gate's policy (AV-2), shared by {@code pkg sign} and {@code pkg verify}. */
public final class ScanPolicyOptions {
  private static final Pattern DURATION = Pattern.compile("([1-9][0-9]{0,5})([dh])");

  @Option(names = "--min-engines", paramLabel = "N", defaultValue = "1",
      description = "Clean reports needed from at least N distinct engines (default: ${DEFAULT-VALUE}).")
  int minEngines;

  @Option(names = "--min-av-engines", paramLabel = "N", defaultValue = "1",
      description = "Of those, at least N anti-virus engines, clamd or ICAP; YARA rules add to"
          + " an anti-virus engine, they do not replace one (default: ${DEFAULT-VALUE}).")
  int minAntivirusEngines;

  @Option(names = "--max-db-age", paramLabel = "AGE", defaultValue = "7d",
      converter = AgeConverter.class,
      description = "Oldest signature database allowed at scan time, in days (7d) or hours"
          + " (36h) (default: ${DEFAULT-VALUE}).")
  Duration maxDatabaseAge;

  @Option(names = "--allow-unversioned-db",
      description = "Accept reports from engines that do not tell their signature database"
          + " version and date (AV-3 asks for both; off by default).")
  boolean allowUnversioned;

  public ScanReportCheck gate(CommandLine cl) {
    try {
      return new ScanReportCheck(new ScanPolicy(
          minEngines, minAntivirusEngines, maxDatabaseAge, !allowUnversioned));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "scan policy: " + e.getMessage());
    }
  }

  public static final class AgeConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      Matcher m = DURATION.matcher(value.toLowerCase(Locale.ROOT));
      if (!m.matches()) {
        throw new CommandLine.TypeConversionException(
            "'" + value + "' is not an age like 7d or 36h");
      }
      long n = Long.parseLong(m.group(1));
      return m.group(2).equals("d") ? Duration.ofDays(n) : Duration.ofHours(n);
    }
  }
}
