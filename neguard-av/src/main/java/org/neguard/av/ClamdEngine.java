package org.neguard.av;

import org.neguard.scanreport.EngineInfo;
import org.neguard.scanreport.FileResult;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.neguard.progress.ProgressListener;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * ClamAV through clamd's socket protocol (AV-1), over TCP or a Unix socket, with a client written
 * here: the Java clients on Maven Central are unmaintained and have no read timeouts.
 *
 * <p>Each file goes to clamd with {@code INSTREAM} in chunks of at most {@link
 * Builder#chunkSize} bytes (4-byte big-endian length, zero-length terminator), over a few
 * connections in parallel, each an {@code IDSESSION} that carries many files, pipelined: the
 * next file goes while clamd scans the ones before (as {@code clamdscan -m} feeds it), and
 * another thread reads the replies, each matched to its file by the request id clamd echoes.
 * Replies map as follows (docs/SCANNING-CLAMD.md):
 *
 * <ul>
 *   <li>{@code stream: OK}: clean;
 *   <li>{@code stream: NAME FOUND}: infected with NAME, except {@code Heuristics.Limits.Exceeded.*}
 *       and {@code Heuristics.Encrypted.*}, which mean clamd skipped content: not scanned;
 *   <li>{@code INSTREAM size limit exceeded. ERROR}: not scanned (StreamMaxLength);
 *   <li>any other error, anything not understood, silence past the timeout, a dropped
 *       connection: a {@link RefusalException} and no results at all.
 * </ul>
 *
 * <p>clamd has no command that reads its configuration, so the engine checks what it can: before
 * each scan it sends a tiny ZIP marked encrypted and refuses to go on when clamd calls it clean
 * ({@code AlertEncrypted} is off); files above clamd's 2 GiB design limit, or above the {@code
 * MaxFileSize} / {@code StreamMaxLength} the engine is told (clamd's defaults, 100 MiB, until
 * told), are not scanned without asking clamd. A file that holds, anywhere and at any level of
 * nesting, a compressed member larger than {@code MaxFileSize} is not scanned either: clamd (1.4)
 * scans only a ZIP member's first MaxFileSize bytes and answers OK even with {@code
 * AlertExceedsMax yes} ({@link MemberSizeCheck}). {@code AlertExceedsMax} itself
 * cannot be probed without knowing clamd's limits.
 *
 * <p>Immutable and thread-safe; each call opens and closes its own connections.
 */
public final class ClamdEngine implements ScanEngine {
  /** Largest file clamd can scan: "files greater than 2 GB" cannot be, says clamd.conf(5). */
  public static final long CLAMD_FILE_CEILING = Integer.MAX_VALUE;

  /** clamd's default MaxFileSize and StreamMaxLength (100M), assumed until told otherwise. */
  public static final long CLAMD_DEFAULT_LIMIT = 100L << 20;

  /**
   * Bytes a session may have sent and not had answered (besides one file, however large): clamd
   * holds each in a temporary file until a thread has scanned it.
   */
  static final long PIPELINE_BYTES = 64L << 20;

  private static final ZipProbe PROBE = ZipProbe.make();
  private static final byte[] INSTREAM = "zINSTREAM\0".getBytes(StandardCharsets.US_ASCII);

  private final ClamdEndpoint endpoint;
  private final Duration connectTimeout;
  private final Duration readTimeout;
  private final int connections;
  private final int pipeline;
  private final int chunkSize;
  private final long maxFileSize;
  private final long streamMaxLength;
  private final ZoneId databaseZone;

  private ClamdEngine(Builder b) {
    this.endpoint = b.endpoint;
    this.connectTimeout = b.connectTimeout;
    this.readTimeout = b.readTimeout;
    this.connections = b.connections;
    this.pipeline = b.pipeline;
    this.chunkSize = b.chunkSize;
    this.maxFileSize = b.maxFileSize;
    this.streamMaxLength = b.streamMaxLength;
    this.databaseZone = b.databaseZone;
  }

  /** A builder for clamd at {@code endpoint}, with the defaults of {@link Builder}. */
  public static Builder builder(ClamdEndpoint endpoint) {
    return new Builder(Objects.requireNonNull(endpoint, "endpoint"));
  }

  /**
   * The engine an {@code --engine} argument names: {@code clamd:tcp://HOST:PORT} or {@code
   * clamd:unix:/path}, optionally followed by {@code ?option=value&...} with the options {@code
   * connectTimeout}, {@code readTimeout} (a number with {@code ms}, {@code s} or {@code m}),
   * {@code connections}, {@code maxFileSize}, {@code streamMaxLength} (bytes, or with {@code K},
   * {@code M}, {@code G} as clamd.conf writes them) and {@code zone} (clamd's time zone, for the
   * database date; default UTC).
   *
   * @throws IllegalArgumentException naming what is wrong with the spec
   */
  public static ClamdEngine fromSpec(String spec) {
    Objects.requireNonNull(spec, "spec");
    if (!spec.regionMatches(true, 0, "clamd:", 0, "clamd:".length())) {
      throw new IllegalArgumentException(
          "not a clamd engine spec: '" + spec
              + "' (use clamd:tcp://HOST:PORT or clamd:unix:/path/to/clamd.sock)");
    }
    String rest = spec.substring("clamd:".length());
    int q = rest.indexOf('?');
    Builder b = builder(ClamdEndpoint.parse(q < 0 ? rest : rest.substring(0, q)));
    if (q >= 0) {
      for (String pair : rest.substring(q + 1).split("&", -1)) {
        int eq = pair.indexOf('=');
        if (eq <= 0 || eq == pair.length() - 1) {
          throw new IllegalArgumentException(
              "bad option '" + pair + "' in clamd engine spec '" + spec + "': use name=value");
        }
        String name = pair.substring(0, eq);
        String value = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        try {
          switch (name) {
            case "connectTimeout" -> b.connectTimeout(duration(value));
            case "readTimeout" -> b.readTimeout(duration(value));
            case "connections" -> b.connections(Integer.parseInt(value));
            case "pipeline" -> b.pipeline(Integer.parseInt(value));
            case "maxFileSize" -> b.maxFileSize(size(value));
            case "streamMaxLength" -> b.streamMaxLength(size(value));
            case "zone" -> b.databaseZone(ZoneId.of(value));
            default -> throw new IllegalArgumentException(
                "unknown option (known: connectTimeout, readTimeout, connections, pipeline,"
                    + " maxFileSize, streamMaxLength, zone)");
          }
        } catch (IllegalArgumentException | DateTimeException e) {
          throw new IllegalArgumentException(
              "bad option '" + pair + "' in clamd engine spec '" + spec + "': " + e.getMessage(),
              e);
        }
      }
    }
    return b.build();
  }

  public ClamdEndpoint endpoint() {
    return endpoint;
  }

  /**
   * Asks clamd's {@code VERSION}. The product is {@code ClamAV}; a clamd without a daily database
   * reports no database version or date (null fields), which the scan policy refuses.
   *
   * @throws RefusalException {@code ENGINE_UNAVAILABLE} when clamd cannot be reached or does not
   *     answer in time, {@code ENGINE_ERROR} when the answer is not a clamd VERSION
   */
  @Override
  public EngineInfo describe() throws RefusalException {
    String reply;
    try (ClamdConnection c = connect()) {
      c.command("VERSION");
      reply = c.readReply();
    } catch (IOException e) {
      throw unavailable("VERSION", e);
    }
    ClamdReplies.Version v = ClamdReplies.parseVersion(reply, databaseZone);
    return new EngineInfo(
        "clamd", "ClamAV", v.engineVersion(), v.databaseVersion(), v.databaseDate(),
        endpoint.toString());
  }

  /**
   * Streams every item to clamd and returns its verdicts in the items' order.
   *
   * @throws RefusalException {@code ENGINE_UNAVAILABLE} when clamd cannot be reached, drops a
   *     connection or stays silent past the read timeout; {@code ENGINE_ERROR} when it answers an
   *     error or something not understood, or calls an encrypted archive clean; {@code IO_ERROR}
   *     when an item cannot be read or does not have its stated size. No results in any of these
   *     cases.
   */
  @Override
  public List<FileResult> scan(List<ScanItem> items, ProgressListener progress)
      throws RefusalException {
    Objects.requireNonNull(progress, "progress");
    List<ScanItem> all = List.copyOf(items);
    FileResult[] results = new FileResult[all.size()];
    List<Integer> toSend = new ArrayList<>();
    long total = 0;
    for (int i = 0; i < all.size(); i++) {
      ScanItem item = all.get(i);
      total += item.size();
      results[i] = precheck(item);
      if (results[i] == null) {
        toSend.add(i);
      }
    }
    // Largest first, so that one big file does not start last and run alone.
    toSend.sort(Comparator.comparingLong((Integer i) -> all.get(i).size()).reversed());
    AtomicLong done = new AtomicLong();
    long grandTotal = total;
    // Files not sent count as handled at once.
    for (int i = 0; i < all.size(); i++) {
      if (results[i] != null) {
        progress.progress(done.addAndGet(all.get(i).size()), grandTotal);
      }
    }
    int workers = Math.min(connections, toSend.size());
    if (workers == 0) {
      checkAlertEncrypted();
      return List.of(results);
    }
    Work work = new Work(all, toSend, results, done, grandTotal, progress);
    ExecutorService pool =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "neguard-clamd");
              t.setDaemon(true);
              return t;
            });
    try {
      List<Future<Void>> futures = new ArrayList<>();
      // The probe is sent first, and its answer awaited beside the sessions instead of before
      // them (a round trip less before the first file): no result is returned unless it
      // passed, and its refusal, first in the list, is the answer over the sessions it stopped.
      ClamdConnection probe = sendProbe();
      futures.add(pool.submit(() -> {
        try {
          judgeProbe(probe);
          return null;
        } catch (RefusalException | RuntimeException e) {
          work.abort.set(true);
          throw e;
        }
      }));
      for (int w = 0; w < workers; w++) {
        futures.add(pool.submit(() -> {
          try {
            new Feeder(work, pool).run();
            return null;
          } catch (RefusalException | RuntimeException e) {
            work.abort.set(true); // the other connections stop at their next chunk or file
            throw e;
          }
        }));
      }
      awaitAll(futures, work.abort);
      memberChecks(work, pool, workers);
    } catch (InterruptedException e) {
      work.abort.set(true);
      Thread.currentThread().interrupt();
      throw new RefusalException(ReasonCode.INTERNAL, "clamd scan interrupted", e);
    } finally {
      pool.shutdownNow();
    }
    for (int i = 0; i < results.length; i++) {
      if (results[i] == null) {
        throw new RefusalException(
            ReasonCode.INTERNAL, "no clamd result for '" + all.get(i).path() + "'");
      }
    }
    return List.of(results);
  }

  /**
   * Waits for every task; the first refusal that is not an {@code INTERNAL} "stopped" wins (the
   * others stopped because of it).
   */
  private static void awaitAll(List<Future<Void>> futures, AtomicBoolean abort)
      throws RefusalException, InterruptedException {
    RefusalException first = null;
    for (Future<Void> f : futures) {
      try {
        f.get();
      } catch (ExecutionException e) {
        abort.set(true);
        RefusalException r = asRefusal(e.getCause());
        if (first == null || (first.code() == ReasonCode.INTERNAL)) {
          first = r;
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  /**
   * clamd answered OK for every file whose bytes held an archive header, but it may have
   * scanned only the first MaxFileSize bytes of a member ({@link MemberSizeCheck}): each such
   * file is checked once every session has ended (a check can take a while; a session left
   * waiting meanwhile would meet clamd's IdleTimeout), on as many threads as there were
   * connections.
   */
  private void memberChecks(Work work, ExecutorService pool, int threads)
      throws RefusalException, InterruptedException {
    List<Integer> suspects = new ArrayList<>();
    for (int i = 0; i < work.results.length; i++) {
      if (work.sniffed[i] && work.results[i] != null
          && work.results[i].status() == FileResult.Status.CLEAN) {
        suspects.add(i);
      }
    }
    if (suspects.isEmpty()) {
      return;
    }
    AtomicInteger next = new AtomicInteger();
    List<Future<Void>> futures = new ArrayList<>();
    for (int t = 0; t < Math.min(threads, suspects.size()); t++) {
      futures.add(pool.submit(() -> {
        int k;
        while (!work.abort.get() && (k = next.getAndIncrement()) < suspects.size()) {
          int index = suspects.get(k);
          FileResult members = MemberSizeCheck.check(work.all.get(index), maxFileSize);
          if (members != null) {
            work.results[index] = members;
          }
        }
        return null;
      }));
    }
    awaitAll(futures, work.abort);
  }

  private FileResult precheck(ScanItem item) {
    if (item.size() > CLAMD_FILE_CEILING) {
      return FileResult.notScanned(
          item.path(),
          "larger than 2 GiB (" + item.size() + " bytes): clamd cannot scan files that large");
    }
    if (item.size() > maxFileSize) {
      return FileResult.notScanned(
          item.path(),
          "larger than clamd's MaxFileSize (" + item.size() + " > " + maxFileSize
              + " bytes, as told to NEGuard): raise MaxFileSize in clamd.conf and in the engine's"
              + " maxFileSize option, and scan again");
    }
    if (item.size() > streamMaxLength) {
      return FileResult.notScanned(
          item.path(),
          "larger than clamd's StreamMaxLength (" + item.size() + " > " + streamMaxLength
              + " bytes, as told to NEGuard): raise StreamMaxLength in clamd.conf and in the"
              + " engine's streamMaxLength option, and scan again");
    }
    return null;
  }

  /**
   * clamd's default {@code AlertEncrypted no} answers OK for encrypted archives: a ZIP whose one
   * entry is flagged encrypted must come back as {@code Heuristics.Encrypted.Zip}.
   */
  private void checkAlertEncrypted() throws RefusalException {
    judgeProbe(sendProbe());
  }

  /** Connects and sends the probe; the connection is the caller's to close. */
  private ClamdConnection sendProbe() throws RefusalException {
    ClamdConnection c = null;
    try {
      c = connect();
      c.command("INSTREAM");
      ByteBuffer header = ByteBuffer.allocate(4).putInt(0, PROBE.bytes.length);
      c.write(header, ByteBuffer.wrap(PROBE.bytes), ByteBuffer.allocate(4));
      ClamdConnection sent = c;
      c = null;
      return sent;
    } catch (IOException e) {
      throw unavailable("INSTREAM", e);
    } finally {
      if (c != null) {
        c.close();
      }
    }
  }

  /** Reads clamd's answer to the probe {@code c} carries, and closes it. */
  private void judgeProbe(ClamdConnection c) throws RefusalException {
    String reply;
    try (c) {
      reply = c.readReply();
    } catch (IOException e) {
      throw unavailable("INSTREAM", e);
    }
    if (reply.equals("stream: OK")) {
      throw new RefusalException(
          ReasonCode.ENGINE_ERROR,
          "clamd at " + endpoint + " reports an encrypted ZIP as clean: it runs with"
              + " AlertEncrypted no and would pass encrypted content unscanned; set"
              + " 'AlertEncrypted yes' and 'AlertExceedsMax yes' in clamd.conf"
              + " (docs/SCANNING-CLAMD.md)");
    }
    FileResult r = ClamdReplies.parseScan("(encryption probe)", reply);
    if (r.status() != FileResult.Status.NOT_SCANNED
        || !r.detail().contains(ClamdReplies.ENCRYPTED_PREFIX)) {
      throw new RefusalException(
          ReasonCode.ENGINE_ERROR,
          "clamd at " + endpoint + " answered '" + ClamdConnection.printable(reply)
              + "' for an encrypted ZIP, not Heuristics.Encrypted.Zip: check its configuration"
              + " (docs/SCANNING-CLAMD.md)");
    }
  }

  private ClamdConnection connect() throws IOException {
    return ClamdConnection.open(endpoint, connectTimeout, readTimeout);
  }

  private RefusalException unavailable(String command, IOException e) {
    String why;
    if (e instanceof ConnectException || e instanceof NoSuchFileException) {
      why = "cannot connect (" + e.getMessage() + "): is clamd running and listening there?";
    } else if (e instanceof SocketTimeoutException) {
      why = e.getMessage() + " (" + command + "); clamd is stuck or overloaded";
    } else if (e instanceof java.net.ProtocolException) {
      return new RefusalException(
          ReasonCode.ENGINE_ERROR,
          "clamd at " + endpoint + " answered " + command + " with garbage: " + e.getMessage(),
          e);
    } else {
      why = e.getMessage() + " (" + command + "); did clamd stop or crash? see its log";
    }
    return new RefusalException(
        ReasonCode.ENGINE_UNAVAILABLE, "clamd at " + endpoint + ": " + why, e);
  }

  private static RefusalException asRefusal(Throwable t) {
    if (t instanceof RefusalException r) {
      return r;
    }
    return new RefusalException(
        ReasonCode.INTERNAL, "clamd scan failed: " + t, t);
  }

  /** What every connection of one scan shares: the files, their results, the queue. */
  private static final class Work {
    final List<ScanItem> all;
    final List<Integer> toSend;
    final FileResult[] results;
    /** Whether a file's bytes held an archive header ({@link MemberSizeCheck.Sniffer}). */
    final boolean[] sniffed;
    final AtomicInteger next = new AtomicInteger();
    /** Files sent in a session that clamd ended before answering them: sent again. */
    final Queue<Integer> retry = new ConcurrentLinkedQueue<>();
    final AtomicBoolean abort = new AtomicBoolean();
    final AtomicLong done;
    final long total;
    final ProgressListener progress;

    Work(List<ScanItem> all, List<Integer> toSend, FileResult[] results, AtomicLong done,
        long total, ProgressListener progress) {
      this.all = all;
      this.toSend = toSend;
      this.results = results;
      this.sniffed = new boolean[all.size()];
      this.done = done;
      this.total = total;
      this.progress = progress;
    }

    /** The next file to send, or null when none is left. */
    Integer take() {
      Integer again = retry.poll();
      if (again != null) {
        return again;
      }
      int k = next.getAndIncrement();
      return k < toSend.size() ? toSend.get(k) : null;
    }
  }

  /**
   * The files and bytes a session has sent and clamd has not answered yet. clamd writes every
   * stream to a temporary file before a thread scans it: the window keeps enough queued to keep
   * its threads busy (as {@code clamdscan -m} does), without filling its queue (MaxQueue) or its
   * disk. One file is always let through, however large.
   */
  private static final class Window {
    private final int maxFiles;
    private final long maxBytes;
    private int files;
    private long bytes;
    private boolean closed;

    Window(int maxFiles, long maxBytes) {
      this.maxFiles = maxFiles;
      this.maxBytes = maxBytes;
    }

    /** Waits for room for a file of {@code size} bytes; false when the session is over. */
    synchronized boolean acquire(long size, AtomicBoolean abort) throws InterruptedIOException {
      while (!closed && !abort.get() && files > 0
          && (files >= maxFiles || bytes + size > maxBytes)) {
        try {
          wait(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while waiting for clamd's replies");
        }
      }
      if (closed || abort.get()) {
        return false;
      }
      files++;
      bytes += size;
      return true;
    }

    synchronized void release(long size) {
      files--;
      bytes -= size;
      notifyAll();
    }

    synchronized void close() {
      closed = true;
      notifyAll();
    }
  }

  /**
   * One {@code IDSESSION}'s replies, read on their own thread while the feeder sends, as clamd
   * requires of a client that pipelines (clamd(8): a client that does not read its replies while
   * it sends deadlocks, and clamd closes the session). Each reply names its request's id; the
   * id maps to exactly one file, once: a reply for an id not waiting, a second reply for an id,
   * or anything not understood stops the scan.
   */
  private final class Session {
    final ClamdConnection connection;
    final Work work;
    final Window window = new Window(pipeline, PIPELINE_BYTES);
    /** Request id to file index, for the files sent and not answered yet. */
    final Map<Integer, Integer> pending = new ConcurrentHashMap<>();
    private int lastId;
    private volatile int pingId = -1;
    private volatile boolean readerDone;
    /** clamd refused a stream for its length and then (as it does) ended the session. */
    private volatile boolean endedBySizeLimit;

    Session(ClamdConnection connection, Work work) {
      this.connection = connection;
      this.work = work;
    }

    /** Records a file about to be sent; returns its request id. */
    int register(int index) {
      int id = ++lastId;
      pending.put(id, index);
      return id;
    }

    /** Sent after the last file: its PONG tells the reader that no more replies are owed. */
    void ping() throws IOException {
      pingId = ++lastId;
      connection.command("PING");
    }

    boolean stopped() {
      return readerDone || work.abort.get();
    }

    /**
     * Reads replies until every file sent is answered and the PING is, or clamd ends it. A
     * refusal closes the connection, so that the feeder stops at once.
     */
    void read() throws RefusalException {
      try {
        readReplies();
      } catch (RefusalException | RuntimeException e) {
        connection.close();
        throw e;
      }
    }

    private void readReplies() throws RefusalException {
      boolean sizeLimited = false;
      boolean pong = false;
      try {
        while (!(pong && pending.isEmpty())) {
          String reply;
          try {
            reply = connection.readReply();
          } catch (IOException e) {
            if (sizeLimited && !(e instanceof java.net.ProtocolException)) {
              endedBySizeLimit = true; // what it had not answered is sent again
              return;
            }
            throw unavailable("INSTREAM of '" + oldestPending() + "'", e);
          }
          int colon = reply.indexOf(": ");
          int id = colon > 0 ? requestId(reply.substring(0, colon)) : -1;
          String text = colon > 0 ? reply.substring(colon + 2) : reply;
          if (id > 0 && id == pingId) {
            if (!text.equals("PONG")) {
              throw new RefusalException(ReasonCode.ENGINE_ERROR,
                  "clamd at " + endpoint + " answered '" + ClamdConnection.printable(reply)
                      + "' to PING, not PONG; is this a clamd?");
            }
            pong = true;
            continue;
          }
          Integer index = id > 0 ? pending.get(id) : null;
          if (index == null) {
            throw new RefusalException(ReasonCode.ENGINE_ERROR,
                "clamd at " + endpoint + " answered '" + ClamdConnection.printable(reply)
                    + "' while '" + oldestPending() + "' waited for its reply: not a reply to"
                    + " a request of its session; is this a clamd?");
          }
          ScanItem item = work.all.get(index);
          FileResult result = ClamdReplies.parseScan(item.path(), text); // or ENGINE_ERROR
          work.results[index] = result;
          pending.remove(id);
          window.release(item.size());
          if (text.equals(ClamdReplies.SIZE_LIMIT)) {
            sizeLimited = true;
          }
        }
      } finally {
        readerDone = true;
        window.close();
      }
    }

    private String oldestPending() {
      return pending.entrySet().stream()
          .min(Map.Entry.comparingByKey())
          .map(e -> work.all.get(e.getValue()).path())
          .orElse("(no file)");
    }

    private int requestId(String digits) {
      if (digits.isEmpty() || digits.length() > 9) {
        return -1;
      }
      for (int i = 0; i < digits.length(); i++) {
        if (digits.charAt(i) < '0' || digits.charAt(i) > '9') {
          return -1;
        }
      }
      return Integer.parseInt(digits);
    }
  }

  /**
   * One connection's writer: {@code IDSESSION}s that carry files until none are left. Files go
   * one after another without waiting for their replies (a {@link Session} reads them), up to
   * the session's {@link Window}.
   */
  private final class Feeder {
    private final Work work;
    private final ExecutorService pool;
    private final byte[] chunk = new byte[chunkSize];
    private final ByteBuffer header = ByteBuffer.allocate(4);
    private final MemberSizeCheck.Sniffer sniffer = new MemberSizeCheck.Sniffer();

    Feeder(Work work, ExecutorService pool) {
      this.work = work;
      this.pool = pool;
    }

    void run() throws RefusalException {
      Integer first;
      while (!work.abort.get() && (first = work.take()) != null) {
        session(first);
      }
    }

    private void session(int first) throws RefusalException {
      ClamdConnection connection;
      try {
        connection = connect();
      } catch (IOException e) {
        throw unavailable("IDSESSION", e);
      }
      Session s = new Session(connection, work);
      RefusalException failure = null;
      IOException sendFailure = null;
      String failedPath = null;
      Future<Void> reading = null;
      try {
        // The first file is registered before the session starts, so that every reply the
        // reader can see has its file (a peer that answers before a file is sent is refused
        // naming that file).
        Integer k = first;
        boolean registered = s.window.acquire(work.all.get(first).size(), work.abort);
        if (!registered) {
          work.retry.add(first);
          k = null;
        } else {
          s.register(first);
        }
        try {
          connection.command("IDSESSION");
        } catch (IOException e) {
          throw unavailable("IDSESSION", e);
        }
        reading = pool.submit(() -> {
          s.read();
          return null;
        });
        while (k != null) {
          ScanItem item = work.all.get(k);
          if (!registered) {
            if (!s.window.acquire(item.size(), work.abort)) {
              work.retry.add(k); // never sent: the next session takes it
              break;
            }
            s.register(k);
          }
          registered = false;
          try {
            stream(s, item);
          } catch (SocketTimeoutException e) {
            throw unavailable("INSTREAM of '" + item.path() + "'", e);
          } catch (InterruptedIOException e) {
            if (!s.stopped()) { // interrupted: nothing will finish this file's stream
              throw new RefusalException(
                  ReasonCode.INTERNAL, "clamd scan stopped: " + e.getMessage(), e);
            }
            break; // the reader ended, or another connection failed: see below
          } catch (IOException e) {
            // clamd closes the session at StreamMaxLength after saying so: the reader tells.
            sendFailure = e;
            failedPath = item.path();
            break;
          }
          work.sniffed[k] = sniffer.found();
          k = work.take();
        }
        if (sendFailure == null && !s.stopped()) {
          try {
            s.ping();
          } catch (IOException e) {
            sendFailure = e;
            failedPath = "(PING)";
          }
        }
      } catch (RefusalException e) {
        failure = e;
      } catch (InterruptedIOException e) {
        failure = new RefusalException(
            ReasonCode.INTERNAL, "clamd scan stopped: " + e.getMessage(), e);
      } catch (RuntimeException e) {
        failure = asRefusal(e); // still close the connection and wait for the reader
      }
      boolean stoppedByOthers = failure == null && work.abort.get();
      if (failure != null || stoppedByOthers) {
        work.abort.set(true);
        connection.close(); // unblocks the reader
      }
      try {
        if (reading != null) {
          awaitReader(reading);
        }
      } catch (RefusalException e) {
        if (failure == null && !stoppedByOthers) {
          failure = e;
        }
      } finally {
        if (failure != null || stoppedByOthers || s.endedBySizeLimit || sendFailure != null) {
          connection.close();
        }
      }
      if (failure != null) {
        throw failure;
      }
      if (stoppedByOthers) {
        return; // another connection's refusal is the answer
      }
      if (s.endedBySizeLimit) {
        work.retry.addAll(s.pending.values());
        return;
      }
      if (sendFailure != null) {
        throw unavailable("INSTREAM of '" + failedPath + "'", sendFailure);
      }
      try {
        connection.command("END");
      } catch (IOException e) {
        // Every reply is in: a session that fails to end cost nothing.
      } finally {
        connection.close();
      }
    }

    private void awaitReader(Future<Void> reading) throws RefusalException {
      boolean interrupted = false;
      try {
        while (true) {
          try {
            reading.get();
            return;
          } catch (InterruptedException e) {
            interrupted = true;
            work.abort.set(true);
          } catch (ExecutionException e) {
            throw asRefusal(e.getCause());
          }
        }
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }

    /**
     * Sends {@code zINSTREAM}, the item's chunks and the zero-length end. The command rides with
     * the first chunk and the end with the last, so that a small file is one write: with
     * separate small writes, Nagle's algorithm and delayed ACKs cost up to 40 ms a file on TCP.
     * Every chunk also passes the {@link MemberSizeCheck.Sniffer} on its way, so that archives
     * anywhere in the file are noticed without another pass over its bytes.
     *
     * @throws InterruptedIOException when the session's reader ended or another connection
     *     failed: the file was not sent whole
     */
    private void stream(Session s, ScanItem item) throws IOException, RefusalException {
      ByteBuffer command = ByteBuffer.wrap(INSTREAM);
      ByteBuffer end = ByteBuffer.allocate(4);
      long left = item.size();
      sniffer.reset();
      try (InputStream in = item.openForScan()) {
        if (left == 0) {
          checkEnd(item, in);
          s.connection.write(command, end);
          return;
        }
        while (left > 0) {
          if (s.stopped()) {
            throw new InterruptedIOException("the session ended");
          }
          int want = (int) Math.min(chunk.length, left);
          int n = in.readNBytes(chunk, 0, want);
          if (n < want) {
            throw item.changed(item.size() - left + Math.max(n, 0));
          }
          sniffer.update(chunk, 0, n);
          left -= n;
          if (left == 0) {
            checkEnd(item, in);
            end.clear(); // the zero-length chunk goes with the last one
          } else {
            end.limit(0);
          }
          header.putInt(0, n).clear();
          s.connection.write(command, header, ByteBuffer.wrap(chunk, 0, n), end);
          work.progress.progress(work.done.addAndGet(n), work.total);
        }
        sniffer.finish();
      } catch (ScanItem.ReadFailure e) {
        throw e.refusal();
      }
    }

    private void checkEnd(ScanItem item, InputStream in) throws IOException, RefusalException {
      if (in.read() >= 0) {
        throw item.changed(item.size() + 1);
      }
    }
  }
  /** A one-entry ZIP with the encryption flag set: clamd must call it encrypted. */
  private record ZipProbe(byte[] bytes) {
    static ZipProbe make() {
      try {
        byte[] content = "NEGuard AlertEncrypted probe\n".getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
          ZipEntry e = new ZipEntry("probe.txt");
          e.setMethod(ZipEntry.STORED);
          e.setSize(content.length);
          CRC32 crc = new CRC32();
          crc.update(content);
          e.setCrc(crc.getValue());
          zip.putNextEntry(e);
          zip.write(content);
          zip.closeEntry();
        }
        byte[] zip = out.toByteArray();
        // General-purpose flag bit 0 (encrypted) in the local and the central header.
        zip[6] |= 1;
        int central = indexOf(zip, new byte[] {'P', 'K', 1, 2});
        zip[central + 8] |= 1;
        return new ZipProbe(zip);
      } catch (IOException e) {
        throw new IllegalStateException("cannot build the encryption probe", e);
      }
    }

    private static int indexOf(byte[] data, byte[] what) {
      outer:
      for (int i = 0; i + what.length <= data.length; i++) {
        for (int j = 0; j < what.length; j++) {
          if (data[i + j] != what[j]) {
            continue outer;
          }
        }
        return i;
      }
      throw new IllegalStateException("no central header in the probe");
    }
  }

  @Override
  public String toString() {
    return "clamd:" + endpoint;
  }

  static Duration duration(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    long factor;
    String number;
    if (t.endsWith("ms")) {
      factor = 1;
      number = t.substring(0, t.length() - 2);
    } else if (t.endsWith("s")) {
      factor = 1000;
      number = t.substring(0, t.length() - 1);
    } else if (t.endsWith("m")) {
      factor = 60_000;
      number = t.substring(0, t.length() - 1);
    } else {
      throw new IllegalArgumentException(
          "a duration needs a unit (ms, s or m): '" + text + "'");
    }
    try {
      return Duration.ofMillis(Math.multiplyExact(Long.parseLong(number), factor));
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("not a duration: '" + text + "'");
    }
  }

  static long size(String text) {
    String t = text.trim().toUpperCase(Locale.ROOT);
    int shift = 0;
    if (t.endsWith("K")) {
      shift = 10;
    } else if (t.endsWith("M")) {
      shift = 20;
    } else if (t.endsWith("G")) {
      shift = 30;
    }
    String number = shift == 0 ? t : t.substring(0, t.length() - 1);
    try {
      long n = Long.parseLong(number);
      if (n < 0 || n > (Long.MAX_VALUE >> shift)) {
        throw new IllegalArgumentException("size out of range: '" + text + "'");
      }
      return n << shift;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "not a size (bytes, or with K, M or G): '" + text + "'");
    }
  }

  /**
   * Settings of a {@link ClamdEngine}. Defaults: connect timeout 5 s; read timeout 180 s (longer
   * than clamd's default MaxScanTime of 120 s, so a slow scan is not mistaken for a dead clamd);
   * 4 connections with one file in flight each; 64 KiB chunks; clamd's limits unknown; database
   * dates in UTC.
   */
  public static final class Builder {
    private final ClamdEndpoint endpoint;
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration readTimeout = Duration.ofSeconds(180);
    // Measured (docs/BENCHMARKS.md, issue 17): on a loaded 2-core machine, files queued deeper
    // in clamd (2 x 8, 4 x 4) cost clamd a third more CPU and the scan 1.5x the wall time of
    // 4 connections with one file each in flight, which are level with clamdscan -m.
    private int connections = 4;
    private int pipeline = 1;
    private int chunkSize = 64 << 10;
    private long maxFileSize = CLAMD_DEFAULT_LIMIT;
    private long streamMaxLength = CLAMD_DEFAULT_LIMIT;
    private ZoneId databaseZone = ZoneOffset.UTC;

    private Builder(ClamdEndpoint endpoint) {
      this.endpoint = endpoint;
    }

    /** How long a connection may take to come up. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive("connectTimeout", timeout);
      return this;
    }

    /**
     * How long clamd may stay silent (no reply, no byte taken) before it is given up: must
     * exceed clamd's {@code MaxScanTime}.
     */
    public Builder readTimeout(Duration timeout) {
      this.readTimeout = positive("readTimeout", timeout);
      return this;
    }

    /** Parallel connections, 1..64; clamd scans each on its own thread. */
    public Builder connections(int n) {
      if (n < 1 || n > 64) {
        throw new IllegalArgumentException("connections outside 1..64: " + n);
      }
      this.connections = n;
      return this;
    }

    /**
     * Files a connection may have sent and not had answered, 1..64 (and at most {@link
     * #PIPELINE_BYTES} of them, besides one file): clamd scans them on its threads while the next
     * ones arrive. {@code connections} times this should not exceed clamd's {@code MaxQueue}
     * (default 100).
     */
    public Builder pipeline(int n) {
      if (n < 1 || n > 64) {
        throw new IllegalArgumentException("pipeline outside 1..64: " + n);
      }
      this.pipeline = n;
      return this;
    }

    /** INSTREAM chunk size, 1 KiB..1 MiB. */
    public Builder chunkSize(int bytes) {
      if (bytes < 1024 || bytes > (1 << 20)) {
        throw new IllegalArgumentException("chunkSize outside 1 KiB..1 MiB: " + bytes);
      }
      this.chunkSize = bytes;
      return this;
    }

    /**
     * clamd's {@code MaxFileSize} (default: clamd's default, 100 MiB): larger files, and files
     * holding a compressed member that unpacks larger, are not scanned.
     */
    public Builder maxFileSize(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxFileSize < 1: " + bytes);
      }
      this.maxFileSize = bytes;
      return this;
    }

    /**
     * clamd's {@code StreamMaxLength} (default: clamd's default, 100 MiB): larger files are not
     * sent.
     */
    public Builder streamMaxLength(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("streamMaxLength < 1: " + bytes);
      }
      this.streamMaxLength = bytes;
      return this;
    }

    /** The time zone of clamd's host, in which VERSION prints the database date. */
    public Builder databaseZone(ZoneId zone) {
      this.databaseZone = Objects.requireNonNull(zone, "zone");
      return this;
    }

    public ClamdEngine build() {
      return new ClamdEngine(this);
    }

    private static Duration positive(String name, Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " <= 0: " + d);
      }
      return d;
    }
  }

}
