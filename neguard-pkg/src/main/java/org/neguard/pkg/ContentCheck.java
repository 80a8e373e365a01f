package org.neguard.pkg;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;
import org.neguard.verdict.Reason;
import org.neguard.verdict.RefusalException;
import org.neguard.progress.ProgressListener;

/** Checks that every file a bundle carries is the one its manifest lists, signature aside. */
public final class ContentCheck {
  private ContentCheck() {}

  /**
   * Hashes every listed payload file and scan report of the open bundle and compares them with
   * the manifest.
   *
   * @throws RefusalException with every mismatch ({@code DIGEST_MISMATCH}, {@code SIZE_LIMIT}...)
   */
  public static void check(BundleReader reader, int threads, ProgressListener progress)
      throws IOException, RefusalException {
    try (PayloadHasher hasher =
        PayloadHasher.startListed(reader, reader.manifest(), threads, progress)) {
      List<Reason> failures = PayloadHasher.compare(reader.manifest(), hasher.await());
      if (!failures.isEmpty()) {
        throw new RefusalException(failures);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("content check interrupted");
    }
  }
}
