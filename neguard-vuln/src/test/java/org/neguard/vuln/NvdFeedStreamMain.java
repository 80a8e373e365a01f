package org.neguard.vuln;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Run by {@code NvdReaderTest} in its own JVM with a small heap: generates an NVD feed of
 * {@code args[0]} records on the fly (never as a whole in memory) and reads it with
 * {@link NvdReader}, printing {@code records=N bytes=B}. A reader that held the feed, or its
 * records, would run out of memory.
 */
public final class NvdFeedStreamMain {
  private NvdFeedStreamMain() {}

  public static void main(String[] args) throws Exception {
    int n = Integer.parseInt(args[0]);
    Generated in = new Generated(n);
    int[] count = {0};
    NvdReader.read(in, "generated.json", c -> count[0]++);
    System.out.println("records=" + count[0] + " bytes=" + in.bytes);
  }

  /** head, n records with ids CVE-2099-0000000..., tail; produced as they are read. */
  static final class Generated extends InputStream {
    private final int n;
    private int next;
    private byte[] chunk = ("{\"format\":\"NVD_CVE\",\"version\":\"2.0\",\"timestamp\":"
        + "\"2024-07-12T08:00:00.000\",\"vulnerabilities\":[").getBytes(StandardCharsets.UTF_8);
    private int pos;
    long bytes;

    Generated(int n) {
      this.n = n;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (pos == chunk.length) {
        if (next > n) {
          return -1;
        }
        chunk = (next == n ? "]}" : (next == 0 ? "" : ",") + record(next))
            .getBytes(StandardCharsets.UTF_8);
        next++;
        pos = 0;
      }
      int k = Math.min(len, chunk.length - pos);
      System.arraycopy(chunk, pos, b, off, k);
      pos += k;
      bytes += k;
      return k;
    }

    private static String record(int i) {
      return String.format("{\"cve\":{\"id\":\"CVE-2099-%07d\",\"lastModified\":"
          + "\"2024-07-01T00:00:00.000\",\"descriptions\":[{\"lang\":\"en\",\"value\":\"%s\"}],"
          + "\"configurations\":[{\"nodes\":[{\"operator\":\"OR\",\"negate\":false,\"cpeMatch\":"
          + "[{\"vulnerable\":true,\"criteria\":\"cpe:2.3:a:example:product%d:*:*:*:*:*:*:*:*\","
          + "\"versionEndExcluding\":\"1.%d\"}]}]}],\"references\":[{\"url\":"
          + "\"https://example.org/%d\"}]}}", i, "x".repeat(200), i % 1000, i % 97, i);
    }
  }
}
