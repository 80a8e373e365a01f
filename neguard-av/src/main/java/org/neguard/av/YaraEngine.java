package org.neguard.av;

import org.neguard.io.FileTrees;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestInputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.neguard.measure.Sha256;
import org.neguard.progress.ProgressListener;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.neguard.scanreport.EngineInfo;
import org.neguard.scanreport.FileResult;

/**
 * YARA rules through the {@code yara} program (Debian: yara 4.2). Spec: {@code yara:RULES}, where
 * RULES is a rules source file ({@code .yar}) or a file compiled by {@code yarac} (recognised by
 * its {@code YARA} magic bytes).
 *
 * <p>How a scan works: every payload file is copied to a private temporary directory under a
 * name NEGuard chooses ({@code f0}, {@code f1}...), every archive in it is unpacked there by
 * {@link ArchiveUnpacker} (YARA does not open archives), and {@code yara --scan-list} runs over
 * all of them from inside that directory, so that the paths yara prints are NEGuard's own short
 * names, never a package path with spaces or newlines to misparse. yara exits 0 whether or not a
 * rule matched: the verdict comes from its output, one {@code namespace:rule name} line per
 * match, each followed by {@code 0xOFFSET:$string: data} lines. A match in a member is reported
 * on its payload file with the member's path as detail; a member that cannot be unpacked, or a
 * file yara reports an error for ({@code error scanning f3: ...}), makes the payload file
 * {@code NOT_SCANNED}. A run that overruns {@link Builder#timeout(Duration)} is killed and the
 * whole scan fails: yara's own {@code --timeout} is not used, because with a scan list it is a
 * single deadline after which yara silently skips the files still queued.
 *
 * <p>The signature database version in {@link #describe()} is the SHA-256 of the rules file, and
 * its date is the file's modification time: YARA rules carry no version of their own.
 *
 * <p>Immutable and thread-safe; every call starts its own {@code yara} processes and temporary
 * directory, and deletes that directory before returning or throwing, a timeout included.
 */
public final class YaraEngine implements ScanEngine {
  private static final Pattern MATCH =
      Pattern.compile("([A-Za-z0-9_]+):([A-Za-z_][A-Za-z0-9_]*) (f[0-9]+(?:\\.d/m[0-9]+)?)");
  private static final Pattern STRING = Pattern.compile("0x([0-9a-f]+):(\\$[A-Za-z0-9_]*): .*");
  private static final Pattern ERROR =
      Pattern.compile("error scanning (f[0-9]+(?:\\.d/m[0-9]+)?): (.*)");
  private static final byte[] COMPILED_MAGIC = "YARA".getBytes(StandardCharsets.US_ASCII);
  private static final int MAX_OUTPUT = 64 << 20;
  private static final int DETAIL_LIMIT = 2000;

  private final Path rules;
  private final Path program;
  private final Path tempRoot;
  private final Duration timeout;
  private final int threads;
  private final long batchBytes;
  private final ArchiveUnpacker unpacker;

  private YaraEngine(Builder b) {
    this.rules = b.rules;
    this.program = b.program;
    this.tempRoot = b.tempRoot;
    this.timeout = b.timeout;
    this.threads = b.threads;
    this.batchBytes = b.batchBytes;
    this.unpacker = ArchiveUnpacker.of(b.limits);
  }

  /** A builder for rules at {@code rules}; nothing is checked until the engine is used. */
  public static Builder builder(Path rules) {
    return new Builder(rules);
  }

  /**
   * The engine for a spec {@code yara:/path/to/rules.yar}, with the default settings.
   *
   * @throws IllegalArgumentException when the spec is not {@code yara:} followed by a path
   */
  public static YaraEngine fromSpec(String spec) {
    Objects.requireNonNull(spec, "spec");
    if (!spec.startsWith("yara:") || spec.length() == "yara:".length()) {
      throw new IllegalArgumentException("not a YARA engine spec (yara:/path/to/rules.yar): "
          + spec);
    }
    return builder(Path.of(spec.substring("yara:".length()))).build();
  }

  public Path rules() {
    return rules;
  }

  /**
   * False: the rules file's hash must be taken before yara reads it for the scan, and is taken
   * again after it, so that a rules file replaced mid-scan is refused, not named.
   */
  @Override
  public boolean describedBesideScan() {
    return false;
  }

  @Override
  public EngineInfo describe() throws RefusalException {
    Path yara = yaraProgram();
    String version;
    Path tmp = createTempDir();
    try {
      Result r = run(tmp, List.of(yara.toString(), "--version"), Duration.ofSeconds(30));
      version = r.stdout.strip();
      if (r.exit != 0 || version.isEmpty() || version.contains("\n")) {
        throw new RefusalException(ReasonCode.ENGINE_ERROR,
            "'" + yara + " --version' answered something NEGuard cannot read (exit " + r.exit
                + "): " + abbreviate(r.stdout + r.stderr));
      }
      checkRules(yara, tmp);
      String sha256 = Sha256.hex(rules);
      Instant modified = Files.getLastModifiedTime(rules).toInstant();
      return new EngineInfo("yara", "YARA", version, sha256, modified, rules.toString());
    } catch (IOException e) {
      throw new RefusalException(ReasonCode.ENGINE_ERROR,
          "cannot read the YARA rules file " + rules + ": " + e.getMessage(), e);
    } finally {
      deleteQuietly(tmp);
    }
  }

  @Override
  public List<FileResult> scan(List<ScanItem> items, ProgressListener progress)
      throws RefusalException {
    Objects.requireNonNull(items, "items");
    Objects.requireNonNull(progress, "progress");
    Path yara = yaraProgram();
    long total = items.stream().mapToLong(ScanItem::size).sum();
    List<Outcome> outcomes = new ArrayList<>(items.size());
    items.forEach(i -> outcomes.add(new Outcome()));
    Path tmp = createTempDir();
    try {
      checkRules(yara, tmp);
      long done = 0;
      int index = 0;
      int batchNumber = 0;
      while (index < items.size()) {
        Path batch = tmp.resolve("b" + batchNumber++);
        Files.createDirectory(batch);
        Map<String, Target> targets = new LinkedHashMap<>();
        long batchSize = 0;
        // A batch keeps the temporary copies of a large package within about batchBytes.
        while (index < items.size() && (targets.isEmpty() || batchSize < batchBytes)) {
          ScanItem item = items.get(index);
          batchSize += stage(item, index, batch, targets, outcomes.get(index));
          done += item.size();
          progress.progress(done, total);
          index++;
        }
        runYara(yara, batch, targets, outcomes);
        FileTrees.deleteTree(batch);
      }
    } catch (ScanItem.ReadFailure e) {
      throw e.refusal();
    } catch (IOException e) {
      throw new RefusalException(ReasonCode.ENGINE_ERROR,
          "YARA scan failed: cannot copy or unpack the payload files into " + tmp + ": "
              + e.getMessage() + " (check the space and permissions there)", e);
    } finally {
      deleteQuietly(tmp);
    }
    List<FileResult> results = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      results.add(outcomes.get(i).result(items.get(i).path()));
    }
    return List.copyOf(results);
  }

  /** Copies one item into the batch and unpacks it; returns the bytes written. */
  private long stage(
      ScanItem item, int index, Path batch, Map<String, Target> targets, Outcome outcome)
      throws IOException, RefusalException {
    String name = "f" + index;
    Path copy = batch.resolve(name);
    long copied;
    try (InputStream in = item.openForScan();
        OutputStream out = Files.newOutputStream(copy, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
      copied = in.transferTo(out);
    }
    if (copied != item.size()) {
      throw item.changed(copied);
    }
    targets.put(name, new Target(index, null));
    Path members = batch.resolve(name + ".d");
    Files.createDirectory(members);
    ArchiveUnpacker.Unpacked unpacked = unpacker.unpack(copy, item.path(), members);
    long written = copied;
    for (ArchiveUnpacker.Member m : unpacked.members()) {
      String rel = name + ".d/" + m.file().getFileName();
      targets.put(rel, new Target(index, m.path()));
      written += Files.size(m.file());
    }
    outcome.problems.addAll(unpacked.problems());
    return written;
  }

  private void runYara(Path yara, Path batch, Map<String, Target> targets, List<Outcome> outcomes)
      throws IOException, RefusalException {
    Path list = batch.resolve("scan-list");
    Files.write(list, targets.keySet(), StandardCharsets.US_ASCII);
    // No --timeout: with --scan-list it is one deadline for the whole run, and yara silently
    // drops the files still queued when it passes (exit 0, no message), which would read as
    // clean. The process timeout below kills an overlong run and fails the scan instead.
    List<String> command = new ArrayList<>(List.of(yara.toString(), "--no-warnings",
        "--print-namespace", "--print-strings", "--threads=" + threads));
    if (isCompiled(rules)) {
      command.add("--compiled-rules");
    }
    command.add("--scan-list");
    command.add(rules.toAbsolutePath().toString());
    command.add("scan-list");
    Result r = run(batch, command, timeout);
    if (r.exit != 0) {
      throw new RefusalException(ReasonCode.ENGINE_ERROR,
          "yara failed (exit " + r.exit + "): " + abbreviate(r.stderr.strip()));
    }
    Match last = null;
    for (String line : r.stdout.split("\n", -1)) {
      if (line.isEmpty()) {
        continue;
      }
      Matcher m = MATCH.matcher(line);
      Matcher s = STRING.matcher(line);
      if (m.matches() && targets.containsKey(m.group(3))) {
        Target t = targets.get(m.group(3));
        String rule = m.group(1).equals("default") ? m.group(2) : m.group(1) + ":" + m.group(2);
        last = new Match(rule, t.member, new LinkedHashSet<>());
        outcomes.get(t.item).matches.add(last);
      } else if (s.matches() && last != null) {
        last.strings.add(s.group(2) + "@0x" + s.group(1));
      } else {
        // Fail closed: a line NEGuard cannot attribute might be a match it would lose.
        throw new RefusalException(ReasonCode.ENGINE_ERROR,
            "yara printed a line NEGuard cannot read: " + abbreviate(line));
      }
    }
    for (String line : r.stderr.split("\n", -1)) {
      Matcher e = ERROR.matcher(line.strip());
      if (e.matches() && targets.containsKey(e.group(1))) {
        Target t = targets.get(e.group(1));
        outcomes.get(t.item).problems.add(
            (t.member == null ? "the file" : t.member) + " could not be scanned by yara: "
                + e.group(2));
      } else if (!line.isBlank()) {
        throw new RefusalException(ReasonCode.ENGINE_ERROR,
            "yara reported an error NEGuard cannot attribute to a file: " + abbreviate(line));
      }
    }
  }

  /** Loads the rules once against an empty file: a compile error is yara's message. */
  private void checkRules(Path yara, Path tmp) throws RefusalException {
    if (!Files.isRegularFile(rules)) {
      throw new RefusalException(ReasonCode.ENGINE_ERROR,
          "YARA rules file not found: " + rules + " (give yara:/path/to/rules.yar, a rules"
              + " source or a file compiled by yarac)");
    }
    try {
      Path empty = tmp.resolve("empty");
      Files.deleteIfExists(empty);
      Files.createFile(empty);
      List<String> command = new ArrayList<>(List.of(yara.toString(), "--no-warnings"));
      if (isCompiled(rules)) {
        command.add("--compiled-rules");
      }
      command.add(rules.toAbsolutePath().toString());
      command.add("empty");
      Result r = run(tmp, command, Duration.ofSeconds(120));
      if (r.exit != 0) {
        throw new RefusalException(ReasonCode.ENGINE_ERROR,
            "yara cannot load the rules in " + rules + ": " + abbreviate(r.stderr.strip())
                + " (fix the rules, or compile them with yarac to see the errors)");
      }
    } catch (AccessDeniedException e) {
      throw new RefusalException(ReasonCode.ENGINE_ERROR,
          "cannot read the YARA rules file " + rules + ": permission denied", e);
    } catch (IOException e) {
      throw new RefusalException(ReasonCode.ENGINE_ERROR,
          "cannot check the YARA rules file " + rules + ": " + e.getMessage(), e);
    }
  }

  private static boolean isCompiled(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] head = in.readNBytes(COMPILED_MAGIC.length);
      return java.util.Arrays.equals(head, COMPILED_MAGIC);
    }
  }

  private Path yaraProgram() throws RefusalException {
    if (program != null) {
      if (!Files.isExecutable(program)) {
        throw new RefusalException(ReasonCode.ENGINE_UNAVAILABLE,
            "the yara program " + program + " is missing or not executable (Debian: apt-get"
                + " install yara)");
      }
      return program;
    }
    String path = System.getenv().getOrDefault("PATH", "");
    for (String d : (path + ":/usr/bin:/usr/local/bin").split(":")) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, "yara"))) {
        return Path.of(d, "yara");
      }
    }
    throw new RefusalException(ReasonCode.ENGINE_UNAVAILABLE,
        "the yara program is not installed (Debian: apt-get install yara)");
  }

  private Path createTempDir() throws RefusalException {
    try {
      return tempRoot == null
          ? Files.createTempDirectory("neguard-yara-",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")))
          : Files.createTempDirectory(tempRoot, "neguard-yara-",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new RefusalException(ReasonCode.ENGINE_ERROR,
          "cannot create a temporary directory for the YARA scan: " + e.getMessage(), e);
    }
  }

  /** Runs a command in {@code dir}, output to files there; kills it when it overruns. */
  private static Result run(Path dir, List<String> command, Duration limit)
      throws RefusalException {
    Path out = dir.resolve("yara.out");
    Path err = dir.resolve("yara.err");
    Process p = null;
    try {
      p = new ProcessBuilder(command)
          .directory(dir.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
          .redirectOutput(out.toFile())
          .redirectError(err.toFile())
          .start();
      if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new RefusalException(ReasonCode.ENGINE_ERROR,
            "yara did not finish within " + limit.toSeconds() + " s and was killed (raise the"
                + " YARA timeout, or check the rules for slow patterns)");
      }
      if (Files.size(out) > MAX_OUTPUT || Files.size(err) > MAX_OUTPUT) {
        throw new RefusalException(ReasonCode.ENGINE_ERROR,
            "yara printed more than " + MAX_OUTPUT + " bytes: rules this noisy cannot be judged");
      }
      return new Result(p.exitValue(), Files.readString(out, StandardCharsets.ISO_8859_1),
          Files.readString(err, StandardCharsets.ISO_8859_1));
    } catch (IOException e) {
      throw new RefusalException(ReasonCode.ENGINE_UNAVAILABLE,
          "cannot run " + command.get(0) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RefusalException(ReasonCode.ENGINE_ERROR, "interrupted while yara ran", e);
    } finally {
      if (p != null && p.isAlive()) {
        p.destroyForcibly();
        try {
          p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      try {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      } catch (IOException ignored) {
        // the whole directory is deleted by the caller
      }
    }
  }

  private static String abbreviate(String s) {
    String oneLine = s.replace("\r", "").replace('\n', ' ').strip();
    return oneLine.length() <= 500 ? oneLine : oneLine.substring(0, 500) + "...";
  }

  private static void deleteQuietly(Path root) {
    try {
      FileTrees.deleteTree(root);
    } catch (IOException e) {
      // Nothing better to do than say so: the scan's result does not depend on it.
      System.err.println("neguard: could not delete the temporary directory " + root + ": "
          + e.getMessage());
    }
  }

  private record Result(int exit, String stdout, String stderr) {}

  /** What a yara-visible file stands for: a payload item, or a member inside it. */
  private record Target(int item, String member) {}

  private record Match(String rule, String member, Set<String> strings) {}

  /** Everything learnt about one payload file across its copy and its members. */
  private static final class Outcome {
    final List<Match> matches = new ArrayList<>();
    final List<String> problems = new ArrayList<>();

    FileResult result(String path) {
      if (!matches.isEmpty()) {
        Set<String> rules = new LinkedHashSet<>();
        List<String> where = new ArrayList<>();
        for (Match m : matches) {
          rules.add(m.rule());
          where.add("rule " + m.rule() + " in "
              + (m.member() == null ? "the file" : "archive member " + m.member())
              + (m.strings().isEmpty() ? "" : " (" + String.join(", ", m.strings()) + ")"));
        }
        if (!problems.isEmpty()) {
          where.add("not scanned: " + String.join("; ", problems));
        }
        return FileResult.infected(path, String.join(", ", rules), limit(String.join("; ", where)));
      }
      if (!problems.isEmpty()) {
        return FileResult.notScanned(path, limit(String.join("; ", problems)));
      }
      return FileResult.clean(path);
    }

    private static String limit(String s) {
      return s.length() <= DETAIL_LIMIT ? s : s.substring(0, DETAIL_LIMIT) + "...";
    }
  }

  /** Settings of a YARA engine. */
  public static final class Builder {
    private final Path rules;
    private Path program;
    private Path tempRoot;
    private Duration timeout = Duration.ofMinutes(30);
    private int threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    private long batchBytes = 1L << 30;
    private ArchiveUnpacker.Limits limits = ArchiveUnpacker.Limits.defaults();

    private Builder(Path rules) {
      this.rules = Objects.requireNonNull(rules, "rules");
    }

    /** The yara program; default: {@code yara} on PATH, then /usr/bin. */
    public Builder program(Path program) {
      this.program = Objects.requireNonNull(program, "program");
      return this;
    }

    /** Where the private temporary directory goes; default: {@code java.io.tmpdir}. */
    public Builder tempRoot(Path dir) {
      this.tempRoot = Objects.requireNonNull(dir, "dir");
      return this;
    }

    /** Longest one yara run (one batch) may take before it is killed; default 30 minutes. */
    public Builder timeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout <= 0: " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    public Builder threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads < 1: " + threads);
      }
      this.threads = threads;
      return this;
    }

    /** About how many bytes of copies and members one yara run covers; default 1 GiB. */
    public Builder batchBytes(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("batchBytes < 1: " + bytes);
      }
      this.batchBytes = bytes;
      return this;
    }

    public Builder limits(ArchiveUnpacker.Limits limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    public YaraEngine build() {
      return new YaraEngine(this);
    }
  }
}
