package org.neguard.pkg;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import org.neguard.json.StrictJson;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The manifest codec of main before issue 17 (Jackson data binding over records), kept in test
 * scope only, as the oracle the one decoder ({@link ManifestCodec}) is compared against:
 * ManifestDecoderDifferentialTest, and SbomEntryTest's reader that knows only
 * {@code neguard-package/1}. No production code reads through it.
 */
final class DatabindManifestOracle {
  /**
   * The strict mapper of main, except that a number or boolean no longer stands in for a string
   * (it read them as their text; the one decoder refuses them now, so the oracle must too).
   */
  private static final ObjectMapper MAPPER =
      StrictJson.builder()
          .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
          .withCoercionConfig(LogicalType.Textual, c -> c
              .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
              .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
              .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
          .build();

  private DatabindManifestOracle() {}

  /**
   * The JSON shape of a {@code neguard-package/1} manifest. The wire shapes are records of their
   * own so that every field of each is required: a strict mapper cannot make one field of a
   * record optional, and a missing {@code sbom} must mean "no SBOM" only where that is the shape.
   */
  @JsonPropertyOrder({
    "format", "name", "version", "securityVersion", "neType", "vendor", "created", "rim",
    "files", "scanReports"
  })
  record WireV1(
      String format, String name, String version, long securityVersion, String neType,
      String vendor, String created, Manifest.Rim rim, List<Manifest.FileEntry> files,
      List<Manifest.ScanReportRef> scanReports) {
    Manifest manifest() {
      return new Manifest(format, name, version, securityVersion, neType, vendor, created, rim,
          files, scanReports, Optional.empty());
    }
  }

  /** The JSON shape of a {@code neguard-package/2} manifest: /1's fields and {@code sbom}. */
  @JsonPropertyOrder({
    "format", "name", "version", "securityVersion", "neType", "vendor", "created", "rim",
    "files", "scanReports", "sbom"
  })
  record WireV2(
      String format, String name, String version, long securityVersion, String neType,
      String vendor, String created, Manifest.Rim rim, List<Manifest.FileEntry> files,
      List<Manifest.ScanReportRef> scanReports, Manifest.SbomRef sbom) {
    Manifest manifest() {
      return new Manifest(format, name, version, securityVersion, neType, vendor, created, rim,
          files, scanReports, Optional.of(sbom));
    }
  }

  private static Object wire(Manifest m) {
    return m.sbom().isPresent()
        ? new WireV2(m.format(), m.name(), m.version(), m.securityVersion(), m.neType(),
            m.vendor(), m.created(), m.rim(), m.files(), m.scanReports(), m.sbom().get())
        : new WireV1(m.format(), m.name(), m.version(), m.securityVersion(), m.neType(),
            m.vendor(), m.created(), m.rim(), m.files(), m.scanReports());
  }

  /** The exact bytes that get signed: UTF-8 JSON, indented, ending in a newline. */
  static byte[] encode(Manifest manifest) {
    try {
      byte[] json = MAPPER.writeValueAsBytes(wire(manifest));
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
  static Manifest decode(byte[] json) throws RefusalException {
    Manifest manifest;
    try {
      manifest = read(json);
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw malformed(cause.getMessage(), e);
    } catch (IllegalArgumentException e) {
      // The record's own checks, run once the wire shape has been read.
      throw malformed(e.getMessage(), e);
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
    ManifestCodec.check(manifest);
    return manifest;
  }

  /**
   * Reads the /1 shape; only when that parse stops at a top-level {@code sbom} field, reads the
   * whole document again as the /2 shape. Both passes use the same strict parser on the same
   * bytes, so they cannot disagree about what the document holds; the second pass re-checks
   * everything (an {@code sbom} that is null or of the wrong shape is MALFORMED), and the record
   * then requires the format to match the presence of the SBOM. No tree of the document is
   * built: a 64 MiB manifest costs its records only.
   */
  private static Manifest read(byte[] json) throws IOException {
    WireV1 v1;
    try {
      v1 = MAPPER.readValue(json, WireV1.class);
    } catch (UnrecognizedPropertyException e) {
      if ("sbom".equals(e.getPropertyName()) && e.getPath().size() == 1) {
        WireV2 v2 = MAPPER.readValue(json, WireV2.class);
        return v2 == null ? null : v2.manifest();
      }
      throw e;
    }
    return v1 == null ? null : v1.manifest();
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
    return ManifestCodec.malformed(detail, cause);
  }
}
