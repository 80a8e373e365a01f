package org.neguard.av;

import java.util.Locale;
import java.util.Objects;

/** Turns an {@code --engine} argument into the engine it names. */
public final class Engines {
  private Engines() {}

  /**
   * {@code clamd:tcp://HOST:PORT}, {@code clamd:unix:/path}, {@code yara:/path/rules.yar} or
   * {@code icap://HOST:PORT/SERVICE}, each with the options its engine documents.
   *
   * @throws IllegalArgumentException naming what is wrong with the spec
   */
  public static ScanEngine parse(String spec) {
    Objects.requireNonNull(spec, "spec");
    String lower = spec.toLowerCase(Locale.ROOT);
    if (lower.startsWith("clamd:")) {
      return ClamdEngine.fromSpec(spec);
    }
    if (lower.startsWith("yara:")) {
      return YaraEngine.fromSpec(spec);
    }
    if (lower.startsWith("icap://")) {
      return IcapEngine.fromSpec(spec);
    }
    throw new IllegalArgumentException(
        "unknown engine '" + spec + "': use clamd:tcp://HOST:PORT, clamd:unix:/path,"
            + " yara:RULES.yar or icap://HOST:PORT/SERVICE");
  }
}
