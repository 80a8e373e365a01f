package org.neguard.scanreport;

import java.time.Instant;
import java.util.Objects;

/**
 * Who scanned, with what (AV-3): enough for an auditor to know which engine and which signature
 * database judged a package, and for the scan policy to judge the database's age.
 *
 * @param kind the engine family: {@code clamd}, {@code yara} or {@code icap}
 * @param product the product name as the engine reports it ({@code ClamAV}, {@code YARA}, the
 *     ICAP service's name)
 * @param engineVersion the engine's own version ({@code 1.4.6})
 * @param databaseVersion the signature database version (clamd's daily version, the SHA-256 of
 *     YARA's rules file...); null when the engine does not say, which the scan policy treats as
 *     a failure
 * @param databaseDate when the signature database was built; null when the engine does not say
 * @param endpoint where the engine was reached ({@code tcp://127.0.0.1:3310}, a rules path)
 */
public record EngineInfo(
    String kind,
    String product,
    String engineVersion,
    String databaseVersion,
    Instant databaseDate,
    String endpoint) {
  public EngineInfo {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(product, "product");
    Objects.requireNonNull(engineVersion, "engineVersion");
    Objects.requireNonNull(endpoint, "endpoint");
  }
}
