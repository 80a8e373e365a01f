package org.neguard.pkg;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.neguard.json.StrictJsonReader;
import org.neguard.json.StrictJsonReader.ShapeException;
import org.neguard.measure.TreeDigest;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Reads and writes manifests. Reading is strict, because the manifest feeds a security decision:
 * unknown fields, duplicate keys, missing or null fields, type coercions and trailing data are
 * refusals.
 *
 * <p>This is the one manifest decoder: verify, the agent, the server and the rewriter all read
 * through {@link #decode}. It walks Jackson's streaming parser with {@link StrictJsonReader}
 * rather than binding records, so that {@code pkg verify} never sets up data binding (issue 17);
 * it accepts what the strict mapper it replaced accepted, to the same values
 * (ManifestDecoderDifferentialTest), except bytes that are not strict UTF-8 (overlong forms,
 * encoded surrogates, UTF-16 and UTF-32, which Jackson's byte parser took: {@link
 * StrictJsonReader#open}), a null element in {@code files} or {@code scanReports}, which the
 * mapper let through to a NullPointerException, and a number or boolean where a string goes,
 * which the mapper read as its text ({@code "version": 1} as "1"); all are MALFORMED now.
 *
 * <p>Thread-safe.
 */
public final class ManifestCodec {
  private static final JsonFactory FACTORY = new JsonFactory();

  /** The top-level fields of a {@code neguard-package/1} manifest, in the order they are written. */
  static final List<String> FIELDS_V1 = List.of("format", "name", "version", "securityVersion",
      "neType", "vendor", "created", "rim", "files", "scanReports");

  private ManifestCodec() {}

  /**
   * The exact bytes that get signed: UTF-8 JSON, indented (Jackson's default pretty printer),
   * fields in {@link #FIELDS_V1} order and then {@code sbom} when there is one, ending in a
   * newline.
   */
  public static byte[] encode(Manifest m) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256 + 192 * m.files().size());
    try (JsonGenerator g = FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
      g.useDefaultPrettyPrinter();
      g.writeStartObject();
      g.writeStringField("format", m.format());
      g.writeStringField("name", m.name());
      g.writeStringField("version", m.version());
      g.writeNumberField("securityVersion", m.securityVersion());
      g.writeStringField("neType", m.neType());
      g.writeStringField("vendor", m.vendor());
      g.writeStringField("created", m.created());
      g.writeObjectFieldStart("rim");
      g.writeStringField("algorithm", m.rim().algorithm());
      g.writeStringField("digest", m.rim().digest());
      g.writeEndObject();
      g.writeArrayFieldStart("files");
      for (Manifest.FileEntry f : m.files()) {
        g.writeStartObject();
        g.writeStringField("path", f.path());
        g.writeNumberField("size", f.size());
        g.writeStringField("mode", f.mode());
        g.writeStringField("sha256", f.sha256());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeArrayFieldStart("scanReports");
      for (Manifest.ScanReportRef r : m.scanReports()) {
        writeRef(g, null, r.path(), r.size(), r.sha256());
      }
      g.writeEndArray();
      if (m.sbom().isPresent()) {
        Manifest.SbomRef s = m.sbom().get();
        writeRef(g, "sbom", s.path(), s.size(), s.sha256());
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("a manifest always serializes", e);
    }
    out.write('\n');
    return out.toByteArray();
  }

  private static void writeRef(JsonGenerator g, String field, String path, long size, String sha)
      throws IOException {
    if (field == null) {
      g.writeStartObject();
    } else {
      g.writeObjectFieldStart(field);
    }
    g.writeStringField("path", path);
    g.writeNumberField("size", size);
    g.writeStringField("sha256", sha);
    g.writeEndObject();
  }

  /**
   * Parses and checks a manifest.
   *
   * @throws RefusalException {@code MALFORMED} for bad JSON or a bad field, {@code UNSAFE_PATH}
   *     for a path that could escape, {@code STRUCTURE} for a path listed twice, {@code
   *     DIGEST_MISMATCH} when the RIM is not the tree digest of the listed files
   */
  public static Manifest decode(byte[] json) throws RefusalException {
    Manifest manifest;
    try (StrictJsonReader in = StrictJsonReader.open(json)) {
      if (in.token() == JsonToken.VALUE_NULL) {
        throw malformed("empty document", null);
      }
      if (in.token() != JsonToken.START_OBJECT) {
        throw malformed("the document is not a JSON object of the manifest's shape", null);
      }
      manifest = read(in);
      in.end("object");
    } catch (IllegalArgumentException e) {
      // The records' own checks.
      throw malformed(e.getMessage(), e);
    } catch (ShapeException e) {
      throw malformed(e.getMessage(), e);
    } catch (JsonProcessingException e) {
      throw malformed("not valid JSON (" + e.getOriginalMessage() + ")", e);
    } catch (IOException e) {
      throw malformed("unreadable", e);
    }
    check(manifest);
    return manifest;
  }

  /**
   * Reads the root object. Every field of the /1 shape is required and none may be null; {@code
   * sbom}, when present, must be an object, and the record then requires the format to match its
   * presence. No tree of the document is built: a 64 MiB manifest costs its records only.
   */
  private static Manifest read(StrictJsonReader in) throws IOException, ShapeException {
    Object[] v = new Object[FIELDS_V1.size() + 1];
    in.fields("", (name, path) -> {
      int i = "sbom".equals(name) ? FIELDS_V1.size() : FIELDS_V1.indexOf(name);
      if (i < 0) {
        return false;
      }
      v[i] = switch (name) {
        case "securityVersion" -> in.longValue(path);
        case "rim" -> rim(in, path);
        case "files" -> in.array(path, at -> fileEntry(in, at));
        case "scanReports" -> in.array(path, at -> ref(in, at, Manifest.ScanReportRef::new));
        case "sbom" -> ref(in, path, Manifest.SbomRef::new);
        default -> in.text(path);
      };
      return true;
    });
    for (int i = 0; i < FIELDS_V1.size(); i++) {
      if (v[i] == null) {
        throw new ShapeException("missing field: " + FIELDS_V1.get(i));
      }
    }
    @SuppressWarnings("unchecked")
    List<Manifest.FileEntry> files = (List<Manifest.FileEntry>) v[8];
    @SuppressWarnings("unchecked")
    List<Manifest.ScanReportRef> reports = (List<Manifest.ScanReportRef>) v[9];
    return new Manifest((String) v[0], (String) v[1], (String) v[2], (Long) v[3], (String) v[4],
        (String) v[5], (String) v[6], (Manifest.Rim) v[7], files, reports,
        Optional.ofNullable((Manifest.SbomRef) v[10]));
  }

  /** The fields of a file entry, a scan report's entry or the SBOM's, as read. */
  private static final class Entry {
    String path;
    Long size;
    String mode;
    String sha256;
  }

  private static Manifest.FileEntry fileEntry(StrictJsonReader in, String path)
      throws IOException, ShapeException {
    Entry e = entry(in, path, true);
    return new Manifest.FileEntry(e.path, e.size, e.mode, e.sha256);
  }

  /** A scan report's or the SBOM's entry: path, size, sha256. */
  private interface RefMaker<T> {
    T make(String path, long size, String sha256);
  }

  private static <T> T ref(StrictJsonReader in, String path, RefMaker<T> maker)
      throws IOException, ShapeException {
    Entry e = entry(in, path, false);
    return maker.make(e.path, e.size, e.sha256);
  }

  private static Entry entry(StrictJsonReader in, String path, boolean withMode)
      throws IOException, ShapeException {
    Entry e = new Entry();
    in.fields(path, (name, at) -> {
      switch (name) {
        case "path" -> e.path = in.text(at);
        case "size" -> e.size = in.longValue(at);
        case "sha256" -> e.sha256 = in.text(at);
        case "mode" -> {
          if (!withMode) {
            return false;
          }
          e.mode = in.text(at);
        }
        default -> {
          return false;
        }
      }
      return true;
    });
    require(path, "path", e.path);
    require(path, "size", e.size);
    if (withMode) {
      require(path, "mode", e.mode);
    }
    require(path, "sha256", e.sha256);
    return e;
  }

  private static Manifest.Rim rim(StrictJsonReader in, String path)
      throws IOException, ShapeException {
    String[] v = new String[2];
    in.fields(path, (name, at) -> {
      int i = "algorithm".equals(name) ? 0 : "digest".equals(name) ? 1 : -1;
      if (i >= 0) {
        v[i] = in.text(at);
      }
      return i >= 0;
    });
    require(path, "algorithm", v[0]);
    require(path, "digest", v[1]);
    return new Manifest.Rim(v[0], v[1]);
  }

  private static void require(String path, String field, Object value) throws ShapeException {
    if (value == null) {
      throw new ShapeException("missing field: " + path + "." + field);
    }
  }

  /** Checks what the record's constructor cannot: path safety, uniqueness, the RIM. */
  static void check(Manifest manifest) throws RefusalException {
    Set<String> seen = new HashSet<>();
    for (Manifest.FileEntry file : manifest.files()) {
      PackagePath.check(file.path());
      if (!seen.add(file.path())) {
        throw RefusalException.about(
            ReasonCode.STRUCTURE, file.path(), "the manifest lists '" + file.path() + "' twice");
      }
    }
    // A file may not also be a directory of another: no installer could lay out both.
    for (Manifest.FileEntry file : manifest.files()) {
      String p = file.path();
      for (int slash = p.indexOf('/'); slash > 0; slash = p.indexOf('/', slash + 1)) {
        String dir = p.substring(0, slash);
        if (seen.contains(dir)) {
          throw RefusalException.about(
              ReasonCode.STRUCTURE, dir,
              "the manifest lists '" + dir + "' as a file and as a directory of '" + p + "'");
        }
      }
    }
    for (Manifest.ScanReportRef report : manifest.scanReports()) {
      PackagePath.check(report.path());
      if (!report.path().startsWith(BundleLayout.SCAN_PREFIX)
          || report.path().length() == BundleLayout.SCAN_PREFIX.length()) {
        throw RefusalException.about(
            ReasonCode.STRUCTURE,
            report.path(),
            "scan report '" + report.path() + "' is not below " + BundleLayout.SCAN_PREFIX);
      }
      if (!seen.add(report.path())) {
        throw RefusalException.about(
            ReasonCode.STRUCTURE, report.path(), "the manifest lists '" + report.path() + "' twice");
      }
    }
    if (manifest.sbom().isPresent()) {
      Manifest.SbomRef sbom = manifest.sbom().get();
      // One fixed name: a reader looks for the SBOM in one place, and a listed path elsewhere
      // (a payload path, a scan report's) would give one entry two meanings.
      if (!BundleLayout.SBOM.equals(sbom.path())) {
        throw RefusalException.about(
            ReasonCode.STRUCTURE, PackagePath.printable(sbom.path()),
            "the manifest lists the SBOM as '" + PackagePath.printable(sbom.path())
                + "'; it must be " + BundleLayout.SBOM + ". Rebuild the package");
      }
    }
    String rim = rimOf(manifest.files());
    if (!rim.equals(manifest.rim().digest())) {
      throw new RefusalException(
          ReasonCode.DIGEST_MISMATCH,
          "the manifest's RIM " + manifest.rim().digest()
              + " is not the tree digest of its file list (" + rim + ")");
    }
  }

  /** The tree digest of a manifest's file list. */
  public static String rimOf(List<Manifest.FileEntry> files) {
    return TreeDigest.of(
        files.stream()
            .map(f -> new TreeDigest.Leaf(f.path(), f.sha256(), f.modeBits()))
            .toList());
  }

  static RefusalException malformed(String detail, Throwable cause) {
    String message =
        "manifest is malformed: "
            + (detail == null ? "unreadable" : PackagePath.printable(firstLine(detail)))
            + "; the package must be rebuilt";
    return new RefusalException(ReasonCode.MALFORMED, message, cause);
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
