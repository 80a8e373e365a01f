package org.neguard.pkg;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.neguard.json.StrictJson;
import org.neguard.measure.TreeDigest;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Reads and writes manifests. Reading is strict, because the manifest feeds a security decision:
 * unknown fields, duplicate keys, missing fields, type coercions and trailing data are refusals.
 *
 * <p>Thread-safe.
 */
public final class ManifestCodec {
  private static final ObjectMapper MAPPER =
      StrictJson.builder()
          .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
          .build();

  private ManifestCodec() {}

  /** The exact bytes that get signed: UTF-8 JSON, indented, ending in a newline. */
  public static byte[] encode(Manifest manifest) {
    try {
      byte[] json = MAPPER.writeValueAsBytes(manifest);
      byte[] out = new byte[json.length + 1];
      System.arraycopy(json, 0, out, 0, json.length);
      out[json.length] = '\n';
      return out;
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("a manifest record always serializes", e);
    }
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
    try {
      manifest = MAPPER.readValue(json, Manifest.class);
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw malformed(cause.getMessage(), e);
    } catch (UnrecognizedPropertyException e) {
      throw malformed("unknown field '" + e.getPropertyName() + "'", e);
    } catch (MismatchedInputException e) {
      throw malformed(mismatch(e), e);
    } catch (JsonProcessingException e) {
      throw malformed("not valid JSON (" + e.getOriginalMessage() + ")", e);
    } catch (IOException e) {
      throw malformed("unreadable", e);
    }
    if (manifest == null) {
      throw malformed("empty document", null);
    }
    check(manifest);
    return manifest;
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

  /** Jackson's own messages name Java classes: say it in the manifest's terms instead. */
  private static String mismatch(MismatchedInputException e) {
    String original = String.valueOf(e.getOriginalMessage());
    if (original.startsWith("Trailing token")) {
      return "data follows the JSON object";
    }
    // Jackson 2.20 says "Missing creator property 'x' (index n)"; older ones "Missing required ...".
    if (original.startsWith("Missing creator property")) {
      int a = original.indexOf('\'');
      int b = original.indexOf('\'', a + 1);
      return "missing field: " + (a >= 0 && b > a ? original.substring(a + 1, b) : "?");
    }
    StringBuilder field = new StringBuilder();
    for (com.fasterxml.jackson.databind.JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        field.append(field.length() == 0 ? "" : ".").append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        field.append('[').append(r.getIndex()).append(']');
      }
    }
    return field.length() == 0
        ? "the document is not a JSON object of the manifest's shape"
        : "field '" + field + "' is missing, null or of the wrong type";
  }

  private static RefusalException malformed(String detail, Throwable cause) {
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
