package org.neguard.scan;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveInputStream;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Covers a silent gap in clamd: a ZIP member larger than {@code MaxFileSize} is cut to its first
 * MaxFileSize bytes ({@code cli_unzip: trimming output size to maxfilesize}) and the stream is
 * answered {@code OK}, {@code AlertExceedsMax yes} or not (ClamAV 1.4.6; tar and gzip members
 * do raise {@code Heuristics.Limits.Exceeded}). For a file that is a ZIP (magic {@code PK\3\4}
 * at offset 0: zip, jar, apk...), every member is inflated and counted before the file goes to
 * clamd. ZIPs nested inside other archives are not opened here (docs/SCANNING-CLAMD.md).
 */
final class ZipMembers {
  private ZipMembers() {}

  /** Whether the first {@code length} bytes of a file start like a ZIP ({@code PK\3\4}). */
  static boolean isZip(byte[] head, int length) {
    return length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
  }

  /**
   * Null when every member of {@code item}, a file that starts like a ZIP, fits {@code
   * maxFileSize}; otherwise a not-scanned result naming the first member too large, or saying why
   * the ZIP could not be checked. Encrypted members are left to clamd, which reports them
   * ({@code AlertEncrypted}).
   *
   * @throws RefusalException {@code IO_ERROR} when the item itself cannot be read
   */
  static FileResult checkMembers(ScanItem item, long maxFileSize) throws RefusalException {
    Tracking raw = null;
    try {
      raw = open(item);
      try (ZipArchiveInputStream zip =
          new ZipArchiveInputStream(
              new BufferedInputStream(raw, 1 << 16), StandardCharsets.UTF_8.name(), true, true)) {
        byte[] buf = new byte[1 << 16];
        ZipArchiveEntry e;
        while ((e = zip.getNextEntry()) != null) {
          if (e.getGeneralPurposeBit().usesEncryption()) {
            return null; // clamd answers Heuristics.Encrypted.Zip for the whole file
          }
          if (e.getSize() > maxFileSize) {
            return tooLarge(item, e.getName(), maxFileSize);
          }
          long n = 0;
          for (int r; (r = zip.read(buf)) > 0; ) {
            n += r;
            if (n > maxFileSize) {
              return tooLarge(item, e.getName(), maxFileSize);
            }
          }
        }
      }
      return null;
    } catch (IOException e) {
      if (raw != null && raw.failure != null) {
        throw RefusalException.about(
            ReasonCode.IO_ERROR,
            item.path(),
            "cannot read '" + item.path() + "' to scan it: " + raw.failure.getMessage());
      }
      return FileResult.notScanned(
          item.path(),
          "a ZIP whose member sizes NEGuard cannot check (" + e.getMessage() + "): clamd might"
              + " scan only part of a member, so it is not sent");
    } finally {
      if (raw != null) {
        try {
          raw.close();
        } catch (IOException e) {
          // Read-only stream: nothing to lose.
        }
      }
    }
  }

  private static Tracking open(ScanItem item) throws RefusalException {
    try {
      return new Tracking(item.content().open());
    } catch (IOException e) {
      throw RefusalException.about(
          ReasonCode.IO_ERROR,
          item.path(),
          "cannot read '" + item.path() + "' to scan it: " + e.getMessage());
    }
  }

  private static FileResult tooLarge(ScanItem item, String member, long max) {
    return FileResult.notScanned(
        item.path(),
        "ZIP member '" + member + "' is larger than clamd's MaxFileSize (" + max
            + " bytes): clamd would scan only its first " + max + " bytes and call it"
            + " clean; raise MaxFileSize in clamd.conf and in the engine's maxFileSize option");
  }

  /** Remembers a failure of the item's own stream, to tell it from a malformed ZIP. */
  private static final class Tracking extends FilterInputStream {
    IOException failure;

    Tracking(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      try {
        return super.read();
      } catch (IOException e) {
        failure = e;
        throw e;
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return super.read(b, off, len);
      } catch (IOException e) {
        failure = e;
        throw e;
      }
    }
  }
}
