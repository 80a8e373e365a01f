package org.neguard.av;

import org.neguard.io.HostName;
import org.neguard.scanreport.EngineInfo;
import org.neguard.scanreport.ScanReportCodec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicBoolean;
import org.neguard.measure.Sha256;
import org.neguard.pkg.BundleLayout;
import org.neguard.pkg.BundleLimits;
import org.neguard.pkg.BundleReader;
import org.neguard.pkg.Manifest;
import org.neguard.pkg.ScanReportWriter;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.neguard.scanreport.FileResult;
import org.neguard.scanreport.ScanReport;

/**
 * Scans every payload file of an unsigned bundle with every configured engine (AV-1) and writes
 * one report per engine into the bundle (AV-3), ready for the publication gate and signing.
 *
 * <p>Every byte handed to an engine is hashed on the way and compared with the manifest before a
 * report is written, so a report's payload digest is a claim about the bytes actually scanned. When an engine fails (unreachable, dies, answers
 * nonsense), no report is written at all and the bundle is left as it was: a partial scan is not
 * a scan. Findings do not stop the run: the reports record them and the gate refuses them.
 */
public final class ScanRunner {
  /** Told how far the scan has come. Thread-safe implementations only. */
  public interface Progress {
    Progress NONE = (engine, index, count, done, total) -> {};

    /**
     * @param engine the engine spec being run
     * @param index its position, from 1
     * @param count how many engines in all
     * @param doneBytes bytes handed to this engine so far
     * @param totalBytes payload bytes in all
     */
    void progress(String engine, int index, int count, long doneBytes, long totalBytes);
  }

  /** An engine and the spec it was configured from, for messages and report names. */
  public record Configured(String spec, ScanEngine engine) {
    public Configured {
      Objects.requireNonNull(spec, "spec");
      Objects.requireNonNull(engine, "engine");
    }
  }

  /** What a run produced: the manifest now in the bundle, and the reports in its order. */
  public record Result(Manifest manifest, List<ScanReport> reports) {
    /** Every result that is not clean, over all reports. */
    public List<FileResult> findings() {
      return reports.stream().flatMap(r -> r.findings().stream()).toList();
    }
  }

  private final List<Configured> engines;
  private final BundleLimits limits;
  private final Clock clock;
  private final String scanner;
  private final String host;
  private final List<String> notes;
  private final int threads;

  private ScanRunner(Builder b) {
    this.engines = List.copyOf(b.engines);
    this.limits = b.limits;
    this.clock = b.clock;
    this.scanner = b.scanner;
    this.host = b.host != null ? b.host : HostName.local();
    this.notes = List.copyOf(b.notes);
    this.threads = b.threads;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Scans {@code bundle} and writes it, with its reports, to {@code out} (may be the same file).
   *
   * @throws RefusalException {@code STRUCTURE} if the bundle is signed, a content refusal if its
   *     payload does not match its manifest, {@code ENGINE_UNAVAILABLE} or {@code ENGINE_ERROR}
   *     when an engine fails (nothing written), {@code ENGINE_ERROR} also when an engine describes
   *     itself otherwise after the scan than before it (a signature reload mid-scan)
   */
  public Result run(Path bundle, Path out, Progress progress) throws IOException, RefusalException {
    try (BundleReader reader = BundleReader.openArchive(bundle, limits)) {
      ScanReportWriter.requireUnsigned(reader);
      // The manifest is decoded and checked while the engines read the payload entries the
      // archive holds: on a cold JVM that is most of a second the engines need not wait for.
      // Nothing is judged or written before it is done; a refused manifest stops the engines at
      // their next file and is the answer.
      AtomicBoolean refused = new AtomicBoolean();
      FutureTask<Void> manifestLoad = new FutureTask<>(() -> {
        try {
          reader.loadManifest();
          return null;
        } catch (IOException | RefusalException | RuntimeException e) {
          refused.set(true);
          throw e;
        }
      });
      Thread loader = new Thread(manifestLoad, "neguard-manifest");
      loader.setDaemon(true);
      loader.start();
      try {
        return scan(reader, manifestLoad, refused, out, progress);
      } catch (IOException | RefusalException | RuntimeException e) {
        if (refused.get()) {
          awaitManifest(manifestLoad, reader); // throws why the manifest was refused
        }
        throw e;
      } finally {
        awaitQuietly(loader); // it reads from the reader: let it finish before the reader closes
      }
    }
  }

  private Result scan(
      BundleReader reader,
      FutureTask<Void> manifestLoad,
      AtomicBoolean refused,
      Path out,
      Progress progress)
      throws IOException, RefusalException {
    Map<String, Long> payload = reader.payloadEntries();
    long payloadBytes = payload.values().stream().mapToLong(Long::longValue).sum();
    if (payloadBytes > limits.maxPayloadBytes()) {
      // The manifest check says the same, later: no engine should read this much first.
      throw new RefusalException(ReasonCode.SIZE_LIMIT,
          "the archive's payload entries hold " + payloadBytes + " bytes, more than the limit of "
              + limits.maxPayloadBytes());
    }
    // The new bundle's payload entries are the old ones byte for byte: the kernel copies them
    // while the engines scan, instead of after (200 MiB: a quarter of a second or more). Nothing
    // is moved into place before every check below has passed; a failure deletes the copy.
    try (ScanReportWriter.Pending output = ScanReportWriter.start(reader, out)) {
      return scan(reader, manifestLoad, refused, payload, output, progress);
    }
  }

  private Result scan(
      BundleReader reader,
      FutureTask<Void> manifestLoad,
      AtomicBoolean refused,
      Map<String, Long> payload,
      ScanReportWriter.Pending output,
      Progress progress)
      throws IOException, RefusalException {
    // Every byte handed to an engine is hashed on the way; before any report is written, each
    // file must have been read whole with the manifest's SHA-256 (or is hashed then), so the
    // reports' payload digest is a claim about the bytes the engines saw, at one read each.
    Map<String, HashedContent> contents = new LinkedHashMap<>();
    List<ScanItem> items = new ArrayList<>();
    for (Map.Entry<String, Long> e : payload.entrySet()) {
      String entry = e.getKey();
      long size = e.getValue();
      HashedContent content = new HashedContent(done -> {
        if (refused.get()) {
          throw new IOException("the manifest was refused: scan stopped");
        }
        return reader.openHashed(entry, size, done);
      });
      String path = entry.substring(BundleLayout.PAYLOAD_PREFIX.length());
      contents.put(path, content);
      items.add(new ScanItem(path, size, content));
    }
    // The reports' encoder is set up while the engines work, not after them: a failure here
    // is only a cost deferred to the real encode, which throws it again.
    Thread codec = new Thread(() -> {
      try {
        ScanReportCodec.prepare();
      } catch (RuntimeException e) {
        // encode() below meets it again, and fails the command there.
      }
    }, "neguard-report-codec");
    codec.setDaemon(true);
    codec.start();
    List<Instant[]> times = new ArrayList<>();
    List<EngineInfo> infos = new ArrayList<>();
    List<Map<String, FileResult>> resultsByPath = new ArrayList<>();
    for (int i = 0; i < engines.size(); i++) {
      Configured c = engines.get(i);
      int index = i + 1;
      // The engine is asked what it is beside the scan, not before it (for clamd one connection
      // and round trip less before the first file), unless it says that answer must come before
      // (YARA hashes the rules file yara is about to read); no report is written unless both
      // succeeded, and a failure to describe is the answer over what the scan then did.
      FutureTask<EngineInfo> describe = new FutureTask<>(c.engine()::describe);
      Thread describer = null;
      if (c.engine().describedBesideScan()) {
        describer = new Thread(describe, "neguard-describe");
        describer.setDaemon(true);
        describer.start();
      } else {
        describe.run();
        outcome(describe, "asking the engine what it is");
      }
      Instant started = clock.instant();
      List<FileResult> results;
      try {
        results = c.engine().scan(items, (done, total) ->
            progress.progress(c.spec(), index, engines.size(), done, total));
      } catch (RefusalException | RuntimeException e) {
        awaitDescription(describe, describer);
        throw e;
      }
      EngineInfo before = awaitDescription(describe, describer);
      // Asked again once the scan is done: a signature reload while it ran (clamd's SelfCheck,
      // freshclam's RELOAD, a rules file replaced) would otherwise let the report name a
      // database that did not scan every file.
      requireUnchanged(c, before, c.engine().describe());
      infos.add(before);
      times.add(new Instant[] {started, clock.instant()});
      checkResults(c, items, results);
      Map<String, FileResult> byPath = new HashMap<>();
      results.forEach(r -> byPath.put(r.path(), r));
      resultsByPath.add(byPath);
    }
    Manifest manifest = awaitManifest(manifestLoad, reader);
    // The manifest lists exactly the payload entries scanned (loadManifest checked it): compare
    // what the engines read with what it lists, and report in its order.
    List<Reason> mismatches = new ArrayList<>();
    for (Manifest.FileEntry f : manifest.files()) {
      contents.get(f.path()).check(f).ifPresent(mismatches::add);
    }
    if (!mismatches.isEmpty()) {
      throw new RefusalException(mismatches);
    }
    List<ScanReport> reports = new ArrayList<>();
    Map<String, byte[]> encoded = new LinkedHashMap<>();
    for (int i = 0; i < engines.size(); i++) {
      Map<String, FileResult> byPath = resultsByPath.get(i);
      List<FileResult> results = manifest.files().stream().map(f -> byPath.get(f.path())).toList();
      EngineInfo info = infos.get(i);
      ScanReport report = new ScanReport(
          ScanReport.FORMAT, info, host, scanner, times.get(i)[0], times.get(i)[1],
          manifest.name(), manifest.version(), manifest.rim().digest(), results,
          ScanReport.verdictOf(results), notes);
      reports.add(report);
      encoded.put(
          String.format(Locale.ROOT, "%s%02d-%s.json", BundleLayout.SCAN_PREFIX, i + 1,
              info.kind()),
          ScanReportCodec.encode(report));
    }
    Manifest written = ScanReportWriter.finish(output, reader, encoded);
    return new Result(written, reports);
  }

  /** The loaded manifest, or the refusal or failure that loading it ended with. */
  private static Manifest awaitManifest(FutureTask<Void> manifestLoad, BundleReader reader)
      throws IOException, RefusalException {
    outcome(manifestLoad, "reading the manifest");
    return reader.manifest();
  }

  /** The engine's description, or the refusal describing it ended with. */
  private static EngineInfo awaitDescription(FutureTask<EngineInfo> describe, Thread describer)
      throws RefusalException, IOException {
    if (describer != null) {
      awaitQuietly(describer);
    }
    return outcome(describe, "asking the engine what it is");
  }

  /**
   * The engine described itself the same before (or beside) and after the scan; otherwise which
   * database scanned which file is unknown, and no report may name one.
   */
  static void requireUnchanged(Configured c, EngineInfo before, EngineInfo after)
      throws RefusalException {
    if (!before.equals(after)) {
      throw new RefusalException(ReasonCode.ENGINE_ERROR,
          "engine " + c.spec() + " changed while it scanned (its signatures were reloaded or"
              + " replaced?): it said " + summary(before) + " at the start and "
              + summary(after) + " at the end; no report was written, scan again");
    }
  }

  private static String summary(EngineInfo info) {
    return info.product() + " " + info.engineVersion() + ", database " + info.databaseVersion()
        + " of " + info.databaseDate();
  }

  /** What {@code task} returned, or what it threw, as it threw it. */
  private static <T> T outcome(FutureTask<T> task, String doing)
      throws IOException, RefusalException {
    try {
      return task.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while " + doing);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RefusalException r) {
        throw r;
      }
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException rt) {
        throw rt;
      }
      throw new IllegalStateException(cause);
    }
  }

  private static void awaitQuietly(Thread thread) {
    boolean interrupted = false;
    while (true) {
      try {
        thread.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** An engine that breaks its contract must not produce a report that looks complete. */
  private static void checkResults(Configured c, List<ScanItem> items, List<FileResult> results)
      throws RefusalException {
    boolean ok = results.size() == items.size();
    for (int i = 0; ok && i < items.size(); i++) {
      ok = items.get(i).path().equals(results.get(i).path());
    }
    if (!ok) {
      throw new RefusalException(
          ReasonCode.ENGINE_ERROR,
          "engine " + c.spec() + " returned " + results.size() + " results for " + items.size()
              + " files, or in another order; no report was written");
    }
  }

  /**
   * A payload file's bytes, hashed whenever a reader reads them to the end: the length and digest
   * of every whole read, to compare with the manifest once the engines are done. The hash is
   * taken by the bundle's own entry stream, from the bytes it hands the engine, in the reading
   * that also checks the entry's size and CRC-32 ({@link BundleReader#openHashed}).
   */
  private static final class HashedContent implements ScanItem.Content {
    /** Opens the entry, telling {@code done} of a whole, exact reading. */
    @FunctionalInterface
    interface Source {
      java.io.InputStream open(BundleReader.Digested done) throws IOException;
    }

    private final Source source;
    private final Map<String, Long> seen = new java.util.concurrent.ConcurrentHashMap<>();

    HashedContent(Source source) {
      this.source = source;
    }

    @Override
    public java.io.InputStream open() throws IOException {
      return source.open((size, sha256) -> seen.put(sha256, size));
    }

    /** A mismatch with the manifest's entry, hashing the file now if no engine read it whole. */
    java.util.Optional<Reason> check(Manifest.FileEntry file) throws IOException {
      if (seen.isEmpty()) {
        try (java.io.InputStream in = open()) {
          in.transferTo(java.io.OutputStream.nullOutputStream());
        }
      }
      for (Map.Entry<String, Long> read : seen.entrySet()) {
        if (read.getValue() != file.size()) {
          return java.util.Optional.of(Reason.about(ReasonCode.SIZE_LIMIT, file.path(),
              "'" + file.path() + "' is " + read.getValue() + " bytes, not the " + file.size()
                  + " the manifest lists; the package was altered, no report was written"));
        }
        if (!read.getKey().equals(file.sha256())) {
          return java.util.Optional.of(Reason.about(ReasonCode.DIGEST_MISMATCH, file.path(),
              "'" + file.path() + "' has SHA-256 " + read.getKey() + ", the manifest lists "
                  + file.sha256() + "; the package was altered, no report was written"));
        }
      }
      return java.util.Optional.empty();
    }
  }

  /** Configures a {@link ScanRunner}. */
  public static final class Builder {
    private final List<Configured> engines = new ArrayList<>();
    private BundleLimits limits = BundleLimits.defaults();
    private Clock clock = Clock.systemUTC();
    private String scanner = "NEGuard";
    private String host;
    private final List<String> notes = new ArrayList<>();
    private int threads = Runtime.getRuntime().availableProcessors();

    private Builder() {}

    public Builder engine(String spec, ScanEngine engine) {
      engines.add(new Configured(spec, engine));
      return this;
    }

    public Builder limits(BundleLimits limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The program and version recorded as the scanner ({@code NEGuard 0.1.0}). */
    public Builder scanner(String scanner) {
      this.scanner = Objects.requireNonNull(scanner, "scanner");
      return this;
    }

    /** The scanning host's name; the machine's own by default. */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** A note every report carries (a demo database, say). */
    public Builder note(String note) {
      notes.add(Objects.requireNonNull(note, "note"));
      return this;
    }

    public Builder threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads < 1: " + threads);
      }
      this.threads = threads;
      return this;
    }

    /** @throws IllegalStateException if no engine was given */
    public ScanRunner build() {
      if (engines.isEmpty()) {
        throw new IllegalStateException(
            "no engine: give at least one (no engine means no clean report, never clean by default)");
      }
      return new ScanRunner(this);
    }
  }
}
