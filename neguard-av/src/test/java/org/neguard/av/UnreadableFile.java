package org.neguard.av;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.util.List;
import org.neguard.io.Streams;
import org.neguard.progress.ProgressListener;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * A payload file that cannot be read: opening it fails, or reading it fails part way (a bad
 * disk sector, a package on a network share that went away). That is the package's or the disk's
 * fault, not the engine's, and every engine must say the same thing (AV-1): {@link
 * ScanItem#unreadable}, never {@code ENGINE_ERROR}.
 */
final class UnreadableFile {
  static final int SIZE = 256 << 10;

  private UnreadableFile() {}

  /**
   * A file of {@link #SIZE} bytes whose stream fails once {@code failAt} bytes were read (reads
   * are served 4 KiB at a time); a negative {@code failAt} fails the open itself.
   */
  static ScanItem failingAt(String path, int failAt) {
    String why = "simulated read error at byte " + failAt;
    return new ScanItem(path, SIZE, () -> {
      if (failAt < 0) {
        throw new IOException(why);
      }
      return new FilterInputStream(new ByteArrayInputStream(ClamdEngineTest.filler(SIZE, ""))) {
        private int read;

        @Override
        public int read() throws IOException {
          return Streams.readOne(this);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          if (read >= failAt) {
            throw new IOException(why);
          }
          int n = super.read(b, off, Math.min(Math.min(len, 4096), failAt - read));
          read += Math.max(n, 0);
          return n;
        }
      };
    });
  }

  /**
   * Scans a file that cannot be opened, one that fails after 100 bytes (inside an ICAP preview)
   * and one that fails half way with {@code engine}: each is refused with the one code, subject
   * and message of an unreadable file.
   */
  static void assertEngineReportsUnreadable(ScanEngine engine) {
    for (int failAt : new int[] {-1, 100, SIZE / 2}) {
      String path = "opt/unreadable-" + failAt;
      ScanItem item = failingAt(path, failAt);
      RefusalException e = catchThrowableOfType(RefusalException.class,
          () -> engine.scan(List.of(item), ProgressListener.NONE));
      assertThat(e).as("a refusal for " + path).isNotNull();
      assertThat(e.code()).as(e.getMessage()).isEqualTo(ReasonCode.IO_ERROR);
      assertThat(e.reasons()).hasSize(1);
      assertThat(e.reasons().get(0).subject()).isEqualTo(path);
      assertThat(e.getMessage()).contains("cannot read '" + path + "' to scan it (simulated read"
          + " error at byte " + failAt + "); check the package file and the disk it is on, then"
          + " scan again");
    }
  }
}
