package org.neguard.av;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.neguard.progress.ProgressListener;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * A payload file on disk that changes while an engine reads it: right after the engine's first
 * read (reads are served 4 KiB at a time, as from a slow disk), the file grows or is truncated.
 * Every engine must then say the same thing (AV-1): {@link ScanItem#changed}.
 */
final class ChangingFile {
  static final int SIZE = 256 << 10;

  private ChangingFile() {}

  /** A file of {@link #SIZE} bytes, sized now, that grows by 1000 bytes during the scan. */
  static ScanItem growing(Path dir, String path) throws IOException {
    Path file = write(dir, path);
    return item(path, file, () -> Files.write(file, new byte[1000], StandardOpenOption.APPEND));
  }

  /** A file of {@link #SIZE} bytes, sized now, cut to half its size during the scan. */
  static ScanItem shrinking(Path dir, String path) throws IOException {
    Path file = write(dir, path);
    return item(path, file, () -> {
      try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
        c.truncate(SIZE / 2);
      }
    });
  }

  /**
   * Scans a growing file, then a shrinking one, with {@code engine}: each is refused with the
   * one code and message of a file changed during a scan.
   */
  static void assertEngineReportsChanges(ScanEngine engine, Path dir) throws IOException {
    ScanItem grows = growing(dir, "opt/grows");
    assertChanged(() -> engine.scan(List.of(grows), ProgressListener.NONE), "opt/grows",
        "more than " + SIZE);
    ScanItem cut = shrinking(dir, "opt/cut");
    assertChanged(() -> engine.scan(List.of(cut), ProgressListener.NONE), "opt/cut",
        Integer.toString(SIZE / 2));
  }

  /** {@code scan} refused with the one code and message of a file changed during a scan. */
  static void assertChanged(ThrowingCallable scan, String path, String bytesRead) {
    RefusalException e = catchThrowableOfType(RefusalException.class, scan);
    assertThat(e).as("a refusal").isNotNull();
    assertThat(e.code()).as(e.getMessage()).isEqualTo(ReasonCode.IO_ERROR);
    assertThat(e.reasons().get(0).subject()).isEqualTo(path);
    assertThat(e.getMessage()).contains("'" + path + "' changed while it was being scanned ("
        + bytesRead + " bytes read, " + SIZE + " expected); scan again once nothing writes to it");
  }

  private interface Change {
    void apply() throws IOException;
  }

  private static Path write(Path dir, String path) throws IOException {
    Path file = dir.resolve(path.replace('/', '_'));
    Files.write(file, ClamdEngineTest.filler(SIZE, ""));
    return file;
  }

  private static ScanItem item(String path, Path file, Change change) throws IOException {
    long size = Files.size(file);
    return new ScanItem(path, size, () -> new FilterInputStream(Files.newInputStream(file)) {
      private boolean changed;

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, Math.min(len, 4096));
        if (!changed) {
          changed = true;
          change.apply();
        }
        return n;
      }
    });
  }
}
