package org.neguard.vuln;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.github.packageurl.MalformedPackageURLException;
import com.github.packageurl.PackageURL;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Reads and writes CycloneDX JSON SBOMs, specification versions 1.4 to 1.6 (cyclonedx.org).
 *
 * <p>Reading is strict where a field feeds the assessment and bounded everywhere, because an SBOM
 * decides what a package is judged to carry: one streaming pass (no tree of the document), at most
 * {@link #MAX_BYTES} read (a larger document is refused unparsed), at most {@link
 * #MAX_COMPONENTS} components and {@link #MAX_DEPTH} levels of nested components counted as they
 * are met, duplicate keys and data after the document refused (two parsers must not read one SBOM
 * two ways), a top-level or component field the 1.6 schema does not define refused, the fields
 * used ({@code type}, {@code name}, {@code version}, {@code purl}, {@code bom-ref}) checked for
 * type and value, a malformed package URL refused. Fields that are defined but not used (licences,
 * hashes, pedigree...) are skipped without being kept.
 *
 * <p>A component without a package URL, or whose package URL has no version, cannot be matched:
 * it is listed in {@link Sbom#unidentified()}, which reports show as not assessed, never as clean.
 *
 * <p>Thread-safe.
 */
public final class CycloneDx {
  /** Largest SBOM read: a full distribution image's is a few MiB. Also the bundle's bound. */
  public static final int MAX_BYTES = 32 << 20;
  /** Most components, nested ones included. */
  public static final int MAX_COMPONENTS = 100_000;
  /** Most levels of components inside components (an application's bundled libraries...). */
  public static final int MAX_DEPTH = 8;
  /** The specification version this class writes. */
  public static final String WRITTEN_SPEC = "1.5";

  private static final List<String> SPECS = List.of("1.4", "1.5", "1.6");
  private static final JsonFactory JSON = JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      // Nesting and string sizes bounded before they are spent; 64 levels leave room for
      // MAX_DEPTH nested components and their pedigrees.
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxNestingDepth(64).maxStringLength(1 << 20).maxNumberLength(40).build())
      .build();
  private static final Set<String> TOP_FIELDS = Set.of("$schema", "bomFormat", "specVersion",
      "serialNumber", "version", "metadata", "components", "services", "externalReferences",
      "dependencies", "compositions", "properties", "vulnerabilities", "annotations", "formulation",
      "declarations", "definitions", "signature");
  private static final Set<String> METADATA_FIELDS = Set.of("timestamp", "lifecycles", "tools",
      "authors", "component", "manufacture", "manufacturer", "supplier", "licenses", "properties");
  private static final Set<String> COMPONENT_FIELDS = Set.of("type", "mime-type", "bom-ref",
      "supplier", "manufacturer", "authors", "author", "publisher", "group", "name", "version",
      "description", "scope", "hashes", "licenses", "copyright", "cpe", "purl", "omniborId",
      "swhid", "swid", "modified", "pedigree", "externalReferences", "properties", "components",
      "evidence", "releaseNotes", "modelCard", "data", "cryptoProperties", "tags", "signature");
  /** Component types and the specification version that introduced each. */
  private static final Map<String, String> TYPES = Map.ofEntries(
      Map.entry("application", "1.4"), Map.entry("framework", "1.4"),
      Map.entry("library", "1.4"), Map.entry("container", "1.4"),
      Map.entry("operating-system", "1.4"), Map.entry("device", "1.4"),
      Map.entry("firmware", "1.4"), Map.entry("file", "1.4"),
      Map.entry("platform", "1.5"), Map.entry("device-driver", "1.5"),
      Map.entry("machine-learning-model", "1.5"), Map.entry("data", "1.5"),
      Map.entry("cryptographic-asset", "1.6"));
  private static final Pattern SERIAL =
      Pattern.compile("urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}");

  private CycloneDx() {}

  /**
   * An SBOM as far as assessment needs it.
   *
   * @param specVersion {@code 1.4}, {@code 1.5} or {@code 1.6}
   * @param subject what the SBOM describes ({@code metadata.component}), when it says
   * @param components every component with a versioned package URL, once each, in document order
   * @param unidentified the components that cannot be matched, each with why
   */
  public record Sbom(String specVersion, Optional<Subject> subject, List<Component> components,
      List<Unidentified> unidentified) {
    public Sbom {
      Objects.requireNonNull(specVersion, "specVersion");
      Objects.requireNonNull(subject, "subject");
      components = List.copyOf(components);
      unidentified = List.copyOf(unidentified);
    }

    /** The components as an inventory with no exposures: a package is not running. */
    public Inventory inventory() {
      return new Inventory(components, List.of());
    }
  }

  /** The product an SBOM describes: {@code metadata.component}'s name and version. */
  public record Subject(String name, Optional<String> version) {
    public Subject {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(version, "version");
    }
  }

  /** A component without a versioned package URL: listed, not assessed. */
  public record Unidentified(String name, Optional<String> version, String reason) {
    public Unidentified {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(version, "version");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** The tool that wrote an SBOM, named in its metadata. */
  public record Tool(String vendor, String name, String version) {
    public Tool {
      Objects.requireNonNull(vendor, "vendor");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(version, "version");
    }
  }

  /**
   * Reads the SBOM in {@code file}; its size is checked before any of it is read.
   *
   * @throws RefusalException {@code SIZE_LIMIT} above {@link #MAX_BYTES}, else as {@link #read(byte[], String)}
   */
  public static Sbom read(Path file) throws IOException, RefusalException {
    long size = Files.size(file);
    if (size > MAX_BYTES) {
      throw RefusalException.about(ReasonCode.SIZE_LIMIT, file.toString(), "the SBOM " + file
          + " is " + size + " bytes, more than the limit of " + MAX_BYTES
          + "; list one component per package and leave out licence texts");
    }
    try (InputStream in = Files.newInputStream(file)) {
      return read(in, file.toString());
    }
  }

  /** Reads at most {@link #MAX_BYTES} + 1 bytes of {@code in}: one more is a refusal. */
  public static Sbom read(InputStream in, String source) throws IOException, RefusalException {
    byte[] bytes = in.readNBytes(MAX_BYTES + 1);
    if (bytes.length > MAX_BYTES) {
      throw RefusalException.about(ReasonCode.SIZE_LIMIT, source, "the SBOM " + source
          + " holds more than " + MAX_BYTES + " bytes; list one component per package");
    }
    return read(bytes, source);
  }

  /**
   * Reads and checks an SBOM.
   *
   * @param source names the document in messages (a file, a bundle entry)
   * @throws RefusalException {@code SIZE_LIMIT} past a bound, {@code MALFORMED} for anything that
   *     is not a CycloneDX 1.4-1.6 JSON BOM as described above
   */
  public static Sbom read(byte[] json, String source) throws RefusalException {
    if (json.length > MAX_BYTES) {
      throw RefusalException.about(ReasonCode.SIZE_LIMIT, source, "the SBOM " + source + " is "
          + json.length + " bytes, more than the limit of " + MAX_BYTES);
    }
    try (JsonParser p = JSON.createParser(json)) {
      return new Reading(p, source).document();
    } catch (JsonProcessingException e) {
      throw malformed(source, "not valid JSON (" + firstLine(e.getOriginalMessage()) + ")");
    } catch (IOException e) {
      throw new UncheckedIOException("reading from memory", e);
    }
  }

  /** One pass over one document. */
  private static final class Reading {
    private final JsonParser p;
    private final String source;
    private final List<Component> components = new ArrayList<>();
    private final Set<String> purls = new HashSet<>();
    private final Set<String> bomRefs = new HashSet<>();
    private final List<Unidentified> unidentified = new ArrayList<>();
    private final Set<String> types = new HashSet<>();
    private int count;

    Reading(JsonParser p, String source) {
      this.p = p;
      this.source = source;
    }

    Sbom document() throws IOException, RefusalException {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw malformed(source, "the document is not a JSON object");
      }
      String bomFormat = null;
      String spec = null;
      Optional<Subject> subject = Optional.empty();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        switch (field) {
          case "bomFormat" -> bomFormat = string("bomFormat");
          case "specVersion" -> spec = string("specVersion");
          case "serialNumber" -> {
            String serial = string("serialNumber");
            if (!SERIAL.matcher(serial).matches()) {
              throw malformed(source, "serialNumber '" + printable(serial)
                  + "' is not a urn:uuid: RFC 4122 UUID");
            }
          }
          case "version" -> {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT || p.getLongValue() < 1) {
              throw malformed(source, "'version' must be an integer >= 1");
            }
          }
          case "metadata" -> subject = metadata();
          case "components" -> componentArray("components", 1);
          default -> {
            if (!TOP_FIELDS.contains(field)) {
              throw malformed(source, "unknown field '" + printable(field)
                  + "' (not in the CycloneDX 1.6 schema)");
            }
            p.skipChildren();
          }
        }
      }
      if (p.nextToken() != null) {
        throw malformed(source, "data follows the JSON object");
      }
      if (!"CycloneDX".equals(bomFormat)) {
        throw malformed(source, bomFormat == null ? "no bomFormat: not a CycloneDX BOM"
            : "bomFormat is '" + printable(bomFormat) + "', expected CycloneDX");
      }
      if (spec == null || !SPECS.contains(spec)) {
        throw malformed(source, spec == null ? "no specVersion"
            : "specVersion " + printable(spec) + " is not supported; write CycloneDX 1.4, 1.5 or"
                + " 1.6 JSON");
      }
      for (String type : types) {
        if (TYPES.get(type).compareTo(spec) > 0) {
          throw malformed(source, "component type '" + type + "' is not defined in CycloneDX "
              + spec + " (introduced in " + TYPES.get(type) + ")");
        }
      }
      return new Sbom(spec, subject, components, unidentified);
    }

    private Optional<Subject> metadata() throws IOException, RefusalException {
      expect(JsonToken.START_OBJECT, "metadata");
      Optional<Subject> subject = Optional.empty();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        if (field.equals("component")) {
          subject = Optional.of(subject());
        } else if (METADATA_FIELDS.contains(field)) {
          p.skipChildren();
        } else {
          throw malformed(source, "unknown field 'metadata." + printable(field) + "'");
        }
      }
      return subject;
    }

    /** metadata.component: the product itself, not one of its parts. */
    private Subject subject() throws IOException, RefusalException {
      expect(JsonToken.START_OBJECT, "metadata.component");
      String name = null;
      String version = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        switch (field) {
          case "name" -> name = string("metadata.component.name");
          case "version" -> version = string("metadata.component.version");
          case "type" -> type(string("metadata.component.type"));
          // The product's own parts: assessed like top-level components, never skipped.
          case "components" -> componentArray("metadata.component.components", 1);
          default -> {
            if (!COMPONENT_FIELDS.contains(field)) {
              throw malformed(source, "unknown field 'metadata.component." + printable(field) + "'");
            }
            p.skipChildren();
          }
        }
      }
      if (name == null || name.isBlank()) {
        throw malformed(source, "metadata.component has no name");
      }
      return new Subject(name, Optional.ofNullable(version));
    }

    private void componentArray(String where, int depth) throws IOException, RefusalException {
      if (depth > MAX_DEPTH) {
        throw RefusalException.about(ReasonCode.SIZE_LIMIT, source, "the SBOM " + source
            + " nests components more than " + MAX_DEPTH + " levels deep (at " + where + ")");
      }
      expect(JsonToken.START_ARRAY, where);
      int i = 0;
      while (p.nextToken() != JsonToken.END_ARRAY) {
        component(where + "[" + i++ + "]", depth);
      }
    }

    private void component(String where, int depth) throws IOException, RefusalException {
      // Counted when met, before anything of it is kept.
      if (++count > MAX_COMPONENTS) {
        throw RefusalException.about(ReasonCode.SIZE_LIMIT, source, "the SBOM " + source
            + " lists more than " + MAX_COMPONENTS + " components");
      }
      expect(JsonToken.START_OBJECT, where);
      String type = null;
      String name = null;
      String version = null;
      String purl = null;
      String cpe = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        switch (field) {
          case "type" -> type = type(string(where + ".type"));
          case "name" -> name = string(where + ".name");
          case "version" -> version = string(where + ".version");
          case "purl" -> purl = string(where + ".purl");
          case "cpe" -> cpe = string(where + ".cpe");
          case "bom-ref" -> {
            String ref = string(where + ".bom-ref");
            if (!bomRefs.add(ref)) {
              throw malformed(source, "bom-ref '" + printable(ref) + "' is used twice (again at "
                  + where + "); each must be unique");
            }
          }
          case "components" -> componentArray(where + ".components", depth + 1);
          default -> {
            if (!COMPONENT_FIELDS.contains(field)) {
              throw malformed(source, "unknown field '" + printable(field) + "' in " + where);
            }
            p.skipChildren();
          }
        }
      }
      if (type == null) {
        throw malformed(source, where + " has no type");
      }
      if (name == null || name.isBlank()) {
        throw malformed(source, where + " has no name");
      }
      identify(where, name, version, purl, cpe);
    }

    private void identify(String where, String name, String version, String purl, String cpe)
        throws RefusalException {
      if (purl == null) {
        unidentified.add(new Unidentified(name, Optional.ofNullable(version),
            "no package URL (purl): cannot be matched against advisories"));
        return;
      }
      PackageURL parsed;
      try {
        parsed = new PackageURL(purl);
      } catch (MalformedPackageURLException e) {
        throw malformed(source, where + " (" + printable(name) + ") has a malformed package URL '"
            + printable(purl) + "': " + e.getMessage());
      }
      if (parsed.getVersion() == null || parsed.getVersion().isEmpty()) {
        unidentified.add(new Unidentified(name, Optional.ofNullable(version),
            "package URL " + purl + " has no version: cannot be matched"));
        return;
      }
      if (version != null && !version.equals(parsed.getVersion())) {
        // Two versions for one component: which one was assessed would depend on the reader.
        throw malformed(source, where + " (" + printable(name) + ") says version '"
            + printable(version) + "' but its package URL says '" + printable(parsed.getVersion())
            + "'; make them agree");
      }
      Component c;
      try {
        c = Component.ofPurl(purl);
      } catch (IllegalArgumentException e) {
        throw malformed(source, where + " (" + printable(name) + "): " + e.getMessage());
      }
      if (cpe != null) {
        c = new Component(c.ecosystem(), c.name(), c.version(), c.purl(), c.source(),
            Optional.of(cpe));
      }
      if (purls.add(c.purl())) {
        components.add(c);
      }
    }

    private String type(String type) throws RefusalException {
      if (!TYPES.containsKey(type)) {
        throw malformed(source, "component type '" + printable(type) + "' is not a CycloneDX type");
      }
      types.add(type);
      return type;
    }

    private String string(String field) throws IOException, RefusalException {
      if (p.currentToken() != JsonToken.VALUE_STRING) {
        throw malformed(source, "'" + field + "' must be a string");
      }
      return p.getText();
    }

    private void expect(JsonToken token, String field) throws RefusalException {
      if (p.currentToken() != token) {
        throw malformed(source, "'" + field + "' must be "
            + (token == JsonToken.START_ARRAY ? "an array" : "an object"));
      }
    }
  }

  /**
   * Writes a CycloneDX {@value #WRITTEN_SPEC} JSON SBOM: {@code subject} as {@code
   * metadata.component} (an application), {@code tool} in {@code metadata.tools}, and each
   * component as a library with its package URL as {@code bom-ref}. The serial number is derived
   * from the content, so the same inputs give the same bytes (reproducible builds).
   */
  public static byte[] write(Subject subject, Tool tool, Instant timestamp,
      List<Component> components) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
      g.setPrettyPrinter(new DefaultPrettyPrinter());
      g.writeStartObject();
      g.writeStringField("bomFormat", "CycloneDX");
      g.writeStringField("specVersion", WRITTEN_SPEC);
      g.writeStringField("serialNumber", "urn:uuid:" + serial(subject, components));
      g.writeNumberField("version", 1);
      g.writeObjectFieldStart("metadata");
      g.writeStringField("timestamp", timestamp.truncatedTo(ChronoUnit.SECONDS).toString());
      g.writeObjectFieldStart("tools");
      g.writeArrayFieldStart("components");
      g.writeStartObject();
      g.writeStringField("type", "application");
      g.writeStringField("author", tool.vendor());
      g.writeStringField("name", tool.name());
      g.writeStringField("version", tool.version());
      g.writeEndObject();
      g.writeEndArray();
      g.writeEndObject();
      g.writeObjectFieldStart("component");
      g.writeStringField("type", "application");
      g.writeStringField("bom-ref", "subject");
      g.writeStringField("name", subject.name());
      if (subject.version().isPresent()) {
        g.writeStringField("version", subject.version().get());
      }
      g.writeEndObject();
      g.writeEndObject();
      g.writeArrayFieldStart("components");
      Set<String> written = new HashSet<>();
      for (Component c : components) {
        if (!written.add(c.purl())) {
          continue;
        }
        PackageURL purl = parse(c.purl());
        g.writeStartObject();
        g.writeStringField("type", "library");
        g.writeStringField("bom-ref", c.purl());
        if (purl.getNamespace() != null) {
          g.writeStringField("group", purl.getNamespace());
        }
        g.writeStringField("name", purl.getName());
        g.writeStringField("version", purl.getVersion());
        g.writeStringField("purl", c.purl());
        if (c.cpe().isPresent()) {
          g.writeStringField("cpe", c.cpe().get());
        }
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
      g.writeRaw('\n');
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory", e);
    }
    return out.toByteArray();
  }

  private static PackageURL parse(String purl) {
    try {
      return new PackageURL(purl);
    } catch (MalformedPackageURLException e) {
      throw new IllegalArgumentException("not a package URL: " + purl, e);
    }
  }

  private static String serial(Subject subject, List<Component> components) {
    Map<String, Boolean> seen = new LinkedHashMap<>();
    StringBuilder s = new StringBuilder(subject.name()).append('\0')
        .append(subject.version().orElse("")).append('\0');
    for (Component c : components) {
      if (seen.putIfAbsent(c.purl(), Boolean.TRUE) == null) {
        s.append(c.purl()).append('\n');
      }
    }
    return UUID.nameUUIDFromBytes(s.toString().getBytes(StandardCharsets.UTF_8)).toString();
  }

  private static RefusalException malformed(String source, String detail) {
    return RefusalException.about(ReasonCode.MALFORMED, source, "the SBOM " + source
        + " is not a valid CycloneDX 1.4-1.6 JSON BOM: " + detail);
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    s.codePoints().limit(200).forEach(c -> {
      if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\u%04x", c));
      } else {
        b.appendCodePoint(c);
      }
    });
    return s.codePointCount(0, s.length()) > 200 ? b + "..." : b.toString();
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unreadable";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
