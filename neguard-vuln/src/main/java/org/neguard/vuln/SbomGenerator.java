package org.neguard.vuln;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.packageurl.MalformedPackageURLException;
import com.github.packageurl.PackageURL;
import com.github.packageurl.PackageURLBuilder;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Generates an SBOM from a package's payload tree, for vendors who supply none: the Debian
 * packages of a root filesystem ({@code var/lib/dpkg/status}, with the release from {@code
 * etc/os-release}) as {@code pkg:deb}, Java archives' Maven metadata ({@code
 * META-INF/maven/GROUP/ARTIFACT/pom.properties}, in nested archives too) as {@code pkg:maven},
 * and npm lock files ({@code package-lock.json} v2/v3) as {@code pkg:npm}.
 *
 * <p>What it cannot see it does not invent: software without such metadata (a static binary, a
 * shaded jar without its dependencies' pom.properties) is absent, and {@link Result#notes()}
 * says what was skipped. Archives are read as streams, nested ones up to {@link Limits#maxDepth}
 * levels, with every decompressed byte of nested archives counted against {@link
 * Limits#maxNestedBytes}: a zip bomb in the payload ends the generation (SIZE_LIMIT) rather
 * than the disk or the memory. Symbolic links are not followed.
 */
public final class SbomGenerator {
  private static final Pattern POM_PROPERTIES =
      Pattern.compile("META-INF/maven/([^/]+)/([^/]+)/pom\\.properties");
  private static final Pattern OS_ID = Pattern.compile("(?m)^ID=\"?([a-z0-9._-]+)\"?\\s*$");
  private static final Pattern OS_VERSION = Pattern.compile("(?m)^VERSION_ID=\"?([0-9.]+)\"?\\s*$");
  private static final Pattern NPM_VERSION = Pattern.compile("\\d+\\.\\d+\\.\\d+[0-9A-Za-z.+-]*");
  private static final int MAX_SMALL_FILE = 64 << 10;
  private static final int MAX_LOCK_BYTES = 32 << 20;
  private static final ObjectMapper LOCK_JSON = new ObjectMapper(JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
      .build());

  private SbomGenerator() {}

  /**
   * Bounds of a generation.
   *
   * @param maxDepth archive levels read: 1 is the payload's own jars, 2 their nested jars...
   * @param maxNestedBytes decompressed bytes read from all nested archives together
   * @param maxEntries entries read in one archive
   */
  public record Limits(int maxDepth, long maxNestedBytes, int maxEntries) {
    public Limits {
      if (maxDepth < 1 || maxNestedBytes < 0 || maxEntries < 1) {
        throw new IllegalArgumentException("limits must be positive");
      }
    }

    /** Three levels (a war in an ear in a payload), 2 GiB of nested data, 100,000 entries. */
    public static Limits defaults() {
      return new Limits(3, 2L << 30, 100_000);
    }
  }

  /**
   * What was found.
   *
   * @param components each once, sorted by package URL
   * @param notes what was skipped and why, one line each
   */
  public record Result(List<Component> components, List<String> notes) {
    public Result {
      components = List.copyOf(components);
      notes = List.copyOf(notes);
    }
  }

  /** Generates the CycloneDX JSON of {@code root}'s payload for the product {@code subject}. */
  public static byte[] generate(Path root, CycloneDx.Subject subject, CycloneDx.Tool tool,
      Instant timestamp, Limits limits) throws IOException, RefusalException {
    return CycloneDx.write(subject, tool, timestamp, scan(root, limits).components());
  }

  /**
   * Finds the components of the tree at {@code root}.
   *
   * @throws RefusalException SIZE_LIMIT when an archive passes a bound, MALFORMED for a dpkg
   *     status or lock file that cannot be read (an SBOM must not silently miss them)
   */
  public static Result scan(Path root, Limits limits) throws IOException, RefusalException {
    Objects.requireNonNull(limits, "limits");
    List<Path> files = new ArrayList<>();
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        if (attrs.isRegularFile()) {
          files.add(file);
        }
        return FileVisitResult.CONTINUE;
      }
    });
    files.sort(Comparator.naturalOrder());
    Scan scan = new Scan(limits);
    for (Path file : files) {
      String rel = root.relativize(file).toString().replace(file.getFileSystem().getSeparator(),
          "/");
      String lower = rel.toLowerCase(Locale.ROOT);
      if (rel.equals("var/lib/dpkg/status") || rel.endsWith("/var/lib/dpkg/status")) {
        scan.dpkg(root, rel, file);
      } else if (lower.endsWith(".jar") || lower.endsWith(".war") || lower.endsWith(".ear")) {
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
          scan.archive(in, rel, 1);
        } catch (NestedBudgetException e) {
          throw new RefusalException(ReasonCode.SIZE_LIMIT, e.getMessage()
              + " (a zip bomb?); supply the SBOM with --sbom FILE", e);
        }
      } else if (rel.equals("package-lock.json") || rel.endsWith("/package-lock.json")) {
        scan.npmLock(rel, file);
      }
    }
    return new Result(new ArrayList<>(scan.found.values()), scan.notes);
  }

  private static final class Scan {
    private final Limits limits;
    private final Map<String, Component> found = new TreeMap<>();
    private final List<String> notes = new ArrayList<>();
    private long nestedBytes;

    Scan(Limits limits) {
      this.limits = limits;
    }

    private void add(Component c) {
      found.putIfAbsent(c.purl(), c);
    }

    void dpkg(Path root, String rel, Path file) throws IOException, RefusalException {
      String prefix = rel.substring(0, rel.length() - "var/lib/dpkg/status".length());
      Optional<String> distro = debianRelease(root.resolve(prefix));
      if (distro.isEmpty()) {
        notes.add(rel + ": no Debian release in " + prefix + "etc/os-release; its packages carry"
            + " no distro and will be reported not assessed");
      }
      List<DpkgPackage> packages;
      try {
        packages = DpkgStatus.read(file);
      } catch (RefusalException e) {
        throw new RefusalException(e.code(), "cannot read the dpkg status " + rel + ": "
            + e.getMessage() + "; fix it or supply the SBOM with --sbom FILE", e);
      }
      // As DpkgStatus.readInstalled refuses a host's (whose message speaks of a host and of an
      // assessment): a status listing no installed package (empty, cut, only removed ones)
      // would give an SBOM naming none of the payload's Debian packages, which every
      // vulnerability check of the bundle then passes.
      if (packages.isEmpty()) {
        throw new RefusalException(ReasonCode.SCAN_INCOMPLETE, "the dpkg status " + rel
            + " lists no installed package, which no dpkg system has (dpkg is one): an SBOM"
            + " from it would name none of the payload's Debian packages. Put the root"
            + " filesystem's whole var/lib/dpkg/status in the payload, or supply the SBOM with"
            + " --sbom FILE");
      }
      for (DpkgPackage p : packages) {
        try {
          PackageURLBuilder b = PackageURLBuilder.aPackageURL().withType("deb")
              .withNamespace("debian").withName(p.name()).withVersion(p.version().toString())
              .withQualifier("arch", p.architecture());
          distro.ifPresent(d -> b.withQualifier("distro", d));
          if (!p.source().equals(p.name()) || !p.sourceVersion().equals(p.version())) {
            // Advisories name the source package: the upstream qualifier carries it (as syft
            // and Trivy write it), so the binary inetutils-telnetd matches inetutils' advisory.
            b.withQualifier("upstream", p.source() + "@" + p.sourceVersion());
          }
          add(Component.ofPurl(b.build().canonicalize()));
        } catch (MalformedPackageURLException | IllegalArgumentException e) {
          throw new RefusalException(ReasonCode.MALFORMED, "package " + p.name() + " in " + rel
              + " cannot be named as a package URL: " + e.getMessage(), e);
        }
      }
    }

    /** {@code debian-12} from the root's os-release, when it is Debian. */
    private Optional<String> debianRelease(Path rootfs) throws IOException {
      for (String candidate : List.of("etc/os-release", "usr/lib/os-release")) {
        Path f = rootfs.resolve(candidate);
        if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)
            && Files.size(f) <= MAX_SMALL_FILE) {
          String text = Files.readString(f, StandardCharsets.UTF_8);
          Matcher id = OS_ID.matcher(text);
          Matcher version = OS_VERSION.matcher(text);
          if (id.find() && id.group(1).equals("debian") && version.find()) {
            return Optional.of("debian-" + version.group(1));
          }
        }
      }
      return Optional.empty();
    }

    /** Reads one archive as a stream; nested archives recurse on the entry's stream. */
    void archive(InputStream in, String where, int depth) throws IOException, RefusalException {
      // Nested archives count what they decompress, including the entries they skip (skipping
      // is reading): the budget bounds the work, not only what is kept.
      ZipInputStream zip = depth == 1 ? new ZipInputStream(in, StandardCharsets.UTF_8)
          : new ZipInputStream(in, StandardCharsets.UTF_8) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
              int n = super.read(b, off, len);
              if (n > 0) {
                spend(n, where);
              }
              return n;
            }
          };
      int entries = 0;
      try {
        for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
          if (++entries > limits.maxEntries()) {
            throw new RefusalException(ReasonCode.SIZE_LIMIT, where + " holds more than "
                + limits.maxEntries() + " entries; supply the SBOM with --sbom FILE");
          }
          String name = e.getName();
          String lower = name.toLowerCase(Locale.ROOT);
          Matcher pom = POM_PROPERTIES.matcher(name);
          if (pom.matches()) {
            maven(zip, where + "!/" + name);
          } else if (!e.isDirectory()
              && (lower.endsWith(".jar") || lower.endsWith(".war") || lower.endsWith(".ear"))) {
            if (depth >= limits.maxDepth()) {
              notes.add(where + "!/" + name + ": nested deeper than " + limits.maxDepth()
                  + " archives, not read");
            } else {
              // Not closed: closing would close the outer archive's stream.
              archive(counted(zip, where + "!/" + name), where + "!/" + name, depth + 1);
            }
          }
        }
        if (entries == 0) {
          notes.add(where + ": not a zip archive (or empty), not read");
        }
      } catch (ZipException | java.io.EOFException ex) {
        notes.add(where + ": damaged archive (" + ex.getMessage() + "), read up to the damage");
      }
    }

    private void maven(ZipInputStream zip, String where) throws IOException, RefusalException {
      byte[] bytes = zip.readNBytes(MAX_SMALL_FILE + 1);
      if (bytes.length > MAX_SMALL_FILE) {
        notes.add(where + ": larger than " + MAX_SMALL_FILE + " bytes, not read");
        return;
      }
      Properties p = new Properties();
      p.load(new java.io.InputStreamReader(new ByteArrayInputStream(bytes),
          StandardCharsets.ISO_8859_1));
      String g = p.getProperty("groupId");
      String a = p.getProperty("artifactId");
      String v = p.getProperty("version");
      if (g == null || a == null || v == null || g.isBlank() || a.isBlank() || v.isBlank()) {
        notes.add(where + ": no groupId, artifactId and version, not read");
        return;
      }
      try {
        add(Component.ofPurl(new PackageURL("maven", g.trim(), a.trim(), v.trim(), null, null)
            .canonicalize()));
      } catch (MalformedPackageURLException | IllegalArgumentException e) {
        notes.add(where + ": not a Maven coordinate (" + e.getMessage() + ")");
      }
    }

    /** A nested entry's stream, left open when the nested archive is done with it. */
    private static InputStream counted(InputStream in, String where) {
      return new FilterInputStream(in) {
        @Override
        public void close() {
          // the outer archive's stream stays open
        }
      };
    }

    private void spend(int n, String where) throws IOException {
      nestedBytes += n;
      if (nestedBytes > limits.maxNestedBytes()) {
        throw new NestedBudgetException(where, limits.maxNestedBytes());
      }
    }

    void npmLock(String rel, Path file) throws IOException, RefusalException {
      if (Files.size(file) > MAX_LOCK_BYTES) {
        throw new RefusalException(ReasonCode.SIZE_LIMIT, rel + " is larger than "
            + MAX_LOCK_BYTES + " bytes; supply the SBOM with --sbom FILE");
      }
      JsonNode lock;
      try (JsonParser p = LOCK_JSON.createParser(file.toFile())) {
        lock = LOCK_JSON.readTree(p);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new RefusalException(ReasonCode.MALFORMED, rel + " is not valid JSON ("
            + e.getOriginalMessage() + "); fix it or supply the SBOM with --sbom FILE", e);
      }
      JsonNode packages = lock == null ? null : lock.get("packages");
      if (packages == null || !packages.isObject()) {
        notes.add(rel + ": no 'packages' object (lockfileVersion 1?), not read");
        return;
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = packages.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String key = e.getKey();
        int at = key.lastIndexOf("node_modules/");
        if (at < 0 || !e.getValue().isObject() || e.getValue().path("link").asBoolean(false)) {
          continue; // the root project, or a link to a workspace folder
        }
        String name = key.substring(at + "node_modules/".length());
        String version = e.getValue().path("version").asText("");
        if (!NPM_VERSION.matcher(version).matches()) {
          notes.add(rel + ": " + name + " has no registry version ('" + version + "'), not read");
          continue;
        }
        try {
          int slash = name.indexOf('/');
          String ns = name.startsWith("@") && slash > 0 ? name.substring(0, slash) : null;
          String n = ns == null ? name : name.substring(slash + 1);
          add(Component.ofPurl(new PackageURL("npm", ns, n, version, null, null).canonicalize()));
        } catch (MalformedPackageURLException | IllegalArgumentException ex) {
          notes.add(rel + ": " + name + " is not an npm package name (" + ex.getMessage() + ")");
        }
      }
    }
  }

  /** Thrown through the zip streams when nested archives exceed their budget. */
  private static final class NestedBudgetException extends IOException {
    private static final long serialVersionUID = 1L;

    NestedBudgetException(String where, long limit) {
      super(where + ": nested archives expand past " + limit + " bytes");
    }
  }
}
