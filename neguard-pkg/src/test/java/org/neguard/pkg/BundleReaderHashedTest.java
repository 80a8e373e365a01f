package org.neguard.pkg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.measure.Sha256;

/**
 * AV-1, INT-1: {@link BundleReader#openHashed}, the one reading of a payload entry that a scan
 * hands to the engine and hashes: the digest told is that of the bytes yielded, and only of an
 * entry read whole and found exact.
 */
class BundleReaderHashedTest {
  private static final String STORED = "payload/stored.bin";
  private static final String DEFLATED = "payload/deflated.txt";
  private static final byte[] BINARY = new byte[70_000];
  private static final byte[] LONG =
      "all work and no play\n".repeat(5000).getBytes(StandardCharsets.US_ASCII);

  static {
    new java.util.Random(5).nextBytes(BINARY);
  }

  @TempDir static Path dir;
  private static Path zip;

  @BeforeAll
  static void setUp() throws IOException {
    zip = BundleTamper.empty().addStored(STORED, BINARY).add(DEFLATED, LONG)
        .write(dir.resolve("h.zip"));
  }

  private record Told(long size, String sha256) {}

  @Test
  @DisplayName("AV-1: a stored and a deflated entry read whole tell the size and SHA-256 of the"
      + " bytes yielded, once, before the end of the stream")
  void openHashed_storedAndDeflatedReadWhole_tellSizeAndDigestOfTheBytesYielded()
      throws Exception {
    try (BundleReader r = BundleReader.openArchive(zip, TestBundles.LIMITS)) {
      for (String name : List.of(STORED, DEFLATED)) {
        List<Told> told = new ArrayList<>();
        ByteArrayOutputStream yielded = new ByteArrayOutputStream();
        try (InputStream in = r.openHashed(name, 1 << 20,
            (size, sha256) -> told.add(new Told(size, sha256)))) {
          byte[] buf = new byte[7777]; // reads that do not line up with the entry's chunks
          for (int n; (n = in.read(buf, 0, buf.length)) != -1; ) {
            assertThat(told).as(name + ": told before the end").isEmpty();
            yielded.write(buf, 0, n);
          }
          assertThat(told).as(name).containsExactly(
              new Told(yielded.size(), Sha256.hex(yielded.toByteArray())));
          assertThat(in.read()).isEqualTo(-1);
        }
        assertThat(yielded.toByteArray()).isEqualTo(name.equals(STORED) ? BINARY : LONG);
        assertThat(told).hasSize(1);
        assertThat(r.readExactly(name)).isTrue();
      }
    }
  }

  @Test
  @DisplayName("INT-1: a stored entry whose bytes on disk are not those of its CRC-32 is refused"
      + " when read, and no digest is told")
  void openHashed_storedBytesChangedOnDisk_refusedCrcMismatch_nothingTold() throws Exception {
    Path changed = dir.resolve("changed.zip");
    Files.copy(zip, changed, StandardCopyOption.REPLACE_EXISTING);
    long at;
    try (BundleReader r = BundleReader.openArchive(changed, TestBundles.LIMITS)) {
      at = r.layout().span(STORED).dataStart() + 40_000;
    }
    try (FileChannel ch = FileChannel.open(changed, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {(byte) ~BINARY[40_000]}), at);
    }
    try (BundleReader r = BundleReader.openArchive(changed, TestBundles.LIMITS)) {
      List<Told> told = new ArrayList<>();
      InputStream in = r.openHashed(STORED, 1 << 20,
          (size, sha256) -> told.add(new Told(size, sha256)));

      EntryStream.MismatchException e =
          catchThrowableOfType(EntryStream.MismatchException.class, in::readAllBytes);

      assertThat(e).hasMessageContaining("does not match the CRC-32");
      assertThat(told).isEmpty();
      assertThat(r.readExactly(STORED)).isFalse();
    }
  }

  @Test
  @DisplayName("INT-1: an entry read in part tells nothing")
  void openHashed_readStoppedEarly_nothingTold() throws Exception {
    try (BundleReader r = BundleReader.openArchive(zip, TestBundles.LIMITS)) {
      List<Told> told = new ArrayList<>();
      try (InputStream in = r.openHashed(DEFLATED, 1 << 20,
          (size, sha256) -> told.add(new Told(size, sha256)))) {
        assertThat(in.readNBytes(LONG.length - 1)).hasSize(LONG.length - 1);
      }
      assertThat(told).isEmpty();
    }
  }

  @Test
  @DisplayName("INT-1: an entry read to its end past skipped bytes tells nothing: the reader"
      + " never saw the bytes skipped")
  void openHashed_bytesSkippedThenReadToTheEnd_nothingTold() throws Exception {
    try (BundleReader r = BundleReader.openArchive(zip, TestBundles.LIMITS)) {
      for (String name : List.of(STORED, DEFLATED)) {
        int size = name.equals(STORED) ? BINARY.length : LONG.length;
        List<Told> told = new ArrayList<>();
        try (InputStream in = r.openHashed(name, 1 << 20,
            (s, sha256) -> told.add(new Told(s, sha256)))) {
          assertThat(in.readNBytes(100)).hasSize(100);
          assertThat(in.skip(1000)).isEqualTo(1000);
          assertThat(in.readAllBytes()).hasSize(size - 1100);
          assertThat(in.read()).isEqualTo(-1);
        }
        assertThat(told).as(name).isEmpty();
        assertThat(r.readExactly(name)).as(name).isFalse();
      }
    }
  }

  @Test
  @DisplayName("INT-1: a bound below the entry's size is held, and nothing is told")
  void openHashed_boundBelowEntrySize_sizeExceeded_nothingTold() throws Exception {
    try (BundleReader r = BundleReader.openArchive(zip, TestBundles.LIMITS)) {
      List<Told> told = new ArrayList<>();
      InputStream in = r.openHashed(STORED, 1000,
          (size, sha256) -> told.add(new Told(size, sha256)));

      BundleReader.SizeExceededException e =
          catchThrowableOfType(BundleReader.SizeExceededException.class, in::readAllBytes);

      assertThat(e).hasMessage("entry '" + STORED + "' holds more than 1000 bytes");
      assertThat(told).isEmpty();
    }
  }
}
