package org.neguard.av;

import org.neguard.demo.DemoClamd;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipMethod;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorOutputStream;

/** Builds archives in memory for the scanning tests. */
final class Archives {
  private Archives() {}

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static void deflate(ZipArchiveOutputStream zip, Map<String, byte[]> entries)
      throws IOException {
    for (Map.Entry<String, byte[]> e : entries.entrySet()) {
      ZipArchiveEntry entry = new ZipArchiveEntry(e.getKey());
      entry.setMethod(ZipMethod.DEFLATED.getCode());
      zip.putArchiveEntry(entry);
      zip.write(e.getValue());
      zip.closeArchiveEntry();
    }
  }

  /** A zip of {@code name -> content}, deflated. */
  static byte[] zip(Map<String, byte[]> entries) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
      deflate(zip, entries);
    }
    return bytes.toByteArray();
  }

  /**
   * A zip of {@code name -> content}, deflated, with every size in the local headers (written
   * to a file, so the writer seeks back) rather than in data descriptors after the data, as
   * {@link #zip(Map)} and {@code zip -} write them.
   */
  static byte[] zipWithSizesInLocalHeaders(Map<String, byte[]> entries) throws IOException {
    java.nio.file.Path file = java.nio.file.Files.createTempFile("neguard-test-", ".zip");
    try {
      try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(file)) {
        deflate(zip, entries);
      }
      return java.nio.file.Files.readAllBytes(file);
    } finally {
      java.nio.file.Files.deleteIfExists(file);
    }
  }

  /** A zip of {@code name -> content}, every member stored (as a jar of jars or an .apk does). */
  static byte[] storedZip(Map<String, byte[]> entries) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        ZipArchiveEntry entry = new ZipArchiveEntry(e.getKey());
        entry.setMethod(ZipMethod.STORED.getCode());
        entry.setSize(e.getValue().length);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(e.getValue());
        entry.setCrc(crc.getValue());
        zip.putArchiveEntry(entry);
        zip.write(e.getValue());
        zip.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  static byte[] zip(String name, byte[] content) throws IOException {
    return zip(Map.of(name, content));
  }

  /**
   * A zip whose one entry is flagged encrypted (general purpose bit 0), as {@code zip -P} makes:
   * no unpacker can read it without the password.
   */
  static byte[] encryptedZip(String name, byte[] content) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
      ZipArchiveEntry entry = new ZipArchiveEntry(name);
      entry.setMethod(ZipMethod.STORED.getCode());
      entry.setSize(content.length);
      java.util.zip.CRC32 crc = new java.util.zip.CRC32();
      crc.update(content);
      entry.setCrc(crc.getValue());
      zip.putArchiveEntry(entry);
      zip.write(content);
      zip.closeArchiveEntry();
    }
    byte[] z = bytes.toByteArray();
    for (int i = 0; i + 4 < z.length; i++) {
      if (z[i] == 'P' && z[i + 1] == 'K' && z[i + 2] == 3 && z[i + 3] == 4) {
        z[i + 6] |= 1; // local header flags
      } else if (z[i] == 'P' && z[i + 1] == 'K' && z[i + 2] == 1 && z[i + 3] == 2) {
        z[i + 8] |= 1; // central directory flags
      }
    }
    return z;
  }

  /** A tar of regular files. */
  static byte[] tar(Map<String, byte[]> entries) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        TarArchiveEntry entry = new TarArchiveEntry(e.getKey(), true);
        entry.setSize(e.getValue().length);
        tar.putArchiveEntry(entry);
        tar.write(e.getValue());
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  /** A tar holding a symbolic link {@code name -> target}, then a regular file. */
  static byte[] tarWithSymlink(String name, String target, String file, byte[] content)
      throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      TarArchiveEntry link = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
      link.setLinkName(target);
      tar.putArchiveEntry(link);
      tar.closeArchiveEntry();
      TarArchiveEntry dev = new TarArchiveEntry("dev/sda", TarArchiveEntry.LF_BLK);
      tar.putArchiveEntry(dev);
      tar.closeArchiveEntry();
      TarArchiveEntry entry = new TarArchiveEntry(file, true);
      entry.setSize(content.length);
      tar.putArchiveEntry(entry);
      tar.write(content);
      tar.closeArchiveEntry();
    }
    return bytes.toByteArray();
  }

  /** A compressing stream over {@code out}. */
  interface Compressor {
    OutputStream over(OutputStream out) throws IOException;
  }

  static byte[] compress(byte[] content, Compressor compressor) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream out = compressor.over(bytes)) {
      out.write(content);
    }
    return bytes.toByteArray();
  }

  static byte[] gzip(byte[] content) throws IOException {
    return compress(content, GzipCompressorOutputStream::new);
  }

  /** gzip of {@code size} zero bytes, streamed so that the test never holds them. */
  static byte[] gzipOfZeros(long size) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream gz = new GzipCompressorOutputStream(bytes)) {
      byte[] zeros = new byte[1 << 20];
      for (long left = size; left > 0; left -= zeros.length) {
        gz.write(zeros, 0, (int) Math.min(zeros.length, left));
      }
    }
    return bytes.toByteArray();
  }

  /** EICAR in {@code inner/eicar.com} of a zip, the zip as {@code pkg/e.zip} in a tar.gz. */
  static byte[] eicarInZipInTarGz() throws IOException {
    byte[] zip = zip("inner/eicar.com", ascii(DemoClamd.EICAR));
    Map<String, byte[]> tar = new LinkedHashMap<>();
    tar.put("pkg/readme.txt", ascii("nothing to see\n"));
    tar.put("pkg/e.zip", zip);
    return gzip(tar(tar));
  }

  static byte[] bzip2(byte[] content) throws IOException {
    return compress(content, BZip2CompressorOutputStream::new);
  }

  static byte[] xz(byte[] content) throws IOException {
    return compress(content, XZCompressorOutputStream::new);
  }

  /** An ar archive (the outer layer of a .deb) of {@code name -> content}. */
  static byte[] ar(Map<String, byte[]> entries) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ArArchiveOutputStream ar = new ArArchiveOutputStream(bytes)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        ar.putArchiveEntry(new ArArchiveEntry(e.getKey(), e.getValue().length));
        ar.write(e.getValue());
        ar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  /** A cpio archive (new ASCII format, as in an initramfs or an RPM) of regular files. */
  static byte[] cpio(Map<String, byte[]> entries) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (CpioArchiveOutputStream cpio = new CpioArchiveOutputStream(bytes)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        CpioArchiveEntry entry = new CpioArchiveEntry(e.getKey(), e.getValue().length);
        entry.setMode(CpioArchiveEntry.C_ISREG | 0644);
        cpio.putArchiveEntry(entry);
        cpio.write(e.getValue());
        cpio.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  /** A shell-script stub of a self-extracting installer, to put in front of an archive. */
  static byte[] selfExtracting(byte[] archive) {
    byte[] stub = ascii("#!/bin/sh\n# self-extracting installer\n"
        + "tail -c +$((LINES+1)) \"$0\" | tar xzf - && exit 0\nexit 1\n");
    byte[] all = new byte[stub.length + archive.length];
    System.arraycopy(stub, 0, all, 0, stub.length);
    System.arraycopy(archive, 0, all, stub.length, archive.length);
    return all;
  }

  /**
   * A zip of {@code name -> content} whose local headers end early: a stray central-header
   * signature ({@code PK\1\2}) after the first member stops a reader that walks local headers,
   * while the central directory, its offsets moved, still lists every member for a reader that
   * starts there (as clamd does).
   */
  static byte[] zipWithEarlyEnd(Map<String, byte[]> entries) throws IOException {
    byte[] z = zip(entries);
    int second = indexOf(z, new byte[] {'P', 'K', 3, 4}, 4);
    byte[] junk = new byte[46];
    junk[0] = 'P';
    junk[1] = 'K';
    junk[2] = 1;
    junk[3] = 2;
    byte[] out = new byte[z.length + junk.length];
    System.arraycopy(z, 0, out, 0, second);
    System.arraycopy(junk, 0, out, second, junk.length);
    System.arraycopy(z, second, out, second + junk.length, z.length - second);
    ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    int eocd = lastIndexOf(out, new byte[] {'P', 'K', 5, 6});
    int cd = b.getInt(eocd + 16) + junk.length;
    b.putInt(eocd + 16, cd);
    for (int p = cd; b.getInt(p) == 0x02014b50; ) {
      int local = b.getInt(p + 42);
      if (local >= second) {
        b.putInt(p + 42, local + junk.length);
      }
      p += 46 + (b.getShort(p + 28) & 0xffff) + (b.getShort(p + 30) & 0xffff)
          + (b.getShort(p + 32) & 0xffff);
    }
    return out;
  }

  static int indexOf(byte[] data, byte[] what, int from) {
    outer:
    for (int i = from; i + what.length <= data.length; i++) {
      for (int j = 0; j < what.length; j++) {
        if (data[i + j] != what[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalArgumentException("not found");
  }

  static int lastIndexOf(byte[] data, byte[] what) {
    outer:
    for (int i = data.length - what.length; i >= 0; i--) {
      for (int j = 0; j < what.length; j++) {
        if (data[i + j] != what[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalArgumentException("not found");
  }

  static ScanItem item(String path, byte[] content) {
    return new ScanItem(path, content.length, () -> new ByteArrayInputStream(content));
  }
}
