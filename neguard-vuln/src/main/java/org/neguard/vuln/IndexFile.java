package org.neguard.vuln;

import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * One imported feed's advisories as a compact binary file, so that opening a database is one
 * sequential read rather than a re-parse of the feed's JSON (OSV's Debian dump: about 60,000
 * records, a few seconds as JSON, a fraction of a second from here).
 *
 * <p>Layout (big-endian, {@link DataOutputStream}): the magic {@code NGVDB\0} and a format
 * number; a string table (every distinct string once, as modified UTF-8: ecosystems, package
 * names and versions repeat across thousands of records); then the records, each string as its
 * table index. The file's SHA-256 is recorded in the database's {@code feeds.json} and checked
 * before a byte is parsed, so a damaged or altered index is refused, never half-read.
 */
final class IndexFile {
  private static final byte[] MAGIC = "NGVDB\0".getBytes(StandardCharsets.US_ASCII);
  private static final int FORMAT = 1;
  private static final String[] KINDS = {"introduced", "fixed", "last_affected", "limit"};

  private IndexFile() {}

  /** Writes {@code advisories} to {@code file} and returns the file's SHA-256 (hex). */
  static String write(Path file, List<Advisory> advisories) throws IOException {
    Map<String, Integer> strings = new HashMap<>();
    List<String> table = new ArrayList<>();
    for (Advisory a : advisories) {
      intern(a.id(), strings, table);
      a.aliases().forEach(s -> intern(s, strings, table));
      intern(a.summary(), strings, table);
      a.cvss().ifPresent(s -> intern(s, strings, table));
      for (Advisory.Affected af : a.affected()) {
        intern(af.ecosystem(), strings, table);
        intern(af.name(), strings, table);
        af.versions().forEach(s -> intern(s, strings, table));
        for (Advisory.Range r : af.ranges()) {
          intern(r.type(), strings, table);
          r.events().forEach(e -> intern(e.version(), strings, table));
        }
      }
    }
    MessageDigest md = sha256();
    try (OutputStream raw = Files.newOutputStream(file);
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
            new DigestOutputStream(raw, md), 1 << 16))) {
      out.write(MAGIC);
      out.writeInt(FORMAT);
      out.writeInt(table.size());
      for (String s : table) {
        out.writeUTF(s);
      }
      out.writeInt(advisories.size());
      for (Advisory a : advisories) {
        out.writeInt(strings.get(a.id()));
        writeList(out, a.aliases(), strings);
        out.writeInt(strings.get(a.summary()));
        out.writeInt(a.cvss().map(strings::get).orElse(-1));
        out.writeLong(a.modified().getEpochSecond());
        out.writeInt(a.modified().getNano());
        out.writeInt(a.affected().size());
        for (Advisory.Affected af : a.affected()) {
          out.writeInt(strings.get(af.ecosystem()));
          out.writeInt(strings.get(af.name()));
          writeList(out, af.versions(), strings);
          out.writeInt(af.ranges().size());
          for (Advisory.Range r : af.ranges()) {
            out.writeInt(strings.get(r.type()));
            out.writeInt(r.events().size());
            for (Advisory.Event e : r.events()) {
              out.writeByte(Arrays.asList(KINDS).indexOf(e.kind()));
              out.writeInt(strings.get(e.version()));
            }
          }
        }
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /**
   * Reads the advisories of {@code file}, after checking that it has {@code size} bytes and
   * the SHA-256 {@code sha256}.
   *
   * @throws RefusalException MALFORMED, saying to import the feeds again, when it does not
   */
  static List<Advisory> read(Path file, long size, String sha256) throws IOException,
      RefusalException {
    long actual = Files.size(file);
    if (size > Integer.MAX_VALUE - 16) {
      throw damaged(file, "feeds.json records an impossible size " + size);
    }
    if (actual != size) {
      throw damaged(file, "it has " + actual + " bytes, " + size + " were written");
    }
    byte[] bytes = Files.readAllBytes(file);
    if (!HexFormat.of().formatHex(sha256().digest(bytes)).equals(sha256)) {
      throw damaged(file, "its SHA-256 is not the one recorded at import");
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      byte[] magic = in.readNBytes(MAGIC.length);
      if (!Arrays.equals(magic, MAGIC) || in.readInt() != FORMAT) {
        throw damaged(file, "it is not a format " + FORMAT + " index of this program");
      }
      String[] table = new String[count(in, bytes.length)];
      for (int i = 0; i < table.length; i++) {
        table[i] = in.readUTF();
      }
      int n = count(in, bytes.length);
      List<Advisory> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        String id = table[in.readInt()];
        List<String> aliases = readList(in, table, bytes.length);
        String summary = table[in.readInt()];
        int cvss = in.readInt();
        Instant modified = Instant.ofEpochSecond(in.readLong(), in.readInt());
        int na = count(in, bytes.length);
        List<Advisory.Affected> affected = new ArrayList<>(na);
        for (int j = 0; j < na; j++) {
          String eco = table[in.readInt()];
          String name = table[in.readInt()];
          List<String> versions = readList(in, table, bytes.length);
          int nr = count(in, bytes.length);
          List<Advisory.Range> ranges = new ArrayList<>(nr);
          for (int k = 0; k < nr; k++) {
            String type = table[in.readInt()];
            int ne = count(in, bytes.length);
            List<Advisory.Event> events = new ArrayList<>(ne);
            for (int m = 0; m < ne; m++) {
              events.add(new Advisory.Event(KINDS[in.readByte()], table[in.readInt()]));
            }
            ranges.add(new Advisory.Range(type, events));
          }
          affected.add(new Advisory.Affected(eco, name, ranges, versions));
        }
        out.add(new Advisory(id, aliases, summary, cvss < 0 ? Optional.empty()
            : Optional.of(table[cvss]), affected, modified));
      }
      if (in.read() != -1) {
        throw damaged(file, "it has bytes after its last record");
      }
      return out;
    } catch (IOException | RuntimeException e) {
      // The digest matched, so only a forged feeds.json and index together get here.
      throw damaged(file, "it cannot be parsed (" + e + ")");
    }
  }

  /** A count, which cannot exceed the bytes there are: nothing is allocated on a wrong one. */
  private static int count(DataInputStream in, int length) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > length) {
      throw new IOException("count " + n + " out of range");
    }
    return n;
  }

  private static void intern(String s, Map<String, Integer> strings, List<String> table) {
    if (strings.putIfAbsent(s, table.size()) == null) {
      table.add(s);
    }
  }

  private static void writeList(DataOutputStream out, List<String> l,
      Map<String, Integer> strings) throws IOException {
    out.writeInt(l.size());
    for (String s : l) {
      out.writeInt(strings.get(s));
    }
  }

  private static List<String> readList(DataInputStream in, String[] table, int length)
      throws IOException {
    int n = count(in, length);
    String[] out = new String[n];
    for (int i = 0; i < n; i++) {
      out[i] = table[in.readInt()];
    }
    return List.of(out);
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every Java has SHA-256", e);
    }
  }

  private static RefusalException damaged(Path file, String why) {
    return new RefusalException(ReasonCode.MALFORMED, "the vulnerability index " + file
        + " is damaged: " + why + "; import the feeds again with 'neguard vulndb import'");
  }
}
