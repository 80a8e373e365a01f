package org.neguard.scanreport;

import java.util.Objects;

/**
 * What one engine concluded about one payload file.
 *
 * @param path the file's path in the package
 * @param status clean, infected or not scanned
 * @param signature the engine's name for what it found ({@code Eicar-Test-Signature}), when
 *     infected; null otherwise
 * @param detail why a file was not scanned, or where in an archive a finding sits; may be null
 */
public record FileResult(String path, Status status, String signature, String detail) {
  /** Only {@code CLEAN} lets a package through the publication gate. */
  public enum Status {
    CLEAN,
    INFECTED,
    /** The engine skipped all or part of the file (size limit, encrypted, unsupported...). */
    NOT_SCANNED
  }

  public FileResult {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(status, "status");
    if (status == Status.INFECTED && (signature == null || signature.isBlank())) {
      throw new IllegalArgumentException("an infected result needs a signature name: " + path);
    }
    if (status == Status.NOT_SCANNED && (detail == null || detail.isBlank())) {
      throw new IllegalArgumentException("a not-scanned result needs a reason: " + path);
    }
  }

  public static FileResult clean(String path) {
    return new FileResult(path, Status.CLEAN, null, null);
  }

  public static FileResult infected(String path, String signature, String detail) {
    return new FileResult(path, Status.INFECTED, signature, detail);
  }

  public static FileResult notScanned(String path, String why) {
    return new FileResult(path, Status.NOT_SCANNED, null, why);
  }
}
