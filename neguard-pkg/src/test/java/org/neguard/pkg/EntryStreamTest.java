package org.neguard.pkg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.Inflater;
import java.util.zip.ZipException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * INT-1: an entry's content is read from its own compressed data and nothing else, and is
 * exactly what its headers say.
 */
class EntryStreamTest {
  private static final String STORED = "payload/stored.txt";
  private static final String DEFLATED = "payload/deflated.txt";
  private static final byte[] TEXT = "h\u00e9llo, entry\n".getBytes(StandardCharsets.UTF_8);
  private static final byte[] LONG = "all work and no play\n".repeat(200).getBytes(StandardCharsets.US_ASCII);

  @TempDir static Path dir;
  private static Path zip;

  @BeforeAll
  static void setUp() throws IOException {
    zip = BundleTamper.empty().addStored(STORED, TEXT).add(DEFLATED, LONG).write(dir.resolve("e.zip"));
  }

  private static EntryStream stream(BundleReader r, String name, ZipLayout.Span span, Runnable exact) {
    return new EntryStream(r.channel(), name, r.entry(name), span, null, exact);
  }

  @Test
  @DisplayName("INT-1: read() yields each byte as 0-255 and -1 at the end, again and again")
  void read_singleBytes_unsignedThenEndOfStream() throws Exception {
    try (BundleReader r = BundleReader.openArchive(zip, TestBundles.LIMITS)) {
      AtomicInteger exact = new AtomicInteger();
      EntryStream in = stream(r, STORED, r.layout().span(STORED), exact::incrementAndGet);
      for (byte b : TEXT) {
        assertThat(in.read()).isEqualTo(b & 0xff);
      }
      assertThat(in.read()).isEqualTo(-1);
      assertThat(in.read()).isEqualTo(-1);
      assertThat(in.read(new byte[4], 0, 4)).isEqualTo(-1);
      assertThat(exact).hasValue(1);
    }
  }

  @Test
  @DisplayName("INT-1: a deflated entry read to its end is exact, and its inflater is released")
  void read_deflatedToEnd_exactAndInflaterEnded() throws Exception {
    try (BundleReader r = BundleReader.openArchive(zip, TestBundles.LIMITS)) {
      AtomicInteger exact = new AtomicInteger();
      EntryStream in = stream(r, DEFLATED, r.layout().span(DEFLATED), exact::incrementAndGet);
      assertThat(in.readAllBytes()).isEqualTo(LONG);
      assertThat(exact).hasValue(1);
      assertEnded(in);
    }
  }

  @Test
  @DisplayName("INT-1: closing a deflated entry early releases its inflater and ends the stream")
  void close_deflatedEarly_inflaterEnded() throws Exception {
    try (BundleReader r = BundleReader.openArchive(zip, TestBundles.LIMITS)) {
      EntryStream in = stream(r, DEFLATED, r.layout().span(DEFLATED), () -> {});
      assertThat(in.read(new byte[10], 0, 10)).isPositive();
      in.close();
      assertEnded(in);
      assertThat(in.read()).isEqualTo(-1);
    }
  }

  private static void assertEnded(EntryStream in) throws Exception {
    Field f = EntryStream.class.getDeclaredField("inflater");
    f.setAccessible(true);
    Inflater inflater = (Inflater) f.get(in);
    // An ended inflater refuses use: a NullPointerException on 17, an IllegalStateException
    // ("Inflater has been closed") since JDK 25 made Inflater closeable.
    assertThat(catchThrowable(inflater::getBytesRead)).as("the inflater was ended")
        .isInstanceOfAny(NullPointerException.class, IllegalStateException.class);
  }

  @Test
  @DisplayName("INT-1: compressed data cut short inside the deflate stream is refused")
  void read_deflateCutShort_endsInsideCompressedData() throws Exception {
    try (BundleReader r = BundleReader.openArchive(zip, TestBundles.LIMITS)) {
      ZipLayout.Span s = r.layout().span(DEFLATED);
      EntryStream in = stream(r, DEFLATED, new ZipLayout.Span(s.start(), s.dataStart(), s.end() - 3), () -> {});
      ZipException e = catchThrowableOfType(ZipException.class, in::readAllBytes);
      assertThat(e).hasMessage("entry '" + DEFLATED + "' ends inside its compressed data");
    }
  }

  @Test
  @DisplayName("INT-1: bytes after the end of the deflate stream are counted and refused")
  void read_bytesAfterDeflateEnd_mismatchCountsThem() throws Exception {
    try (BundleReader r = BundleReader.openArchive(zip, TestBundles.LIMITS)) {
      ZipLayout.Span s = r.layout().span(DEFLATED);
      AtomicInteger exact = new AtomicInteger();
      EntryStream in = stream(r, DEFLATED, new ZipLayout.Span(s.start(), s.dataStart(), s.end() + 5),
          exact::incrementAndGet);
      EntryStream.MismatchException e =
          catchThrowableOfType(EntryStream.MismatchException.class, in::readAllBytes);
      assertThat(e).hasMessageStartingWith("entry '" + DEFLATED + "' has 5 bytes after the end of its"
          + " compressed data");
      assertThat(exact).hasValue(0);
    }
  }

  @Test
  @DisplayName("INT-1: invalid deflate data is a ZipException naming the entry")
  void read_garbageDeflate_notValidDeflateData() throws Exception {
    Path bad = dir.resolve("garbage.zip");
    java.nio.file.Files.copy(zip, bad, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    long at;
    try (BundleReader r = BundleReader.openArchive(bad, TestBundles.LIMITS)) {
      at = r.layout().span(DEFLATED).dataStart();
    }
    try (var ch = java.nio.channels.FileChannel.open(bad, java.nio.file.StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(new byte[] {(byte) 0xff, (byte) 0xff}), at);
    }
    try (BundleReader r = BundleReader.openArchive(bad, TestBundles.LIMITS)) {
      EntryStream in = stream(r, DEFLATED, r.layout().span(DEFLATED), () -> {});
      ZipException e = catchThrowableOfType(ZipException.class, in::readAllBytes);
      assertThat(e).hasMessageStartingWith("entry '" + DEFLATED + "' is not valid deflate data (");
    }
  }
}
