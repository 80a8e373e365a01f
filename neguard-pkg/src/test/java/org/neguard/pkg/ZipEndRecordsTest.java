package org.neguard.pkg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neguard.pkg.TestBundles.assertRefused;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.neguard.verdict.ReasonCode;

/**
 * OBJ-1 (issue 10, finding 1): the end records have one reading only. Each field a reader could
 * read two ways (disks, counts, sizes, offsets, where the ZIP64 record lies) is pinned: the
 * consistent value opens, each inconsistent one is MALFORMED with its own message.
 */
class ZipEndRecordsTest {
  // Offsets in the ZIP64 tail: ZIP64 end record, locator, end record.
  private static final int LOCATOR = 56;
  private static final int EOCD = 76;

  @TempDir static Path shared;
  private static byte[] entriesAndDirectory;
  private static int count;
  private static int directorySize;
  private static int directoryOffset;

  @TempDir Path tmp;

  @BeforeAll
  static void setUp() throws Exception {
    Path bundle = TestBundles.build(TestBundles.smallTree(shared.resolve("tree")),
        shared.resolve("a.ngp"));
    byte[] zip = Files.readAllBytes(bundle);
    ByteBuffer end = ByteBuffer.wrap(zip, zip.length - 22, 22).slice()
        .order(ByteOrder.LITTLE_ENDIAN);
    count = end.getShort(10);
    directorySize = end.getInt(12);
    directoryOffset = end.getInt(16);
    entriesAndDirectory = Arrays.copyOf(zip, zip.length - 22);
  }

  /** The bundle with ZIP64 end records, edited by {@code edit}. */
  private Path zip64(Consumer<ByteBuffer> edit) throws Exception {
    ByteBuffer b = ByteBuffer.allocate(entriesAndDirectory.length + 98)
        .order(ByteOrder.LITTLE_ENDIAN);
    b.put(entriesAndDirectory);
    ByteBuffer t = b.slice().order(ByteOrder.LITTLE_ENDIAN);
    long record = entriesAndDirectory.length;
    t.putInt(ZipLayout.ZIP64_EOCD_SIGNATURE).putLong(44).putShort((short) 45)
        .putShort((short) 45).putInt(0).putInt(0).putLong(count).putLong(count)
        .putLong(directorySize).putLong(directoryOffset);
    t.putInt(ZipLayout.ZIP64_LOCATOR_SIGNATURE).putInt(0).putLong(record).putInt(1);
    t.putInt(ZipLayout.EOCD_SIGNATURE).putShort((short) 0).putShort((short) 0)
        .putShort((short) 0xffff).putShort((short) 0xffff).putInt(-1).putInt(-1)
        .putShort((short) 0);
    edit.accept(t);
    return Files.write(tmp.resolve("zip64.ngp"), b.array());
  }

  /** The bundle with its plain end record edited by {@code edit}. */
  private Path plain(Consumer<ByteBuffer> edit) throws Exception {
    ByteBuffer b = ByteBuffer.allocate(entriesAndDirectory.length + 22)
        .order(ByteOrder.LITTLE_ENDIAN);
    b.put(entriesAndDirectory);
    ByteBuffer t = b.slice().order(ByteOrder.LITTLE_ENDIAN);
    t.putInt(ZipLayout.EOCD_SIGNATURE).putShort((short) 0).putShort((short) 0)
        .putShort((short) count).putShort((short) count).putInt(directorySize)
        .putInt(directoryOffset).putShort((short) 0);
    edit.accept(t);
    return Files.write(tmp.resolve("plain.ngp"), b.array());
  }

  @Test
  void control_plainAndZip64EndRecords_open() throws Exception {
    BundleReader.open(plain(t -> { }), TestBundles.LIMITS).close();
    BundleReader.open(zip64(t -> { }), TestBundles.LIMITS).close();
    // The plain record may give the real values instead of all ones, as long as they agree.
    BundleReader.open(zip64(t -> t.putShort(EOCD + 8, (short) count)
        .putShort(EOCD + 10, (short) count).putInt(EOCD + 12, directorySize)
        .putInt(EOCD + 16, directoryOffset)), TestBundles.LIMITS).close();
  }

  @Test
  @DisplayName("OBJ-1: an empty ZIP (its end record alone) is MALFORMED for want of a manifest")
  void open_emptyZip_malformedNoManifest() throws Exception {
    ByteBuffer end = ByteBuffer.allocate(22).order(ByteOrder.LITTLE_ENDIAN)
        .putInt(ZipLayout.EOCD_SIGNATURE);
    Path file = Files.write(tmp.resolve("empty.ngp"), end.array());

    var e = assertRefused(() -> BundleReader.open(file, TestBundles.LIMITS), ReasonCode.MALFORMED);
    assertThat(e.reasons().get(0).message()).contains(BundleLayout.MANIFEST);
  }

  static Stream<Arguments> badEndRecords() {
    return Stream.of(
        Arguments.of("plain: disk number", false, edit(t -> t.putShort(4, (short) 1)),
            "several disks"),
        Arguments.of("plain: directory's disk", false, edit(t -> t.putShort(6, (short) 1)),
            "several disks"),
        Arguments.of("plain: entries on this disk", false,
            edit(t -> t.putShort(8, (short) (count - 1))), "several disks"),
        Arguments.of("plain: comment length without comment", false,
            edit(t -> t.putShort(20, (short) 1)), "end-of-central-directory"),
        Arguments.of("plain: size all ones without ZIP64", false, edit(t -> t.putInt(12, -1)),
            "ZIP64 end records it does not have"),
        Arguments.of("plain: offset all ones without ZIP64", false, edit(t -> t.putInt(16, -1)),
            "ZIP64 end records it does not have"),
        Arguments.of("plain: one record fewer than the directory holds", false,
            edit(t -> t.putShort(8, (short) (count - 1)).putShort(10, (short) (count - 1))),
            "more in its central directory"),
        Arguments.of("plain: one record more than the directory holds", false,
            edit(t -> t.putShort(8, (short) (count + 1)).putShort(10, (short) (count + 1))),
            "central directory"),
        Arguments.of("plain: directory offset one later", false,
            edit(t -> t.putInt(16, directoryOffset + 1)), "does not end where"),
        Arguments.of("plain: directory size one less", false,
            edit(t -> t.putInt(12, directorySize - 1)), "does not end where"),
        Arguments.of("ZIP64: locator's disk", true, edit(t -> t.putInt(LOCATOR + 4, 1)),
            "locator"),
        Arguments.of("ZIP64: locator's record offset", true,
            edit(t -> t.putLong(LOCATOR + 8, t.getLong(LOCATOR + 8) - 1)), "locator"),
        Arguments.of("ZIP64: locator's disk count", true, edit(t -> t.putInt(LOCATOR + 16, 2)),
            "locator"),
        Arguments.of("ZIP64: record signature", true, edit(t -> t.putInt(0, 0x06064b51)),
            "damaged ZIP64"),
        Arguments.of("ZIP64: record size field", true, edit(t -> t.putLong(4, 45)),
            "damaged ZIP64"),
        Arguments.of("ZIP64: disk number", true, edit(t -> t.putInt(16, 1)), "damaged ZIP64"),
        Arguments.of("ZIP64: directory's disk", true, edit(t -> t.putInt(20, 1)),
            "damaged ZIP64"),
        Arguments.of("ZIP64: entries on this disk", true, edit(t -> t.putLong(24, count - 1)),
            "damaged ZIP64"),
        Arguments.of("ZIP64: plain count disagrees", true,
            edit(t -> t.putShort(EOCD + 10, (short) (count - 1))
                .putShort(EOCD + 8, (short) (count - 1))), "disagree"),
        Arguments.of("ZIP64: plain size disagrees", true,
            edit(t -> t.putInt(EOCD + 12, directorySize - 1)), "disagree"),
        Arguments.of("ZIP64: plain offset disagrees", true,
            edit(t -> t.putInt(EOCD + 16, directoryOffset + 1)), "disagree"),
        Arguments.of("ZIP64: negative directory offset", true,
            edit(t -> t.putLong(48, -1)), "does not end where"),
        Arguments.of("ZIP64: negative directory size", true,
            edit(t -> t.putLong(40, -1)), "does not end where"));
  }

  private static Consumer<ByteBuffer> edit(Consumer<ByteBuffer> e) {
    return e;
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("badEndRecords")
  @DisplayName("OBJ-1 (issue 10 #1): end records with two readings are MALFORMED")
  void open_badEndRecords_malformed(String what, boolean zip64, Consumer<ByteBuffer> edit,
      String named) throws Exception {
    Path file = zip64 ? zip64(edit) : plain(edit);

    var e = assertRefused(() -> BundleReader.openArchive(file, TestBundles.LIMITS).close(),
        ReasonCode.MALFORMED);
    assertThat(e.reasons().get(0).message()).contains(named);
  }
}
