package org.neguard.scanreport;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One engine's run over a package's payload (AV-3), stored in the bundle under {@code
 * neguard/scan/} and covered by the vendor's signature through the manifest's digest of it.
 *
 * <p>It names the engine and its signature database, where and when the scan ran, exactly which
 * payload it judged (the payload tree digest, which is the package's RIM), the result for every
 * file, and the verdict. The verdict follows from the results: {@link Verdict#CLEAN} only when
 * every file is clean.
 *
 * @param format always {@link #FORMAT}
 * @param engine the engine and its signature database
 * @param scanHost the host name of the machine that ran the scan
 * @param scanner the program that drove the engine ({@code NEGuard 0.1.0})
 * @param started when the scan started
 * @param finished when it ended
 * @param packageName the scanned package's name
 * @param packageVersion its version
 * @param payloadDigest the tree digest ({@code sha256-tree-v1}) of the payload scanned
 * @param files one result per payload file, in manifest order
 * @param verdict the verdict these results give
 * @param notes anything an auditor must know (a demo database, settings)
 */
@JsonPropertyOrder({
  "format", "engine", "scanHost", "scanner", "started", "finished", "packageName",
  "packageVersion", "payloadDigest", "files", "verdict", "notes"
})
public record ScanReport(
    String format,
    EngineInfo engine,
    String scanHost,
    String scanner,
    Instant started,
    Instant finished,
    String packageName,
    String packageVersion,
    String payloadDigest,
    List<FileResult> files,
    Verdict verdict,
    List<String> notes) {

  /** The value of {@code format} for this layout. */
  public static final String FORMAT = "neguard-scan-report/1";

  /** The verdict of one report. */
  public enum Verdict {
    /** Every file examined in full, nothing found. */
    CLEAN,
    /** At least one finding. */
    INFECTED,
    /** Nothing found, but at least one file was not (fully) examined. */
    INCOMPLETE
  }

  public ScanReport {
    if (!FORMAT.equals(format)) {
      throw new IllegalArgumentException("format is " + format + ", expected " + FORMAT);
    }
    Objects.requireNonNull(engine, "engine");
    Objects.requireNonNull(scanHost, "scanHost");
    Objects.requireNonNull(scanner, "scanner");
    Objects.requireNonNull(started, "started");
    Objects.requireNonNull(finished, "finished");
    Objects.requireNonNull(packageName, "packageName");
    Objects.requireNonNull(packageVersion, "packageVersion");
    Objects.requireNonNull(payloadDigest, "payloadDigest");
    Objects.requireNonNull(files, "files");
    Objects.requireNonNull(verdict, "verdict");
    if (finished.isBefore(started)) {
      throw new IllegalArgumentException("finished " + finished + " is before started " + started);
    }
    files = List.copyOf(files);
    notes = notes == null ? List.of() : List.copyOf(notes);
    Verdict expected = verdictOf(files);
    if (verdict != expected) {
      throw new IllegalArgumentException(
          "verdict is " + verdict + " but the file results give " + expected);
    }
  }

  /** The verdict a list of results gives: any infection wins, then any file not scanned. */
  public static Verdict verdictOf(List<FileResult> files) {
    boolean incomplete = false;
    for (FileResult f : files) {
      if (f.status() == FileResult.Status.INFECTED) {
        return Verdict.INFECTED;
      }
      incomplete |= f.status() == FileResult.Status.NOT_SCANNED;
    }
    return incomplete ? Verdict.INCOMPLETE : Verdict.CLEAN;
  }

  /** Results that are not clean, in file order. */
  public List<FileResult> findings() {
    return files.stream().filter(f -> f.status() != FileResult.Status.CLEAN).toList();
  }
}
