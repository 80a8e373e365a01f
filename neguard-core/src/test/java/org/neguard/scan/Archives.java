package org.neguard.scan;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipMethod;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Builds archives in memory for the scanning tests. */
final class Archives {
  private Archives() {}

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** A zip of {@code name -> content}, deflated. */
  static byte[] zip(Map<String, byte[]> entries) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        ZipArchiveEntry entry = new ZipArchiveEntry(e.getKey());
        entry.setMethod(ZipMethod.DEFLATED.getCode());
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

  static byte[] gzip(byte[] content) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GzipCompressorOutputStream gz = new GzipCompressorOutputStream(bytes)) {
      gz.write(content);
    }
    return bytes.toByteArray();
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

  static ScanItem item(String path, byte[] content) {
    return new ScanItem(path, content.length, () -> new ByteArrayInputStream(content));
  }
}
