package org.neguard.vuln;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import org.neguard.progress.ProgressListener;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Streams the OSV records of one feed (a zip such as OSV's per-ecosystem {@code all.zip}, a
 * directory of {@code .json} files, or one {@code .json} record) to a sink, one record in memory
 * at a time, within {@link ImportLimits}.
 *
 * <p>A zip is read twice, because two zip readers can disagree: once as a stream (local
 * headers, what is imported) and once by its central directory (what {@code unzip -l} and
 * every other tool shows). The two lists of {@code .json} entries must be the same, so a zip
 * that hides records from one reader, or names one entry twice, is refused rather than imported
 * differently from how an operator inspecting it sees it.
 */
final class OsvFeed {
  /** Receives each record with the name of the file it came from. */
  @FunctionalInterface
  interface Sink {
    void accept(Advisory advisory, String source) throws RefusalException;
  }

  private OsvFeed() {}

  /**
   * Reads {@code feed} into {@code sink}.
   *
   * @throws RefusalException MALFORMED (a bad record, a truncated or inconsistent zip),
   *     SIZE_LIMIT (above {@code limits})
   */
  static void read(Path feed, ImportLimits limits, ProgressListener progress, Sink sink)
      throws IOException, RefusalException {
    String name = feed.getFileName().toString();
    if (Files.isDirectory(feed)) {
      readDirectory(feed, limits, progress, sink);
      return;
    }
    long size = Files.size(feed);
    if (size > limits.maxFileBytes()) {
      throw new RefusalException(ReasonCode.SIZE_LIMIT, name + " is " + size + " bytes, more"
          + " than the " + limits.maxFileBytes() + " a feed file may have");
    }
    if (name.endsWith(".json")) {
      if (size > limits.maxRecordBytes()) {
        throw tooBig(name, size, limits);
      }
      sink.accept(OsvReader.read(Files.readAllBytes(feed), name), name);
      progress.progress(size, size);
      return;
    }
    List<String> streamed = readZipStream(feed, size, limits, progress, sink);
    List<String> central = new ArrayList<>();
    try (ZipFile z = new ZipFile(feed.toFile())) {
      for (Enumeration<? extends ZipEntry> e = z.entries(); e.hasMoreElements(); ) {
        ZipEntry entry = e.nextElement();
        if (!entry.isDirectory() && entry.getName().endsWith(".json")) {
          central.add(entry.getName());
        }
      }
    } catch (ZipException e) {
      throw new RefusalException(ReasonCode.MALFORMED, name + " is not a complete zip (its"
          + " central directory cannot be read: " + e.getMessage() + "); download it again");
    }
    if (!central.equals(streamed)) {
      throw new RefusalException(ReasonCode.MALFORMED, name + ": its entries (" + streamed.size()
          + " records) differ from its central directory's (" + central.size() + "), so tools"
          + " would read it differently; download the feed again from its publisher");
    }
    progress.progress(size, size);
  }

  private static void readDirectory(Path feed, ImportLimits limits, ProgressListener progress,
      Sink sink) throws IOException, RefusalException {
    List<Path> files;
    try (Stream<Path> s = Files.list(feed)) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
    }
    if (files.size() > limits.maxRecords()) {
      throw tooMany(feed.getFileName().toString(), limits);
    }
    long total = 0;
    for (int i = 0; i < files.size(); i++) {
      Path f = files.get(i);
      long size = Files.size(f);
      if (size > limits.maxRecordBytes()) {
        throw tooBig(f.getFileName().toString(), size, limits);
      }
      total += size;
      if (total > limits.maxFeedBytes()) {
        throw tooLarge(feed.getFileName().toString(), limits);
      }
      sink.accept(OsvReader.read(Files.readAllBytes(f), f.getFileName().toString()),
          f.getFileName().toString());
      progress.progress(i + 1, files.size());
    }
  }

  private static List<String> readZipStream(Path feed, long size, ImportLimits limits,
      ProgressListener progress, Sink sink) throws IOException, RefusalException {
    String name = feed.getFileName().toString();
    List<String> names = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    long total = 0;
    try (CountingInputStream counted = new CountingInputStream(Files.newInputStream(feed));
        ZipInputStream zip = new ZipInputStream(counted)) {
      for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
        if (e.isDirectory() || !e.getName().endsWith(".json")) {
          continue;
        }
        if (!seen.add(e.getName())) {
          throw new RefusalException(ReasonCode.MALFORMED, name + " holds the entry "
              + e.getName() + " twice; an unzip would keep only one of them");
        }
        if (names.size() >= limits.maxRecords()) {
          throw tooMany(name, limits);
        }
        names.add(e.getName());
        // At most one byte past the limit is read: the entry's declared size is not trusted.
        byte[] json = zip.readNBytes(limits.maxRecordBytes() + 1);
        if (json.length > limits.maxRecordBytes()) {
          throw tooBig(e.getName(), json.length, limits);
        }
        total += json.length;
        if (total > limits.maxFeedBytes()) {
          throw tooLarge(name, limits);
        }
        sink.accept(OsvReader.read(json, e.getName()), e.getName());
        progress.progress(counted.count, size);
      }
    } catch (ZipException | EOFException e) {
      throw new RefusalException(ReasonCode.MALFORMED, name + " is not a complete zip of OSV"
          + " records (" + e.getMessage() + "); download it again");
    }
    return names;
  }

  private static RefusalException tooBig(String source, long size, ImportLimits limits) {
    return new RefusalException(ReasonCode.SIZE_LIMIT, source + ": a record of " + size
        + "+ bytes, more than the " + limits.maxRecordBytes() + " one record may have");
  }

  private static RefusalException tooMany(String feed, ImportLimits limits) {
    return new RefusalException(ReasonCode.SIZE_LIMIT, feed + " holds more than "
        + limits.maxRecords() + " records, the most one feed may hold");
  }

  private static RefusalException tooLarge(String feed, ImportLimits limits) {
    return new RefusalException(ReasonCode.SIZE_LIMIT, feed + " unpacks to more than "
        + limits.maxFeedBytes() + " bytes, the most one feed may hold");
  }

  /** Counts the compressed bytes read, for progress. */
  private static final class CountingInputStream extends FilterInputStream {
    volatile long count;

    CountingInputStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }
}
