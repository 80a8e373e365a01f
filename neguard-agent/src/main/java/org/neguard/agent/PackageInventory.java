package org.neguard.agent;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.neguard.api.device.OsPackage;
import org.neguard.api.device.PackageReport;
import org.neguard.api.device.SocketOwner;
import org.neguard.harden.HostRelease;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.io.Deb822Paragraphs;
import org.neguard.verdict.RefusalException;

/**
 * What the NE runs (issue 16, docs/AGENT.md "Installed packages"): the installed OS packages
 * from dpkg's status database (or {@code rpm -qa} where there is no dpkg status but rpm), and the
 * package owning each listening socket's executable (dpkg's {@code info/*.list}; {@code rpm -qf}
 * on rpm NEs).
 *
 * <p>The agent's memory is tight, so it keeps raw strings and no version rules: the server
 * parses and validates them. Everything read is bounded (bytes, packages, list files), and what
 * was read is cached: the package list until the status file's modification time or size
 * changes, each executable's owner until the {@code info} directory's modification time does
 * (dpkg rewrites it on every install or removal). Not thread-safe: the inventory reporter's
 * thread uses it. Public for the server's tests, which send what real agent code reads.
 */
public final class PackageInventory {
  /** Real status files are a few MiB. */
  static final long MAX_STATUS_BYTES = 64L << 20;
  /** The most packages reported; the server refuses more. */
  static final int MAX_PACKAGES = 20_000;
  /** {@code info/*.list} files scanned at most, and bytes read of each. */
  static final int MAX_LIST_FILES = 50_000;
  static final long MAX_LIST_BYTES = 16L << 20;
  /** Bytes of {@code rpm -qa} output read at most, and how long it may take. */
  static final int MAX_RPM_BYTES = 8 << 20;
  static final long RPM_TIMEOUT_SECONDS = 60;

  private final Path status;
  private final Path info;
  private final Path osRelease;
  private final List<Path> rpm;
  private final Path rpmDbPath;
  private final Duration rpmTimeout;

  private String statusKey;
  private List<OsPackage> packages = List.of();
  private String format = PackageReport.NONE;
  private final List<String> packageNotes = new ArrayList<>();
  private long infoModified = Long.MIN_VALUE;
  /** Executable to owning package ("" for none), valid while the info directory is unchanged. */
  private final Map<String, String> owners = new HashMap<>();
  /** The rpm that listed the packages, and the list's digest the owners were asked under. */
  private Path rpmUsed;
  private String rpmOwnersKey;

  public PackageInventory(AgentConfig.Packages config) {
    this(config, List.of(Path.of("/usr/bin/rpm"), Path.of("/bin/rpm")));
  }

  PackageInventory(AgentConfig.Packages config, List<Path> rpm) {
    this(config, rpm, Duration.ofSeconds(RPM_TIMEOUT_SECONDS));
  }

  /** {@code rpmTimeout}: how long one rpm query may take before it is killed. */
  PackageInventory(AgentConfig.Packages config, List<Path> rpm, Duration rpmTimeout) {
    this.status = config.dpkgAdminDir().resolve("status");
    this.info = config.dpkgAdminDir().resolve("info");
    this.osRelease = config.osRelease();
    this.rpm = List.copyOf(rpm);
    this.rpmDbPath = config.rpmDbPath();
    this.rpmTimeout = rpmTimeout;
  }

  /** The report of the installed packages and of {@code ports}' owners, the list included. */
  public PackageReport take(List<ObservedPort> ports) {
    List<String> notes = new ArrayList<>();
    readPackages();
    notes.addAll(packageNotes);
    Set<String> replaced = new HashSet<>();
    for (ObservedPort p : ports) {
      String exe = p.process() == null ? null : p.process().executable();
      if (exe != null && exe.endsWith(DELETED) && replaced.add(exe)) {
        // the binary on disk is another (an update replaced it): its owner says nothing of
        // what runs, and the path without the suffix would name the new one
        notes.add(exe + " (process " + p.process().name() + ") runs an executable that was"
            + " replaced or removed since it started: restart needed, so that the installed"
            + " package's binary runs; its owning package is not looked up");
      }
    }
    List<SocketOwner> sockets = new ArrayList<>();
    if (PackageReport.DPKG.equals(format)) {
      refreshOwners(ports, notes);
    } else if (PackageReport.RPM.equals(format)) {
      refreshRpmOwners(ports, notes);
    }
    for (ObservedPort p : ports) {
      if (p.state() != PortState.OPEN) {
        continue;
      }
      String exe = p.process() == null ? null : p.process().executable();
      String owner = exe == null ? null : owners.get(exe);
      sockets.add(new SocketOwner(p.transport().name().toLowerCase(Locale.ROOT), p.port(),
          p.address(), p.process() == null ? null : p.process().name(), exe,
          owner == null || owner.isEmpty() ? null : owner));
    }
    return new PackageReport(format, release(notes), PackageReport.digestOf(packages), packages,
        sockets, notes);
  }

  /** Rereads the package list when the status file changed (or rpm's, every time). */
  private void readPackages() {
    if (Files.isRegularFile(status)) {
      try {
        BasicFileAttributes a = Files.readAttributes(status, BasicFileAttributes.class);
        String key = a.lastModifiedTime().toMillis() + "/" + a.size();
        if (key.equals(statusKey)) {
          return;
        }
        packageNotes.clear();
        packages = readStatus(status);
        if (packages.isEmpty()) {
          // as rpm's empty list: dpkg itself is an installed package on every dpkg system
          throw new IllegalStateException("it lists no installed package, so it is empty or"
              + " not the host's; nothing can be assessed from it");
        }
        format = PackageReport.DPKG;
        statusKey = key;
      } catch (IOException | IllegalStateException e) {
        statusKey = null;
        fail("cannot read the dpkg status " + status + ": " + e.getMessage());
      }
      return;
    }
    statusKey = null;
    packageNotes.clear();
    for (Path r : rpm) {
      if (Files.isExecutable(r)) {
        try {
          packages = readRpm(r, rpmDbPath, rpmTimeout);
          format = PackageReport.RPM;
          rpmUsed = r;
        } catch (IOException | IllegalStateException e) {
          fail("cannot list the rpm packages with " + r + ": " + e.getMessage());
        }
        return;
      }
    }
    fail("no package database: no dpkg status at " + status + " and rpm is not installed;"
        + " nothing this NE runs can be assessed");
  }

  private void fail(String note) {
    packages = List.of();
    format = PackageReport.NONE;
    packageNotes.clear();
    packageNotes.add(note);
  }

  /**
   * The installed packages of a dpkg status file, in name and architecture order. Only the
   * five fields are kept; the server checks them (an impossible version refuses the list). The
   * file is read as the CLI's {@code vuln.DpkgStatus} reads it: UTF-8, lines ended by LF, the
   * paragraphs by {@link Deb822Paragraphs}, so a file that is ambiguous (a field twice in a
   * paragraph, a stray continuation line) is no list here either.
   *
   * @throws IllegalStateException the refusal's message, for the report's note
   */
  static List<OsPackage> readStatus(Path file) throws IOException {
    List<OsPackage> out = new ArrayList<>();
    try (InputStream raw = Files.newInputStream(file);
        Reader r = new BufferedReader(new InputStreamReader(bounded(raw, MAX_STATUS_BYTES,
            "the dpkg status"),
            StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)))) {
      Deb822Paragraphs reader = new Deb822Paragraphs();
      StringBuilder line = new StringBuilder();
      for (int c = r.read(); c != -1; c = r.read()) {
        if (c != '\n') {
          line.append((char) c);
          continue;
        }
        add(reader.line(line.toString()), out);
        line.setLength(0);
      }
      add(reader.line(line.toString()), out);
      add(reader.end(), out);
    } catch (CharacterCodingException e) {
      throw new IllegalStateException("the status file is not UTF-8", e);
    } catch (RefusalException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    out.sort(Comparator.comparing(OsPackage::name).thenComparing(OsPackage::arch));
    return List.copyOf(out);
  }

  private static void add(Deb822Paragraphs.Paragraph p, List<OsPackage> out)
      throws RefusalException {
    if (p == null || !Deb822Paragraphs.installed(p)) {
      return;
    }
    Map<String, String> f = p.fields();
    if (out.size() >= MAX_PACKAGES) {
      throw new IllegalStateException("more than " + MAX_PACKAGES + " installed packages");
    }
    String name = f.getOrDefault("package", "");
    String version = f.getOrDefault("version", "");
    Deb822Paragraphs.Source source = Deb822Paragraphs.source(p);
    out.add(new OsPackage(name, version, f.getOrDefault("architecture", ""), source.name(),
        source.version()));
  }

  /** What the agent asks rpm for each installed package, one line each, tab-separated. */
  static final String RPM_QUERY_FORMAT =
      "%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\n";
  /** {@code EPOCHNUM:VERSION-RELEASE}: rpm builds no version or release with a '-' or blank. */
  private static final java.util.regex.Pattern RPM_EVR = java.util.regex.Pattern.compile(
      "[0-9]{1,10}:[\\x21-\\x7e&&[^-:]]+-[\\x21-\\x7e&&[^-]]+");
  /** A source rpm's file name: {@code NAME-VERSION-RELEASE.src.rpm} (or {@code .nosrc.rpm}). */
  private static final java.util.regex.Pattern SOURCE_RPM = java.util.regex.Pattern.compile(
      "([\\x21-\\x7e]+)-([\\x21-\\x7e&&[^-]]+)-([\\x21-\\x7e&&[^-]]+)\\.(?:no)?src\\.rpm");
  /** Printable ASCII without blanks: rpmbuild builds names and versions of no other. */
  private static final java.util.regex.Pattern RPM_FIELD = java.util.regex.Pattern.compile(
      "[\\x21-\\x7e]{1,256}");

  /**
   * The installed packages of the rpm database in {@code dbPath} (null: rpm's default), as
   * {@code rpm -qa} lists them with {@link #RPM_QUERY_FORMAT}, in name and architecture order;
   * at most {@link #MAX_RPM_BYTES} of output (rpm is killed past it) and {@link
   * #RPM_TIMEOUT_SECONDS}. Public for {@code neguard vuln check --rpmdb}.
   *
   * @throws IllegalStateException when rpm fails, says too much or takes too long, or lists a
   *     line that is not a package as asked for: the whole list is refused, never guessed at;
   *     {@link IncompleteRpmList} when {@code dbPath} holds no rpm database (rpm not run) or
   *     rpm lists no package
   */
  public static List<OsPackage> readRpm(Path rpm, Path dbPath) throws IOException {
    return readRpm(rpm, dbPath, Duration.ofSeconds(RPM_TIMEOUT_SECONDS));
  }

  static List<OsPackage> readRpm(Path rpm, Path dbPath, Duration timeout) throws IOException {
    requireDatabase(dbPath);
    List<String> command = new ArrayList<>(List.of(rpm.toString()));
    if (dbPath != null) {
      command.addAll(List.of("--dbpath", dbPath.toAbsolutePath().toString()));
    }
    command.addAll(List.of("-qa", "--queryformat", RPM_QUERY_FORMAT));
    CommandRunner.Result run = runRpm(command, MAX_RPM_BYTES, timeout, "rpm -qa",
        "no package list is that large");
    if (run.exit() != 0) {
      throw new IllegalStateException("rpm -qa exited " + run.exit());
    }
    List<OsPackage> listed = parseRpm(run.output());
    if (listed.isEmpty()) {
      // The check that cannot be fooled: whatever the directory held, rpm read no package.
      // Every rpm system has at least rpm and its libraries installed, so an empty list is a
      // database that is empty, new or not the NE's, never "nothing installed".
      throw new IncompleteRpmList("rpm -qa listed no package" + (dbPath == null ? ""
          : " in " + dbPath) + ": every rpm system has rpm itself installed, so the database"
          + " is empty or not the host's; nothing can be assessed from it");
    }
    return listed;
  }

  /**
   * The files an rpm database directory holds, one per backend rpm reads: sqlite (rpm 4.16
   * and later), ndb, Berkeley DB.
   */
  static final List<String> RPM_DB_FILES = List.of("rpmdb.sqlite", "Packages.db", "Packages");

  /**
   * An rpm package list that cannot be whole: no rpm database where one was named, or one
   * listing no package. Not the list's shape being wrong: the caller says "incomplete".
   */
  public static final class IncompleteRpmList extends IllegalStateException {
    IncompleteRpmList(String message) {
      super(message);
    }
  }

  /**
   * Refuses {@code dbPath} (null: rpm's default, left to rpm) unless it is a directory holding
   * a non-empty rpm database file ({@link #RPM_DB_FILES}), before rpm is run: rpm run as root
   * with {@code --dbpath} naming a missing or empty directory creates an empty database there
   * (and the directories above it) and lists nothing with exit 0. The empty-list check after
   * rpm is the one that decides; this one keeps rpm from writing where it was only asked to
   * read.
   */
  static void requireDatabase(Path dbPath) {
    if (dbPath == null) {
      return;
    }
    if (!Files.isDirectory(dbPath)) {
      throw new IncompleteRpmList(dbPath + " is no directory" + (Files.exists(dbPath) ? ""
          : " (it does not exist)") + ", so it holds no rpm database");
    }
    for (String name : RPM_DB_FILES) {
      Path f = dbPath.resolve(name);
      try {
        if (Files.isRegularFile(f) && Files.size(f) > 0) {
          return;
        }
      } catch (IOException e) {
        // unreadable: as if absent, and said below
      }
    }
    throw new IncompleteRpmList(dbPath + " holds no rpm database (no non-empty "
        + String.join(", ", RPM_DB_FILES) + "); rpm was not run, since it would create an"
        + " empty one there");
  }

  /**
   * Runs {@code command} (an rpm query, named {@code what}) for at most {@code timeout},
   * reading at most {@code max} bytes of its output: past either, rpm is killed and an
   * IllegalStateException says why ({@code tooMuch}: why that much is no answer; {@link
   * RpmTimeout} for the timeout).
   */
  private static CommandRunner.Result runRpm(List<String> command, int max, Duration timeout,
      String what, String tooMuch) throws IOException {
    CommandRunner.Result run = CommandRunner.capture(command, max, timeout);
    if (run.truncated()) {
      throw new IllegalStateException(what + " wrote more than " + max + " bytes; " + tooMuch);
    }
    if (run.timedOut()) {
      throw new RpmTimeout(what + " took more than " + timeout.toSeconds() + " s and was"
          + " killed; is a stuck rpm or dnf holding the rpm database's lock?");
    }
    return run;
  }

  /** rpm hung: another query in the same report would hang as long. */
  private static final class RpmTimeout extends IllegalStateException {
    RpmTimeout(String message) {
      super(message);
    }
  }

  /** The suffix /proc gives the executable of a process whose file was replaced or removed. */
  static final String DELETED = " (deleted)";
  /** Failed {@code rpm -qf} lookups noted in one report, the rest in one: the server takes 32. */
  static final int MAX_OWNER_FAILURES = 8;

  /** Bytes of one {@code rpm -qf} answer read at most: a file has a few owners. */
  static final int MAX_RPM_OWNER_BYTES = 64 << 10;

  /**
   * Finds the owner of every listening executable not known yet with {@code rpm -qf}, one
   * query per executable (rpm prints one line per owner and none naming the file, so one query
   * for several files could not be told apart). The answers are kept while the package list is
   * the same (its digest); an answer that is no owner as asked for is a note and no owner,
   * asked again at the next report. After a query that hung (killed at the timeout), or {@link
   * #MAX_OWNER_FAILURES} failed ones, the rest of this report's are not asked: one note says so.
   */
  private void refreshRpmOwners(List<ObservedPort> ports, List<String> notes) {
    String key = PackageReport.digestOf(packages);
    if (!key.equals(rpmOwnersKey)) {
      owners.clear();
      rpmOwnersKey = key;
      infoModified = Long.MIN_VALUE; // dpkg's answers are not these: asked anew if it returns
    }
    Set<String> asked = new HashSet<>();
    int failures = 0;
    String stopped = null;
    int skipped = 0;
    for (ObservedPort p : ports) {
      String exe = p.process() == null ? null : p.process().executable();
      if (exe == null || !exe.startsWith("/") || exe.endsWith(DELETED)
          || owners.containsKey(exe) || !asked.add(exe)) {
        continue;
      }
      if (stopped != null) {
        skipped++;
        continue;
      }
      try {
        owners.put(exe, rpmOwner(rpmUsed, rpmDbPath, exe, rpmTimeout));
      } catch (IOException | IllegalStateException e) {
        notes.add("cannot ask rpm for the owner of " + exe + ": " + e.getMessage());
        if (e instanceof RpmTimeout) {
          // a hung rpm (a held lock) hangs for every file: the report goes on without them
          stopped = "rpm hung";
        } else if (++failures == MAX_OWNER_FAILURES) {
          stopped = MAX_OWNER_FAILURES + " lookups failed";
        }
      }
    }
    if (skipped > 0) {
      notes.add("rpm was not asked for the owners of " + skipped + " more listening"
          + " executables (" + stopped + "); asked again at the next report");
    }
  }

  /**
   * The package of the rpm database in {@code dbPath} (null: rpm's default) that owns {@code
   * exe}, by {@code rpm -qf} ({@link #parseRpmOwner}), or "" for none. Public for {@code
   * neguard harden check --rpmdb}; {@link #RPM_TIMEOUT_SECONDS} unless the agent's own.
   *
   * @throws IllegalStateException when rpm's answer is no owner as asked for, or rpm took more
   *     than the timeout (killed)
   */
  public static String rpmOwner(Path rpm, Path dbPath, String exe) throws IOException {
    return rpmOwner(rpm, dbPath, exe, Duration.ofSeconds(RPM_TIMEOUT_SECONDS));
  }

  static String rpmOwner(Path rpm, Path dbPath, String exe, Duration timeout)
      throws IOException {
    requireDatabase(dbPath);
    List<String> command = new ArrayList<>(List.of(rpm.toString()));
    if (dbPath != null) {
      command.addAll(List.of("--dbpath", dbPath.toAbsolutePath().toString()));
    }
    command.addAll(List.of("-qf", "--queryformat", "%{NAME}\\n", exe));
    CommandRunner.Result run = runRpm(command, MAX_RPM_OWNER_BYTES, timeout, "rpm -qf " + exe,
        "no file has that many owners");
    return parseRpmOwner(exe, run.exit(), run.output(), run.errors());
  }

  /**
   * {@code rpm -qf EXE}'s answer: the owning package's name (the first by name when several
   * own the file), or "" for none: only when rpm exits 1 printing exactly that the file is owned
   * by no package and writing no error (rpm says so too when it cannot read its database). Every
   * line must be a package name as rpm builds it, or the answer is refused whole, naming the
   * line: never a guessed owner; a failure names rpm's first error line.
   */
  static String parseRpmOwner(String exe, int exit, String output, String errors) {
    if (exit == 1 && output.equals("file " + exe + " is not owned by any package\n")) {
      if (errors.isEmpty()) {
        return "";
      }
      throw new IllegalStateException("rpm -qf says the file is owned by no package but"
          + " reported an error, so that is not believed: " + firstLine(errors));
    }
    if (exit != 0) {
      throw new IllegalStateException("rpm -qf exited " + exit
          + (errors.isBlank() ? "" : ": " + firstLine(errors)));
    }
    String[] lines = output.split("\n", -1);
    if (lines.length < 2 || !lines[lines.length - 1].isEmpty()) {
      throw new IllegalStateException("rpm -qf's output is empty or ends in the middle of a"
          + " line");
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < lines.length - 1; i++) {
      if (!RPM_FIELD.matcher(lines[i]).matches()) {
        throw new IllegalStateException("rpm -qf line " + (i + 1) + " is no package name");
      }
      names.add(lines[i]);
    }
    return names.stream().sorted().findFirst().orElseThrow();
  }

  /** rpm's first error line (else its first line), printable and short enough for a note. */
  private static String firstLine(String errors) {
    List<String> lines = errors.strip().lines().toList();
    String line = lines.stream().filter(l -> l.startsWith("error:")).findFirst()
        .orElse(lines.isEmpty() ? "" : lines.get(0)).replaceAll("\\p{Cntrl}", "?");
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }

  /**
   * {@code rpm -qa}'s output in {@link #RPM_QUERY_FORMAT}. Every line must be one package of
   * four fields as rpm builds them; one that is not refuses the list (naming the line), since a
   * skipped line would be a package nobody assesses. rpm's imported signing keys ({@code
   * gpg-pubkey}, no architecture, no source rpm) are not software and are left out.
   */
  static List<OsPackage> parseRpm(String output) {
    List<OsPackage> out = new ArrayList<>();
    String[] lines = output.split("\n", -1);
    if (!lines[lines.length - 1].isEmpty()) {
      throw new IllegalStateException("rpm -qa's output ends in the middle of a line");
    }
    for (int i = 0; i < lines.length - 1; i++) {
      String line = lines[i];
      String[] f = line.split("\t", -1);
      String at = "rpm -qa line " + (i + 1);
      if (f.length != 4 || !RPM_FIELD.matcher(f[0]).matches()
          || !RPM_FIELD.matcher(f[2]).matches() || !RPM_FIELD.matcher(f[3]).matches()) {
        throw new IllegalStateException(at + " is not NAME, EPOCH:VERSION-RELEASE, ARCH and"
            + " SOURCERPM separated by tabs");
      }
      if (f[0].equals("gpg-pubkey") && f[2].equals("(none)") && f[3].equals("(none)")) {
        continue;
      }
      if (!RPM_EVR.matcher(f[1]).matches()) {
        throw new IllegalStateException(at + " (" + f[0] + "): '" + f[1] + "' is not"
            + " EPOCH:VERSION-RELEASE");
      }
      java.util.regex.Matcher src = SOURCE_RPM.matcher(f[3]);
      if (!src.matches()) {
        throw new IllegalStateException(at + " (" + f[0] + "): source rpm '" + f[3] + "' is not"
            + " NAME-VERSION-RELEASE.src.rpm");
      }
      if (out.size() >= MAX_PACKAGES) {
        throw new IllegalStateException("more than " + MAX_PACKAGES + " installed packages");
      }
      // advisories name binary rpms or source rpms: both travel; the source's version is its
      // file name's VERSION-RELEASE (rpm records no epoch for it)
      out.add(new OsPackage(f[0], f[1], f[2], src.group(1), src.group(2) + "-"
          + src.group(3)));
    }
    out.sort(Comparator.comparing(OsPackage::name).thenComparing(OsPackage::arch));
    return List.copyOf(out);
  }

  /**
   * Finds the owner of every listening executable not known yet: one pass over the {@code
   * .list} files for all of them at once. The cache is dropped when dpkg changed the directory.
   */
  private void refreshOwners(List<ObservedPort> ports, List<String> notes) {
    if (rpmOwnersKey != null) {
      owners.clear(); // rpm's answers are not dpkg's
      rpmOwnersKey = null;
    }
    long modified;
    try {
      modified = Files.getLastModifiedTime(info).toMillis();
    } catch (IOException e) {
      notes.add("cannot read dpkg's file lists in " + info + ": no socket is matched to the"
          + " package owning its executable");
      return;
    }
    if (modified != infoModified) {
      owners.clear();
      infoModified = modified;
    }
    Map<String, String> wanted = new HashMap<>(); // a path dpkg may list -> the executable
    for (ObservedPort p : ports) {
      String exe = p.process() == null ? null : p.process().executable();
      if (exe != null && exe.startsWith("/") && !exe.endsWith(DELETED)
          && !owners.containsKey(exe)) {
        for (String candidate : listedAs(exe)) {
          wanted.putIfAbsent(candidate, exe);
        }
      }
    }
    if (wanted.isEmpty()) {
      return;
    }
    Set<String> found = new HashSet<>();
    int executables = new HashSet<>(wanted.values()).size();
    int files = 0;
    try (DirectoryStream<Path> lists = Files.newDirectoryStream(info, "*.list")) {
      for (Path list : lists) {
        if (++files > MAX_LIST_FILES) {
          notes.add("more than " + MAX_LIST_FILES + " file lists in " + info + ": the rest"
              + " were not searched for the owners of listening executables");
          break;
        }
        String pkg = list.getFileName().toString().replaceFirst("\\.list$", "")
            .replaceFirst(":.*$", "");
        scan(list, pkg, wanted, found);
        if (found.size() == executables) {
          break;
        }
      }
    } catch (IOException e) {
      notes.add("cannot read dpkg's file lists in " + info + ": " + e.getMessage());
      return;
    }
    for (String exe : wanted.values()) {
      owners.putIfAbsent(exe, ""); // owned by no package: not searched again until dpkg runs
    }
  }

  private void scan(Path list, String pkg, Map<String, String> wanted, Set<String> found) {
    try (InputStream raw = Files.newInputStream(list);
        BufferedReader r = new BufferedReader(new InputStreamReader(
            bounded(raw, MAX_LIST_BYTES, list.toString()), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        String exe = wanted.get(line);
        if (exe != null && !owners.containsKey(exe)) {
          owners.put(exe, pkg);
          found.add(exe);
        }
      }
    } catch (NoSuchFileException e) {
      // removed by dpkg while we read: the next inventory sees the new state
    } catch (IOException | IllegalStateException e) {
      // one unreadable list: its package is not found as an owner; the others still are
    }
  }

  /**
   * The paths dpkg may list an executable under: itself, and with /usr merged (/proc shows
   * {@code /usr/sbin/sshd} where an older package lists {@code /sbin/sshd}, and the reverse).
   */
  static List<String> listedAs(String exe) {
    List<String> out = new ArrayList<>(List.of(exe));
    for (String dir : List.of("/bin/", "/sbin/", "/lib/", "/lib64/")) {
      if (exe.startsWith("/usr" + dir)) {
        out.add(exe.substring(4));
      } else if (exe.startsWith(dir)) {
        out.add("/usr" + exe);
      }
    }
    return out;
  }

  /**
   * The release as advisories name it ({@code Debian:12}, {@code AlmaLinux:9}), by the one
   * mapping of os-release the CLI uses too; unknown with a note when it cannot be told.
   */
  private String release(List<String> notes) {
    try {
      return HostRelease.of(osRelease);
    } catch (HostRelease.Unknown e) {
      notes.add(e.getMessage() + ": the release is unknown");
      return null;
    }
  }

  /** {@code in}, failing with IllegalStateException once more than {@code max} bytes are read. */
  private static InputStream bounded(InputStream in, long max, String what) {
    return new InputStream() {
      private long read;

      @Override
      public int read() throws IOException {
        int b = in.read();
        if (b >= 0 && ++read > max) {
          throw new IllegalStateException(what + " has more than " + max + " bytes");
        }
        return b;
      }

      @Override
      public int read(byte[] buf, int off, int len) throws IOException {
        int n = in.read(buf, off, len);
        if (n > 0 && (read += n) > max) {
          throw new IllegalStateException(what + " has more than " + max + " bytes");
        }
        return n;
      }
    };
  }
}
