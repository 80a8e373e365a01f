package org.neguard.pkg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.neguard.pkg.TestBundles.assertRefused;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/** OBJ-1 / INT-1: each limit of the bundle reader passes exactly at the limit and refuses one over. */
class BundleReaderBoundaryTest {
  private static final String ZEROS = "payload/zeros.bin";
  private static final String FIVE = "payload/five.txt";
  private static final String TEN = "payload/ten.txt";

  @TempDir static Path dir;
  @TempDir Path tmp;
  private static Path small;
  private static long smallPayload;
  private static Path entries;

  @BeforeAll
  static void setUp() throws Exception {
    small = TestBundles.build(TestBundles.smallTree(dir.resolve("tree")), dir.resolve("small.ngp"));
    try (BundleReader r = BundleReader.open(small, TestBundles.LIMITS)) {
      smallPayload = r.manifest().payloadBytes();
    }
    entries = BundleTamper.empty().add(ZEROS, new byte[4096])
        .addStored(FIVE, "abcde".getBytes(StandardCharsets.US_ASCII))
        .addStored(TEN, "0123456789".getBytes(StandardCharsets.US_ASCII))
        .write(dir.resolve("entries.zip"));
  }

  private static BundleLimits limits(long maxPayload, int ratio, long floor) {
    BundleLimits d = BundleLimits.defaults();
    return new BundleLimits(d.maxEntries(), d.maxManifestBytes(), d.maxSignatureBytes(), maxPayload,
        ratio, floor);
  }

  /** Whether this process holds {@code file} open. */
  private static boolean heldOpen(Path file) throws IOException {
    Path real = file.toRealPath();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.anyMatch(fd -> {
        try {
          return Files.readSymbolicLink(fd).equals(real);
        } catch (IOException e) {
          return false;
        }
      });
    }
  }

  @Test
  @DisplayName("OBJ-1: a directory or a missing path is an I/O error, not a verdict")
  void openArchive_directoryOrMissing_ioException() {
    assertThatThrownBy(() -> BundleReader.openArchive(tmp, TestBundles.LIMITS))
        .isInstanceOf(IOException.class).isNotInstanceOf(NoSuchFileException.class)
        .hasMessage("not a regular file: " + tmp);
    Path missing = tmp.resolve("missing.ngp");
    assertThatThrownBy(() -> BundleReader.openArchive(missing, TestBundles.LIMITS))
        .isInstanceOf(NoSuchFileException.class).hasMessage(missing.toString());
  }

  @Test
  @DisplayName("OBJ-1: a refused archive leaves no open file behind")
  void openArchive_malformed_closesTheFile() throws Exception {
    Path bad = Files.write(tmp.resolve("bad.ngp"), new byte[100]);
    assertRefused(() -> BundleReader.openArchive(bad, TestBundles.LIMITS), ReasonCode.MALFORMED);
    assertThat(heldOpen(bad)).isFalse();
  }

  @Test
  @DisplayName("OBJ-1: a bundle refused for its manifest leaves no open file behind")
  void open_noManifest_malformedAndClosesTheFile() throws Exception {
    RefusalException e =
        assertRefused(() -> BundleReader.open(entries, TestBundles.LIMITS), ReasonCode.MALFORMED);
    assertThat(e.getMessage()).contains("no " + BundleLayout.MANIFEST + " in the archive");
    assertThat(heldOpen(entries)).isFalse();
    try (BundleReader r = BundleReader.openArchive(entries, TestBundles.LIMITS)) {
      assertThat(heldOpen(entries)).isTrue();
      r.close();
      assertThat(r.channel().isOpen()).isFalse();
    }
  }

  @Test
  @DisplayName("OBJ-1: a payload exactly at the payload limit is accepted")
  void loadManifest_payloadExactlyAtLimit_accepted() throws Exception {
    try (BundleReader r = BundleReader.open(small, limits(smallPayload, 200, 1 << 20))) {
      assertThat(r.manifest().payloadBytes()).isEqualTo(smallPayload);
    }
  }

  @Test
  @DisplayName("OBJ-1: a payload one byte over the payload limit is SIZE_LIMIT")
  void loadManifest_payloadOneOverLimit_sizeLimit() {
    RefusalException e = assertRefused(
        () -> BundleReader.open(small, limits(smallPayload - 1, 200, 1 << 20)), ReasonCode.SIZE_LIMIT);
    assertThat(e.getMessage()).contains("the manifest lists " + smallPayload
        + " payload bytes, more than the limit of " + (smallPayload - 1));
  }

  @Test
  @DisplayName("OBJ-1: an empty payload (zero bytes) is accepted under a zero limit")
  void loadManifest_zeroPayloadZeroLimit_accepted() throws Exception {
    Path tree = tmp.resolve("tree");
    TestBundles.write(tree, "empty.txt", new byte[0], "rw-r--r--");
    Path b = TestBundles.build(tree, tmp.resolve("empty.ngp"));
    try (BundleReader r = BundleReader.open(b, limits(0, 200, 1 << 20))) {
      assertThat(r.manifest().payloadBytes()).isZero();
      assertThat(r.hasSignatureEntry()).isFalse();
      assertThat(r.signature()).isEmpty();
    }
  }

  @Test
  @DisplayName("INT-1: an entry listed with size 0 that holds a byte is SIZE_LIMIT")
  void loadManifest_entryLargerThanListedZero_sizeLimit() throws Exception {
    Path b = BundleTamper.of(small).replace("payload/" + TestBundles.EMPTY, new byte[] {'x'})
        .write(tmp.resolve("grown.ngp"));
    RefusalException e = assertRefused(() -> BundleReader.open(b, TestBundles.LIMITS), ReasonCode.SIZE_LIMIT);
    assertThat(e.getMessage()).contains("entry 'payload/" + TestBundles.EMPTY
        + "' is 1 bytes, larger than the 0 the manifest lists");
  }

  @Test
  @DisplayName("INT-1: the manifest's getters refuse before loadManifest()")
  void getters_beforeLoadManifest_illegalState() throws Exception {
    try (BundleReader r = BundleReader.openArchive(small, TestBundles.LIMITS)) {
      assertThatThrownBy(r::manifest).isInstanceOf(IllegalStateException.class)
          .hasMessage("loadManifest() was not called");
      assertThatThrownBy(r::manifestBytes).isInstanceOf(IllegalStateException.class)
          .hasMessage("loadManifest() was not called");
      assertThatThrownBy(r::signature).isInstanceOf(IllegalStateException.class)
          .hasMessage("loadManifest() was not called");
      r.loadManifest();
      assertThat(ManifestCodec.decode(r.manifestBytes())).isEqualTo(r.manifest());
      assertThat(r.file()).isEqualTo(small);
    }
  }

  @Test
  @DisplayName("INT-1: payload entries are known from the central directory, with their sizes")
  void payloadEntries_smallBundle_payloadOnlyWithSizes() throws Exception {
    try (BundleReader r = BundleReader.openArchive(small, TestBundles.LIMITS)) {
      assertThat(r.payloadEntries()).containsOnlyKeys("payload/" + TestBundles.TOOL,
          "payload/" + TestBundles.CONF, "payload/" + TestBundles.DATA, "payload/" + TestBundles.EMPTY);
      assertThat(r.payloadEntries()).containsEntry("payload/" + TestBundles.DATA, 4096L)
          .containsEntry("payload/" + TestBundles.EMPTY, 0L);
    }
  }

  @Test
  @DisplayName("INT-1: a signature entry is seen before the manifest is read")
  void hasSignatureEntry_withSignature_true() throws Exception {
    Path b = BundleTamper.of(small).add(BundleLayout.SIGNATURE, new byte[] {1, 2, 3})
        .write(tmp.resolve("sig.ngp"));
    try (BundleReader r = BundleReader.openArchive(b, TestBundles.LIMITS)) {
      assertThat(r.hasSignatureEntry()).isTrue();
    }
    try (BundleReader r = BundleReader.openArchive(small, TestBundles.LIMITS)) {
      assertThat(r.hasSignatureEntry()).isFalse();
    }
  }

  @Test
  @DisplayName("OBJ-1: an entry exactly at the ratio floor is not ratio-checked")
  void openArchive_sizeExactlyAtRatioFloor_accepted() throws Exception {
    try (BundleReader r = BundleReader.openArchive(entries, limits(1L << 30, 1, 4096))) {
      assertThat(r.entry(ZEROS).size()).isEqualTo(4096);
    }
  }

  @Test
  @DisplayName("OBJ-1: a ratio exactly at the limit passes, one over is SIZE_LIMIT with the ratio")
  void openArchive_ratioAtAndOverLimit() throws Exception {
    int ratio;
    try (BundleReader r = BundleReader.openArchive(entries, TestBundles.LIMITS)) {
      ratio = (int) (4096 / r.entry(ZEROS).compressedSize());
    }
    assertThat(ratio).isGreaterThan(2);
    try (BundleReader r = BundleReader.openArchive(entries, limits(1L << 30, ratio, 4095))) {
      assertThat(r.entry(ZEROS)).isNotNull();
    }
    RefusalException e = assertRefused(
        () -> BundleReader.openArchive(entries, limits(1L << 30, ratio - 1, 4095)), ReasonCode.SIZE_LIMIT);
    assertThat(e.getMessage()).contains("entry '" + ZEROS + "' expands " + ratio
        + " times, more than the limit of " + (ratio - 1) + " (a zip bomb?)");
  }

  @Test
  @DisplayName("INT-1: a stream bounded exactly at an entry's size reads it whole and marks it exact")
  void openEntry_exactlyAtLimit_readWholeAndExact() throws Exception {
    try (BundleReader r = BundleReader.openArchive(entries, TestBundles.LIMITS)) {
      assertThat(r.readExactly(FIVE)).isFalse();
      try (InputStream in = r.openEntry(FIVE, 5)) {
        assertThat(in.read()).isEqualTo('a');
        byte[] b = new byte[4];
        assertThat(in.read(b, 0, 4)).isEqualTo(4);
        assertThat(new String(b, StandardCharsets.US_ASCII)).isEqualTo("bcde");
        assertThat(in.read()).isEqualTo(-1);
      }
      assertThat(r.readExactly(FIVE)).isTrue();
      assertThat(r.readExactly(TEN)).isFalse();
    }
  }

  @Test
  @DisplayName("INT-1: a stream bounded one below an entry's size fails, naming the entry")
  void openEntry_oneOverLimit_sizeExceeded() throws Exception {
    try (BundleReader r = BundleReader.openArchive(entries, TestBundles.LIMITS);
        InputStream in = r.openEntry(TEN, 5)) {
      byte[] b = new byte[5];
      assertThat(in.read(b, 0, 5)).isEqualTo(5);
      assertThat(new String(b, StandardCharsets.US_ASCII)).isEqualTo("01234");
      BundleReader.SizeExceededException e =
          catchThrowableOfType(BundleReader.SizeExceededException.class, in::read);
      assertThat(e).hasMessage("entry '" + TEN + "' holds more than 5 bytes");
      assertThat(e.entry()).isEqualTo(TEN);
    }
    try (BundleReader r = BundleReader.openArchive(entries, TestBundles.LIMITS);
        InputStream in = r.openEntry(TEN, 9)) {
      assertThatThrownBy(in::readAllBytes).isInstanceOf(BundleReader.SizeExceededException.class);
    }
  }

  @Test
  @DisplayName("INT-1: past a partial read, a bounded stream asks for one byte over its limit, no more")
  void openEntry_overLimitAfterPartialRead_readsOneByteOverOnly() throws Exception {
    try (BundleReader r = BundleReader.openArchive(entries, TestBundles.LIMITS);
        InputStream in = r.openEntry(TEN, 5)) {
      assertThat(in.read(new byte[3], 0, 3)).isEqualTo(3);
      byte[] b = new byte[8];
      assertThatThrownBy(() -> in.read(b, 0, 8)).isInstanceOf(BundleReader.SizeExceededException.class);
      assertThat(new String(b, 0, 3, StandardCharsets.US_ASCII)).isEqualTo("345");
      assertThat(b[3]).as("nothing read beyond one byte over the limit").isZero();
    }
  }
}
