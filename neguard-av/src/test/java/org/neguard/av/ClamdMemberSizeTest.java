package org.neguard.av;

import org.neguard.scanreport.FileResult;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neguard.av.Archives.ascii;
import static org.neguard.av.Archives.item;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.zip.ZipArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.neguard.progress.ProgressListener;
import org.neguard.testing.RequiredProgram;
import org.neguard.demo.DemoClamd;

/**
 * AV-1/AV-2, issue 10 finding 3: a member larger than clamd's MaxFileSize is NOT_SCANNED
 * whatever the container's layout. clamd 1.4.6 cuts a ZIP member at MaxFileSize and answers OK,
 * and it finds ZIPs behind stubs, through the central directory and inside other archives, so
 * NEGuard must find them there too. Three real clamds with the demo database: MaxFileSize 1 MiB
 * with {@code AlertExceedsMax yes} (as required), the same with {@code AlertExceedsMax no} (so
 * that NEGuard's own check is what refuses, not clamd's alert), and MaxFileSize 400 MiB, which
 * finds the EICAR placed past the 1 MiB cut in the very same bytes.
 */
class ClamdMemberSizeTest {
  static final long MAX_FILE = 1L << 20;
  static final String TOLD = "?maxFileSize=1M&streamMaxLength=8M";

  @TempDir static Path shared;

  private static DemoClamd small;
  private static DemoClamd silent;
  private static DemoClamd large;

  @BeforeAll
  static void startClamds() throws Exception {
    RequiredProgram.require("clamd");
    RequiredProgram.require("sigtool");
    small = DemoClamd.builder(shared.resolve("small"))
        .maxFileSize(MAX_FILE).streamMaxLength(8L << 20).start();
    silent = DemoClamd.builder(shared.resolve("silent"))
        .maxFileSize(MAX_FILE).streamMaxLength(8L << 20).alertExceedsMax(false).start();
    large = DemoClamd.builder(shared.resolve("large")).start();
  }

  @AfterAll
  static void stopClamds() throws IOException {
    for (DemoClamd c : new DemoClamd[] {small, silent, large}) {
      if (c != null) {
        c.close();
      }
    }
  }

  /** 1.5 MiB of text with EICAR at its end: past the first MiB that a cut-off scan sees. */
  static byte[] big() {
    return ClamdEngineTest.filler(MAX_FILE + (512 << 10), DemoClamd.EICAR);
  }

  static Map<String, byte[]> entries(String name, byte[] content) {
    Map<String, byte[]> m = new LinkedHashMap<>();
    m.put("README", ascii("release notes\n"));
    m.put(name, content);
    return m;
  }

  /** A ZIP with the big member, sizes in its local headers: clamd unpacks it behind a stub. */
  static byte[] bigZip() throws IOException {
    return Archives.zipWithSizesInLocalHeaders(entries("opt/rootfs.img", big()));
  }

  /**
   * Every layout: {@code (description, bytes, found with a 400 MiB limit)}. The last is false
   * only where clamd does not open the archive at all (a gzip stream that does not start the
   * file), so no limit lets it see the member.
   */
  static Stream<Arguments> layouts() throws IOException {
    byte[] big = big();
    byte[] zip = bigZip();
    byte[] tar = Archives.tar(entries("opt/rootfs.img", big));
    byte[] lyingGzip = Archives.gzip(big);
    ByteBuffer.wrap(lyingGzip).order(ByteOrder.LITTLE_ENDIAN)
        .putInt(lyingGzip.length - 4, 1000); // ISIZE says 1000 bytes
    List<Arguments> rows = new ArrayList<>();
    rows.add(Arguments.of("(a) a ZIP behind a shell-script stub", Archives.selfExtracting(zip),
        true));
    rows.add(Arguments.of("(a) a ZIP with data descriptors behind a stub (clamd never unpacks it)",
        Archives.selfExtracting(Archives.zip(entries("opt/rootfs.img", big))), false));
    rows.add(Arguments.of("(b) a ZIP whose local headers end early, central directory intact",
        Archives.zipWithEarlyEnd(entries("opt/rootfs.img", big)), true));
    rows.add(Arguments.of("(c) a ZIP in a tar.gz",
        Archives.gzip(Archives.tar(entries("pkg/tools.zip", zip))), true));
    rows.add(Arguments.of("(c) a ZIP in a ZIP (deflated)",
        Archives.zip(entries("lib/inner.zip", zip)), true));
    rows.add(Arguments.of("(c) a ZIP behind a stub in a ZIP in a tar.xz",
        Archives.xz(Archives.tar(entries("pkg/outer.zip",
            Archives.zip(entries("bin/setup.sh", Archives.selfExtracting(zip)))))), true));
    rows.add(Arguments.of("(d) gzip", Archives.gzip(big), true));
    rows.add(Arguments.of("(d) gzip whose ISIZE (size mod 2^32) lies", lyingGzip, true));
    rows.add(Arguments.of("(d) bzip2", Archives.bzip2(big), true));
    rows.add(Arguments.of("(d) xz", Archives.xz(big), true));
    rows.add(Arguments.of("(d) tar.gz", Archives.gzip(tar), true));
    rows.add(Arguments.of("(d) ar in bzip2",
        Archives.bzip2(Archives.ar(entries("rootfs.img", big))), true));
    rows.add(Arguments.of("(d) cpio in xz",
        Archives.xz(Archives.cpio(entries("rootfs.img", big))), true));
    // tar, ar and cpio do not compress: such a file is itself over MaxFileSize, wherever the
    // member sits in it.
    rows.add(Arguments.of("(d) tar", tar, true));
    rows.add(Arguments.of("(d) ar", Archives.ar(entries("rootfs.img", big)), true));
    rows.add(Arguments.of("(d) cpio", Archives.cpio(entries("rootfs.img", big)), true));
    rows.add(Arguments.of("(a, d) a tar.gz behind a shell-script stub (makeself)",
        Archives.selfExtracting(Archives.gzip(tar)), false));
    rows.add(Arguments.of("(a, d) a bzip2 stream inside a binary",
        concat(ClamdEngineTest.filler(4096, ""), Archives.bzip2(big),
            ClamdEngineTest.filler(4096, "")), false));
    return rows.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layouts")
  @DisplayName("AV-1/AV-2: a member over MaxFileSize is NOT_SCANNED whatever the layout, and found with a larger limit")
  void scan_memberOverMaxFileSize_notScannedWhateverTheLayout(
      String layout, byte[] bytes, boolean foundWithLargerLimit) throws Exception {
    for (DemoClamd clamd : List.of(small, silent)) {
      List<FileResult> r =
          ClamdEngine.fromSpec(clamd.unixSpec() + TOLD)
              .scan(List.of(item("opt/installer.bin", bytes)), ProgressListener.NONE);

      assertThat(r.get(0).status())
          .as(layout + " with AlertExceedsMax " + (clamd == small ? "yes" : "no") + ": "
              + r.get(0))
          .isEqualTo(FileResult.Status.NOT_SCANNED);
    }
    if (foundWithLargerLimit) {
      List<FileResult> r =
          ClamdEngine.fromSpec(large.unixSpec())
              .scan(List.of(item("opt/installer.bin", bytes)), ProgressListener.NONE);
      assertThat(r.get(0).status()).as(layout + " with MaxFileSize 400M: " + r.get(0))
          .isEqualTo(FileResult.Status.INFECTED);
      assertThat(r.get(0).signature()).startsWith("NEGuard.Demo.EICAR");
    }
  }

  @Test
  @DisplayName("AV-1: the member-size refusal names the member, its offset and what to raise")
  void scan_stubbedZip_detailNamesMemberOffsetAndFix() throws Exception {
    byte[] bytes = Archives.selfExtracting(bigZip());

    FileResult r = ClamdEngine.fromSpec(small.unixSpec() + TOLD)
        .scan(List.of(item("opt/installer.bin", bytes)), ProgressListener.NONE).get(0);

    assertThat(r.status()).isEqualTo(FileResult.Status.NOT_SCANNED);
    assertThat(r.detail())
        .contains("ZIP member 'opt/rootfs.img' at offset ")
        .contains("MaxFileSize (1048576 bytes)")
        .contains("raise MaxFileSize");
  }

  @Test
  @DisplayName("AV-1: a ZIP behind a stub with members under the limit is scanned: EICAR in it is INFECTED")
  void scan_stubbedZipUnderLimit_infected() throws Exception {
    byte[] bytes = Archives.selfExtracting(Archives.zipWithSizesInLocalHeaders(entries(
        "tools/eicar.com", ClamdEngineTest.filler(MAX_FILE - 4096, DemoClamd.EICAR))));

    FileResult r = ClamdEngine.fromSpec(small.unixSpec() + TOLD)
        .scan(List.of(item("opt/installer.bin", bytes)), ProgressListener.NONE).get(0);

    assertThat(r.status()).as(r.toString()).isEqualTo(FileResult.Status.INFECTED);
  }

  @Test
  @DisplayName("AV-1: a data-descriptor member of a ZIP behind a stub, which clamd skips, is NOT_SCANNED")
  void scan_stubbedZipWithDataDescriptors_notScanned() throws Exception {
    byte[] bytes = Archives.selfExtracting(Archives.zip(entries("tools/eicar.com",
        ascii(DemoClamd.EICAR))));

    FileResult r = ClamdEngine.fromSpec(large.unixSpec())
        .scan(List.of(item("opt/installer.bin", bytes)), ProgressListener.NONE).get(0);

    assertThat(r.status()).as(r.toString()).isEqualTo(FileResult.Status.NOT_SCANNED);
    assertThat(r.detail()).contains("ZIP member 'README' at offset ").contains("data descriptor")
        .contains("clamd does not unpack such a member");
    // Why: the same ZIP starting the file is unpacked through its central directory.
    FileResult plain = ClamdEngine.fromSpec(large.unixSpec())
        .scan(List.of(item("opt/tools.zip", Archives.zip(entries("tools/eicar.com",
            ascii(DemoClamd.EICAR))))), ProgressListener.NONE).get(0);
    assertThat(plain.status()).as(plain.toString()).isEqualTo(FileResult.Status.INFECTED);
  }

  @Test
  @DisplayName("AV-1: ordinary files stay CLEAN: a real jar, archives under the limit, stray magic bytes in a binary")
  void scan_ordinaryFiles_stayClean() throws Exception {
    Path jar = Path.of(ZipArchiveInputStream.class.getProtectionDomain().getCodeSource()
        .getLocation().toURI());
    byte[] noise = new byte[3 << 19];
    new Random(42).nextBytes(noise);
    // Stray magic numbers, as code that handles archives carries them: none starts real data.
    byte[][] magics = {
        {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0}, {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3},
        {'B', 'Z', 'h', '9', 0x31, 0x41, 0x59, 0x26, 0x53, 0x59},
        {(byte) 0xfd, '7', 'z', 'X', 'Z', 0}};
    for (int i = 0; i < 400; i++) {
      byte[] m = magics[i % magics.length];
      System.arraycopy(m, 0, noise, 3500 * i + (i % 13), m.length);
    }
    Map<String, byte[]> many = new LinkedHashMap<>();
    for (int i = 0; i < 500; i++) {
      many.put("lib/c" + i + ".class", ClamdEngineTest.filler(2000 + i * 37, ""));
    }
    List<ScanItem> items = List.of(
        ClamdEngineTest.file(jar),
        item("lib/classes.jar", Archives.zip(many)),
        item("opt/fits.tar.gz", Archives.gzip(Archives.tar(entries("rootfs.img",
            ClamdEngineTest.filler(MAX_FILE - 4096, ""))))),
        item("opt/fits-in-zip.zip", Archives.zip(entries("inner.zip", Archives.zip(entries(
            "x", ClamdEngineTest.filler(MAX_FILE - 4096, "")))))),
        item("bin/noise", noise));

    List<FileResult> r = ClamdEngine.fromSpec(large.unixSpec() + "?maxFileSize=2M")
        .scan(items, ProgressListener.NONE);

    assertThat(r).allSatisfy(f ->
        assertThat(f.status()).as(f.toString()).isEqualTo(FileResult.Status.CLEAN));
    assertThat(Files.size(jar)).isGreaterThan(MAX_FILE / 2); // a real jar, many members
  }

  @Test
  @DisplayName("AV-1: a jar (data descriptors) in tar, cpio or a stored zip is unpacked by clamd: CLEAN when clean, INFECTED with EICAR")
  void scan_dataDescriptorZipInContainerClamdOpens_scanned() throws Exception {
    for (String content : List.of("class file\n", DemoClamd.EICAR)) {
      byte[] jar = Archives.zip(entries("org/x/A.class", ascii(content)));
      Map<String, byte[]> stored = new LinkedHashMap<>();
      stored.put("BOOT-INF/lib/app.jar", jar);
      List<ScanItem> items = List.of(
          item("opt/app.tar", Archives.tar(entries("lib/app.jar", jar))),
          item("opt/app.tar.gz", Archives.gzip(Archives.tar(entries("lib/app.jar", jar)))),
          item("opt/app.cpio", Archives.cpio(entries("lib/app.jar", jar))),
          item("opt/boot.jar", Archives.storedZip(stored)));
      FileResult.Status expected = content.equals(DemoClamd.EICAR)
          ? FileResult.Status.INFECTED : FileResult.Status.CLEAN;

      List<FileResult> r =
          ClamdEngine.fromSpec(large.unixSpec()).scan(items, ProgressListener.NONE);

      assertThat(r).allSatisfy(f ->
          assertThat(f.status()).as(f.toString()).isEqualTo(expected));
    }
  }

  @Test
  @DisplayName("AV-1: a jar (data descriptors) in an ar archive, which clamd does not open, is NOT_SCANNED")
  void scan_dataDescriptorZipInAr_notScanned() throws Exception {
    byte[] jar = Archives.zip(entries("org/x/Eicar.class", ascii(DemoClamd.EICAR)));

    FileResult r = ClamdEngine.fromSpec(large.unixSpec())
        .scan(List.of(item("opt/app.ar", Archives.ar(entries("app.jar", jar)))),
            ProgressListener.NONE).get(0);

    // clamd calls it clean: it never unpacked the jar, so the EICAR in it went unseen.
    assertThat(r.status()).as(r.toString()).isEqualTo(FileResult.Status.NOT_SCANNED);
    assertThat(r.detail()).contains("data descriptor");
  }

  @Test
  @DisplayName("AV-1: a compressed stream clamd does not unpack (behind a stub, a second bzip2 stream, a .deb's data.tar.xz) is NOT_SCANNED")
  void scan_streamClamdDoesNotUnpack_notScanned() throws Exception {
    byte[] eicar = ascii(DemoClamd.EICAR);
    byte[] tarXz = Archives.xz(Archives.tar(entries("usr/bin/tool", eicar)));
    Map<String, byte[]> deb = new LinkedHashMap<>();
    deb.put("debian-binary", ascii("2.0\n"));
    deb.put("data.tar.xz", tarXz);
    List<ScanItem> items = List.of(
        item("opt/install.run", Archives.selfExtracting(Archives.gzip(eicar))),
        item("opt/data.bz2", concat(Archives.bzip2(ascii("first\n")), Archives.bzip2(eicar))),
        item("opt/junk.gz", concat(Archives.gzip(ascii("first\n")), ascii("junk"),
            Archives.gzip(eicar))),
        item("pool/tool_1.0_amd64.deb", Archives.ar(deb)));

    List<FileResult> r = ClamdEngine.fromSpec(large.unixSpec()).scan(items, ProgressListener.NONE);

    // clamd calls each clean: it never unpacked the stream that holds EICAR.
    assertThat(r).allSatisfy(f -> {
      assertThat(f.status()).as(f.toString()).isEqualTo(FileResult.Status.NOT_SCANNED);
      assertThat(f.detail()).contains("is not where clamd unpacks");
    });
  }

  @Test
  @DisplayName("AV-1: gzip members one after another are followed by clamd: CLEAN when clean, INFECTED with EICAR")
  void scan_concatenatedGzip_followedByClamd() throws Exception {
    byte[] clean = concat(Archives.gzip(ascii("first\n")), Archives.gzip(ascii("second\n")),
        Archives.gzip(ClamdEngineTest.filler(10_000, "")));
    byte[] infected = concat(Archives.gzip(ascii("first\n")), Archives.gzip(ascii(DemoClamd.EICAR)));

    List<FileResult> r = ClamdEngine.fromSpec(large.unixSpec())
        .scan(List.of(item("a.gz", clean), item("b.gz", infected)), ProgressListener.NONE);

    assertThat(r.get(0).status()).as(r.get(0).toString()).isEqualTo(FileResult.Status.CLEAN);
    assertThat(r.get(1).status()).as(r.get(1).toString()).isEqualTo(FileResult.Status.INFECTED);
  }

  @Test
  @DisplayName("AV-1: compressed archives nested deeper than NEGuard follows are NOT_SCANNED")
  void scan_nestedDeeperThanChecked_notScanned() throws Exception {
    byte[] bytes = ascii("core\n");
    for (int i = 0; i <= MemberSizeCheck.MAX_DEPTH; i++) {
      bytes = Archives.zip(entries("level" + i + ".zip", bytes));
    }

    // The clamd without AlertExceedsMax says OK past its own MaxRecursion: NEGuard refuses.
    FileResult r = ClamdEngine.fromSpec(silent.unixSpec() + TOLD)
        .scan(List.of(item("opt/deep.zip", bytes)), ProgressListener.NONE).get(0);

    assertThat(r.status()).as(r.toString()).isEqualTo(FileResult.Status.NOT_SCANNED);
    assertThat(r.detail()).contains("nested more than " + MemberSizeCheck.MAX_DEPTH);
  }

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] all = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, all, at, p.length);
      at += p.length;
    }
    return all;
  }
}
