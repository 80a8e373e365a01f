package org.neguard.vuln;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * One imported feed's records as a compact binary file, so that opening a database is one
 * sequential read rather than a re-parse of the feed's JSON (OSV's Debian dump: about 60,000
 * records, seconds as JSON, a fraction of a second from here).
 *
 * <p>Layout (big-endian, {@link DataOutputStream}): the magic {@code NGVDB\0}, a format number
 * and the record kind (1 OSV advisories, 2 NVD CVEs); a string table (every distinct string
 * once, as its UTF-8 length and bytes: ecosystems, package names, versions and CPEs repeat across thousands
 * of records); then the records, each string as its table index. The file's size and SHA-256
 * are recorded in the database's {@code feeds.json} and checked before a byte is parsed, so a
 * damaged or altered index is refused, never half-read; counts are also checked against the
 * file's length before anything is allocated for them.
 */
final class IndexFile {
  private static final byte[] MAGIC = "NGVDB\0".getBytes(StandardCharsets.US_ASCII);
  private static final int FORMAT = 1;
  static final int OSV = 1;
  static final int NVD = 2;
  private static final List<String> KINDS = List.of("introduced", "fixed", "last_affected",
      "limit");

  private IndexFile() {}

  /** The file's size and SHA-256 (hex), for feeds.json. */
  record Written(long size, String sha256) {}

  /** Writes {@code advisories} to {@code file}. */
  static Written writeOsv(Path file, List<Advisory> advisories) throws IOException {
    Writer w = new Writer();
    w.out.writeInt(advisories.size());
    for (Advisory a : advisories) {
      w.string(a.id());
      w.strings(a.aliases());
      w.string(a.summary());
      w.optional(a.cvss());
      w.instant(a.modified());
      w.out.writeInt(a.affected().size());
      for (Advisory.Affected af : a.affected()) {
        w.string(af.ecosystem());
        w.string(af.name());
        w.strings(af.versions());
        w.out.writeInt(af.ranges().size());
        for (Advisory.Range r : af.ranges()) {
          w.string(r.type());
          w.out.writeInt(r.events().size());
          for (Advisory.Event e : r.events()) {
            w.out.writeByte(KINDS.indexOf(e.kind()));
            w.string(e.version());
          }
        }
      }
    }
    return w.finish(file, OSV);
  }

  /** Writes {@code cves} to {@code file}. */
  static Written writeNvd(Path file, List<NvdCve> cves) throws IOException {
    Writer w = new Writer();
    w.out.writeInt(cves.size());
    for (NvdCve c : cves) {
      w.string(c.id());
      w.instant(c.lastModified());
      // the first line, cut as OSV summaries are: NVD has 250,000 descriptions of up to a few
      // kB each, and a report needs one line (the feed keeps the rest)
      String d = c.description().lines().findFirst().orElse("");
      w.string(d.length() > OsvReader.MAX_SUMMARY ? d.substring(0, OsvReader.MAX_SUMMARY - 1)
          + "\u2026" : d);
      w.out.writeInt(c.metrics().size());
      for (Cvss m : c.metrics()) {
        w.string(m.version());
        w.string(m.vector());
        w.out.writeDouble(m.score());
        w.string(m.source());
      }
      w.out.writeInt(c.tree().size());
      for (NvdCve.Configuration conf : c.tree()) {
        w.out.writeBoolean(conf.operator() == NvdCve.Operator.AND);
        w.out.writeBoolean(conf.negate());
        w.out.writeInt(conf.nodes().size());
        for (NvdCve.Node n : conf.nodes()) {
          w.out.writeBoolean(n.operator() == NvdCve.Operator.AND);
          w.out.writeBoolean(n.negate());
          w.out.writeInt(n.cpeMatch().size());
          for (CpeRange r : n.cpeMatch()) {
            w.string(r.cpe().toString());
            w.optional(r.startIncluding());
            w.optional(r.startExcluding());
            w.optional(r.endIncluding());
            w.optional(r.endExcluding());
            w.out.writeBoolean(r.vulnerable());
          }
        }
      }
    }
    return w.finish(file, NVD);
  }

  /**
   * Reads the advisories of {@code file}, after checking its size and SHA-256.
   *
   * @throws RefusalException MALFORMED, saying to import the feeds again, when they differ
   */
  static List<Advisory> readOsv(Path file, long size, String sha256) throws IOException,
      RefusalException {
    Reader r = new Reader(file, size, sha256, OSV);
    try {
      int n = r.count();
      List<Advisory> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        String id = r.string();
        List<String> aliases = r.strings();
        String summary = r.string();
        Optional<String> cvss = r.optional();
        Instant modified = r.instant();
        // arrays wrapped by List.of: the records' List.copyOf then copies nothing
        Advisory.Affected[] affected = new Advisory.Affected[r.count()];
        for (int j = 0; j < affected.length; j++) {
          String eco = r.string();
          String name = r.string();
          List<String> versions = r.strings();
          Advisory.Range[] ranges = new Advisory.Range[r.count()];
          for (int k = 0; k < ranges.length; k++) {
            String type = r.string();
            Advisory.Event[] events = new Advisory.Event[r.count()];
            for (int m = 0; m < events.length; m++) {
              events[m] = new Advisory.Event(KINDS.get(r.in.get()), r.string());
            }
            ranges[k] = new Advisory.Range(type, List.of(events));
          }
          affected[j] = new Advisory.Affected(eco, name, List.of(ranges), versions);
        }
        out.add(new Advisory(id, aliases, summary, cvss, List.of(affected), modified));
      }
      r.end();
      return out;
    } catch (IOException | RuntimeException e) {
      throw r.unparseable(e);
    }
  }

  /** Reads the NVD CVEs of {@code file}, after checking its size and SHA-256. */
  static List<NvdCve> readNvd(Path file, long size, String sha256) throws IOException,
      RefusalException {
    Reader r = new Reader(file, size, sha256, NVD);
    Map<String, Cpe> cpes = new HashMap<>();
    try {
      int n = r.count();
      List<NvdCve> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        String id = r.string();
        Instant modified = r.instant();
        String description = r.string();
        int nm = r.count();
        List<Cvss> metrics = new ArrayList<>(nm);
        for (int j = 0; j < nm; j++) {
          metrics.add(new Cvss(r.string(), r.string(), r.in.getDouble(), r.string()));
        }
        int nc = r.count();
        List<NvdCve.Configuration> tree = new ArrayList<>(nc);
        List<CpeRange> flat = new ArrayList<>();
        for (int j = 0; j < nc; j++) {
          NvdCve.Operator op = r.bool() ? NvdCve.Operator.AND : NvdCve.Operator.OR;
          boolean negate = r.bool();
          int nn = r.count();
          List<NvdCve.Node> nodes = new ArrayList<>(nn);
          for (int k = 0; k < nn; k++) {
            NvdCve.Operator nop = r.bool() ? NvdCve.Operator.AND : NvdCve.Operator.OR;
            boolean nneg = r.bool();
            int nr = r.count();
            List<CpeRange> ranges = new ArrayList<>(nr);
            for (int m = 0; m < nr; m++) {
              String name = r.string();
              Cpe cpe = cpes.get(name);
              if (cpe == null) {
                cpe = Cpe.parse(name); // parsed once per distinct name
                cpes.put(name, cpe);
              }
              ranges.add(new CpeRange(cpe, r.optional(), r.optional(), r.optional(),
                  r.optional(), r.bool()));
            }
            flat.addAll(ranges);
            nodes.add(new NvdCve.Node(nop, nneg, ranges));
          }
          tree.add(new NvdCve.Configuration(op, negate, nodes));
        }
        out.add(new NvdCve(id, modified, description, metrics, flat, tree));
      }
      r.end();
      return out;
    } catch (IOException | RuntimeException e) {
      throw r.unparseable(e);
    }
  }

  /** Writes the records to memory, interning strings, then the file: header, table, records. */
  private static final class Writer {
    final ByteArrayOutputStream body = new ByteArrayOutputStream(1 << 20);
    final DataOutputStream out = new DataOutputStream(body);
    final Map<String, Integer> ids = new HashMap<>();
    final List<String> table = new ArrayList<>();

    void string(String s) throws IOException {
      Integer id = ids.get(s);
      if (id == null) {
        id = table.size();
        ids.put(s, id);
        table.add(s);
      }
      out.writeInt(id);
    }

    void strings(List<String> l) throws IOException {
      out.writeInt(l.size());
      for (String s : l) {
        string(s);
      }
    }

    void optional(Optional<String> s) throws IOException {
      if (s.isPresent()) {
        string(s.get());
      } else {
        out.writeInt(-1);
      }
    }

    void instant(Instant t) throws IOException {
      out.writeLong(t.getEpochSecond());
      out.writeInt(t.getNano());
    }

    Written finish(Path file, int kind) throws IOException {
      MessageDigest md = sha256();
      long size;
      try (OutputStream raw = Files.newOutputStream(file);
          DataOutputStream f = new DataOutputStream(new java.io.BufferedOutputStream(
              new java.security.DigestOutputStream(raw, md), 1 << 16))) {
        f.write(MAGIC);
        f.writeInt(FORMAT);
        f.writeInt(kind);
        f.writeInt(table.size());
        for (String s : table) {
          byte[] b = s.getBytes(StandardCharsets.UTF_8);
          f.writeInt(b.length);
          f.write(b);
        }
        body.writeTo(f);
        f.flush();
        size = f.size();
      }
      return new Written(size, HexFormat.of().formatHex(md.digest()));
    }
  }

  /** Reads a verified file (from memory: a ByteBuffer, no stream and no locks per int). */
  private static final class Reader {
    final Path file;
    final ByteBuffer in;
    final String[] table;
    final int length;

    Reader(Path file, long size, String sha256, int kind) throws IOException,
        RefusalException {
      this.file = file;
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
      length = bytes.length;
      in = ByteBuffer.wrap(bytes);
      try {
        byte[] magic = new byte[MAGIC.length];
        in.get(magic);
        if (!Arrays.equals(magic, MAGIC) || in.getInt() != FORMAT || in.getInt() != kind) {
          throw damaged(file, "it is not a format " + FORMAT + " index of kind " + kind);
        }
        table = new String[count()];
        for (int i = 0; i < table.length; i++) {
          int n = count();
          table[i] = new String(bytes, in.position(), n, StandardCharsets.UTF_8);
          in.position(in.position() + n);
        }
      } catch (IOException | RuntimeException e) {
        throw unparseable(e);
      }
    }

    /** A count, which cannot exceed the bytes there are: nothing is allocated on a wrong one. */
    int count() throws IOException {
      int n = in.getInt();
      if (n < 0 || n > length) {
        throw new IOException("count " + n + " out of range");
      }
      return n;
    }

    String string() {
      return table[in.getInt()];
    }

    Optional<String> optional() {
      int i = in.getInt();
      return i < 0 ? Optional.empty() : Optional.of(table[i]);
    }

    List<String> strings() throws IOException {
      String[] out = new String[count()];
      for (int i = 0; i < out.length; i++) {
        out[i] = string();
      }
      return List.of(out);
    }

    Instant instant() {
      return Instant.ofEpochSecond(in.getLong(), in.getInt());
    }

    boolean bool() {
      return in.get() != 0;
    }

    void end() throws RefusalException {
      if (in.hasRemaining()) {
        throw damaged(file, "it has bytes after its last record");
      }
    }

    RefusalException unparseable(Exception e) {
      // The digest matched, so only a forged feeds.json and index together get here.
      return damaged(file, "it cannot be parsed (" + e + ")");
    }
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
