package org.neguard.av;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neguard.av.Archives.ascii;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorOutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.demo.DemoClamd;

/** The unpacker that feeds YARA (AV-1): formats, names, and the limits that stop bombs. */
class ArchiveUnpackerTest {
  @TempDir Path tmp;

  private ArchiveUnpacker.Unpacked unpack(byte[] file, String name, ArchiveUnpacker.Limits limits)
      throws IOException {
    Path in = tmp.resolve("in");
    Files.write(in, file);
    Path work = Files.createDirectory(tmp.resolve("work"));
    return ArchiveUnpacker.of(limits).unpack(in, name, work);
  }

  private ArchiveUnpacker.Unpacked unpack(byte[] file, String name) throws IOException {
    return unpack(file, name, ArchiveUnpacker.Limits.defaults());
  }

  private static List<String> paths(ArchiveUnpacker.Unpacked u) {
    return u.members().stream().map(ArchiveUnpacker.Member::path).toList();
  }

  @Test
  @DisplayName("AV-1: a .deb (ar) holding data.tar.xz is unpacked to the file inside")
  void unpack_debWithTarXz_reachesInnerFile() throws Exception {
    byte[] tar = Archives.tar(Map.of("./usr/bin/tool", ascii(DemoClamd.MARKER)));
    ByteArrayOutputStream xz = new ByteArrayOutputStream();
    try (OutputStream out = new XZCompressorOutputStream(xz)) {
      out.write(tar);
    }
    ByteArrayOutputStream deb = new ByteArrayOutputStream();
    try (ArArchiveOutputStream ar = new ArArchiveOutputStream(deb)) {
      for (var e : List.of(Map.entry("debian-binary", ascii("2.0\n")),
          Map.entry("data.tar.xz", xz.toByteArray()))) {
        ar.putArchiveEntry(new ArArchiveEntry(e.getKey(), e.getValue().length));
        ar.write(e.getValue());
        ar.closeArchiveEntry();
      }
    }
    ArchiveUnpacker.Unpacked u = unpack(deb.toByteArray(), "pool/tool_1.0_amd64.deb");
    assertThat(u.complete()).as(u.problems().toString()).isTrue();
    assertThat(paths(u)).contains("data.tar.xz!/data.tar!/./usr/bin/tool");
    ArchiveUnpacker.Member tool = u.members().get(u.members().size() - 1);
    assertThat(Files.readString(tool.file())).isEqualTo(DemoClamd.MARKER);
    assertThat(tool.depth()).isEqualTo(3);
  }

  @Test
  @DisplayName("AV-1: bzip2 and cpio are unpacked")
  void unpack_bzip2OfCpio_reachesInnerFile() throws Exception {
    ByteArrayOutputStream cpio = new ByteArrayOutputStream();
    try (CpioArchiveOutputStream out = new CpioArchiveOutputStream(cpio)) {
      CpioArchiveEntry e = new CpioArchiveEntry("etc/init.d/app");
      e.setMode(CpioArchiveEntry.C_ISREG | 0755);
      e.setSize(4);
      out.putArchiveEntry(e);
      out.write(ascii("boot"));
      out.closeArchiveEntry();
    }
    ByteArrayOutputStream bz = new ByteArrayOutputStream();
    try (OutputStream out = new BZip2CompressorOutputStream(bz)) {
      out.write(cpio.toByteArray());
    }
    ArchiveUnpacker.Unpacked u = unpack(bz.toByteArray(), "initrd.cpio.bz2");
    assertThat(u.complete()).as(u.problems().toString()).isTrue();
    assertThat(paths(u)).containsExactly("initrd.cpio", "initrd.cpio!/etc/init.d/app");
  }

  @Test
  @DisplayName("AV-1: a format NEGuard cannot open (7z) is reported, not silently passed")
  void unpack_sevenZip_problemNotScanned() throws Exception {
    byte[] sevenZ = {'7', 'z', (byte) 0xbc, (byte) 0xaf, 0x27, 0x1c, 0, 4, 1, 2, 3};
    ArchiveUnpacker.Unpacked u = unpack(sevenZ, "x.7z");
    assertThat(u.complete()).isFalse();
    assertThat(u.problems()).singleElement().asString().contains("7z archive");
  }

  @Test
  @DisplayName("AV-1/AV-2 (issue 10 #3): a ZIP behind a self-extractor's stub is unpacked, data descriptors or not")
  void unpack_zipBehindStub_reachesMembers() throws Exception {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("README", ascii("notes\n"));
    entries.put("inner/eicar.com", ascii(DemoClamd.EICAR));
    for (byte[] zip : List.of(Archives.zip(entries),
        Archives.zipWithSizesInLocalHeaders(entries))) {
      ArchiveUnpacker.Unpacked u = unpack(Archives.selfExtracting(zip), "setup.sh");

      assertThat(u.complete()).as(u.problems().toString()).isTrue();
      ArchiveUnpacker.Member eicar = u.members().stream()
          .filter(m -> m.path().endsWith("!/inner/eicar.com")).findFirst().orElseThrow();
      assertThat(eicar.path()).matches("@\\d+!/inner/eicar\\.com");
      assertThat(Files.readString(eicar.file())).isEqualTo(DemoClamd.EICAR);
      Files.walk(tmp.resolve("work")).sorted(java.util.Comparator.reverseOrder())
          .forEach(f -> f.toFile().delete());
      Files.delete(tmp.resolve("in"));
    }
  }

  @Test
  @DisplayName("AV-1/AV-2 (issue 10 #3): a tar.gz appended to a shell script (makeself) is unpacked")
  void unpack_tarGzBehindStub_reachesMember() throws Exception {
    byte[] tgz = Archives.gzip(Archives.tar(Map.of("bin/tool", ascii(DemoClamd.MARKER))));

    ArchiveUnpacker.Unpacked u = unpack(Archives.selfExtracting(tgz), "install.run");

    assertThat(u.complete()).as(u.problems().toString()).isTrue();
    assertThat(paths(u)).anyMatch(p -> p.matches("@\\d+ \\(gzip content\\)!/bin/tool"));
    assertThat(Files.readString(u.members().get(u.members().size() - 1).file()))
        .isEqualTo(DemoClamd.MARKER);
  }

  @Test
  @DisplayName("AV-1: stray archive magic numbers in a binary are data: no problem, nothing not scanned")
  void unpack_strayMagicInBinary_nothing() throws Exception {
    byte[] data = new byte[1 << 20];
    new java.util.Random(5).nextBytes(data);
    byte[][] magics = {
        {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0}, {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3},
        {'B', 'Z', 'h', '9', 0x31, 0x41, 0x59, 0x26, 0x53, 0x59},
        {(byte) 0xfd, '7', 'z', 'X', 'Z', 0}};
    for (int i = 1; i < 200; i++) {
      byte[] m = magics[i % magics.length];
      System.arraycopy(m, 0, data, 5000 * i, m.length);
    }

    ArchiveUnpacker.Unpacked u = unpack(data, "bin/tool");

    // Random bytes after a ZIP header now and then inflate to an end: YARA then also scans
    // that junk, which costs a little and refuses nothing.
    assertThat(u.complete()).as(u.problems().toString()).isTrue();
    assertThat(u.members()).hasSizeLessThan(5)
        .allSatisfy(m -> assertThat(m.path()).startsWith("@"));
  }

  @Test
  @DisplayName("AV-1: a plain file has no members and no problem")
  void unpack_plainFile_nothing() throws Exception {
    ArchiveUnpacker.Unpacked u = unpack(ascii("#!/bin/sh\necho hi\n"), "run.sh");
    assertThat(u.members()).isEmpty();
    assertThat(u.complete()).isTrue();
  }

  @Test
  @DisplayName("AV-1: random bytes that merely begin like gzip are data, not a corrupt archive")
  void unpack_randomBytesWithGzipPrefix_plainData() throws Exception {
    byte[] data = new byte[4096];
    new java.util.Random(3).nextBytes(data);
    data[0] = 0x1f;
    data[1] = (byte) 0x8b;
    data[2] = (byte) 0xa6; // not deflate: no gzip stream can start like this
    ArchiveUnpacker.Unpacked u = unpack(data, "blob.bin");
    assertThat(u.members()).isEmpty();
    assertThat(u.complete()).isTrue();
  }

  @Test
  @DisplayName("AV-1: a bomb stops within one buffer of the byte limit: the disk never fills")
  void unpack_bomb_writesNoMoreThanTheLimit() throws Exception {
    long limit = 4L << 20;
    ArchiveUnpacker.Unpacked u = unpack(Archives.gzipOfZeros(64L << 20), "bomb.gz",
        new ArchiveUnpacker.Limits(limit, 100, 8, 1_000_000, 1L << 40));
    assertThat(u.complete()).isFalse();
    assertThat(u.problems()).singleElement().asString().contains("maxTotalBytes");
    long written;
    try (Stream<Path> s = Files.walk(tmp.resolve("work"))) {
      written = s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
    assertThat(written).isLessThanOrEqualTo(limit);
  }

  @Test
  @DisplayName("AV-1: member names with control characters are shown escaped")
  void unpack_controlCharactersInNames_escaped() throws Exception {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("evil\nname\u001b[31m.txt", ascii("x"));
    ArchiveUnpacker.Unpacked u = unpack(Archives.zip(entries), "a.zip");
    assertThat(paths(u)).containsExactly("evil\\x0Aname\\x1B[31m.txt");
  }
}
