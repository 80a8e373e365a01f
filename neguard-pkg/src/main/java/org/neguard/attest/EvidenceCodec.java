package org.neguard.attest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.neguard.json.StrictJson;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeDigest;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The evidence payload's JSON (docs/MEASUREMENT.md, "Evidence"). Read once, strictly: duplicate
 * keys, unknown fields, wrong types and trailing data are refused, so the validation entity
 * judges exactly the object that was signed.
 */
final class EvidenceCodec {
  private static final ObjectMapper MAPPER = StrictJson.builder()
      .disable(SerializationFeature.INDENT_OUTPUT).build();
  /** Components per evidence, and files per component: bounded before anything is judged. */
  static final int MAX_COMPONENTS = 256;
  static final int MAX_LEAVES = 200_000;
  private static final Set<String> PAYLOAD_FIELDS = Set.of("format", "deviceId", "nonce",
      "measuredAt", "trustBase", "timAlgorithm", "tim", "components", "quote");
  private static final Set<String> COMPONENT_FIELDS = Set.of("name", "reference", "digest",
      "files");
  private static final Set<String> FILE_FIELDS = Set.of("path", "sha256", "mode");

  private EvidenceCodec() {}

  static byte[] encode(Evidence e) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("format", e.format());
    n.put("deviceId", e.deviceId());
    n.put("nonce", e.nonce());
    n.put("measuredAt", e.measuredAt().toString());
    n.put("trustBase", e.trustBase().name());
    n.put("timAlgorithm", PlatformTim.ALGORITHM);
    n.put("tim", e.tim());
    ArrayNode cs = n.putArray("components");
    for (Evidence.Component c : e.components()) {
      ObjectNode o = cs.addObject();
      o.put("name", c.name());
      o.put("reference", c.reference().name());
      o.put("digest", c.digest());
      ArrayNode leaves = o.putArray("files");
      for (TreeDigest.Leaf l : c.leaves()) {
        leaves.addObject().put("path", l.path()).put("sha256", l.sha256())
            .put("mode", TreeDigest.formatMode(l.mode()));
      }
    }
    e.quote().ifPresent(q -> n.putObject("quote").put("pcr", q.pcr())
        .put("attest", Base64.getEncoder().encodeToString(q.attest()))
        .put("signature", Base64.getEncoder().encodeToString(q.signature()))
        .put("eventLog", Base64.getEncoder().encodeToString(q.eventLog())));
    try {
      return MAPPER.writeValueAsBytes(n);
    } catch (IOException ex) {
      throw new UncheckedIOException("an evidence tree always serializes", ex);
    }
  }

  static JsonNode readObject(byte[] json, String what) throws RefusalException {
    JsonNode tree;
    try {
      tree = MAPPER.readTree(json);
    } catch (IOException e) {
      throw malformed("its " + what + " is not strict JSON (" + firstLine(e.getMessage()) + ")");
    }
    if (tree == null || !tree.isObject()) {
      throw malformed("its " + what + " is not a JSON object");
    }
    return tree;
  }

  static Evidence decode(byte[] json) throws RefusalException {
    JsonNode n = readObject(json, "payload");
    only(n, "payload", PAYLOAD_FIELDS);
    if (!Evidence.FORMAT.equals(text(n, "format"))) {
      throw new RefusalException(ReasonCode.FORMAT_VERSION, "evidence format "
          + text(n, "format") + ", this validation entity reads " + Evidence.FORMAT);
    }
    if (!PlatformTim.ALGORITHM.equals(text(n, "timAlgorithm"))) {
      throw new RefusalException(ReasonCode.ALGORITHM_NOT_ALLOWED, "TIM algorithm "
          + text(n, "timAlgorithm") + ", not " + PlatformTim.ALGORITHM);
    }
    JsonNode cs = n.get("components");
    if (cs == null || !cs.isArray()) {
      throw malformed("components is not an array");
    }
    if (cs.size() > MAX_COMPONENTS) {
      throw new RefusalException(ReasonCode.SIZE_LIMIT, cs.size() + " components: at most "
          + MAX_COMPONENTS);
    }
    try {
      List<Evidence.Component> components = new ArrayList<>();
      for (JsonNode c : cs) {
        only(c, "component", COMPONENT_FIELDS);
        JsonNode files = c.get("files");
        if (files == null || !files.isArray()) {
          throw malformed("a component's files is not an array");
        }
        if (files.size() > MAX_LEAVES) {
          throw new RefusalException(ReasonCode.SIZE_LIMIT, "component " + text(c, "name")
              + " lists " + files.size() + " files: at most " + MAX_LEAVES);
        }
        List<TreeDigest.Leaf> leaves = new ArrayList<>(files.size());
        for (JsonNode f : files) {
          only(f, "file", FILE_FIELDS);
          leaves.add(new TreeDigest.Leaf(text(f, "path"), text(f, "sha256"),
              mode(text(f, "mode"))));
        }
        components.add(new Evidence.Component(text(c, "name"),
            PlatformTim.Reference.valueOf(text(c, "reference")), text(c, "digest"), leaves));
      }
      Optional<Evidence.Quote> quote = Optional.empty();
      JsonNode q = n.get("quote");
      if (q != null) {
        only(q, "quote", Set.of("pcr", "attest", "signature", "eventLog"));
        JsonNode pcr = q.get("pcr");
        if (pcr == null || !pcr.isInt()) {
          throw malformed("quote.pcr is not an integer");
        }
        quote = Optional.of(new Evidence.Quote(pcr.intValue(),
            Base64.getDecoder().decode(text(q, "attest")),
            Base64.getDecoder().decode(text(q, "signature")), eventLog(text(q, "eventLog"))));
      }
      return new Evidence(Evidence.FORMAT, text(n, "deviceId"), text(n, "nonce"),
          Instant.parse(text(n, "measuredAt")), Evidence.TrustBase.valueOf(text(n,
              "trustBase")), components, text(n, "tim"), quote);
    } catch (IllegalArgumentException | DateTimeParseException e) {
      throw malformed(firstLine(e.getMessage()));
    }
  }

  /** The event log's base64, its length checked before it is decoded. */
  private static byte[] eventLog(String base64) throws RefusalException {
    EventLog.checkLength(base64.length() / 4L * 3);
    return Base64.getDecoder().decode(base64);
  }

  /** Four octal digits (a regex per file cost a tenth of a verification). */
  private static int mode(String mode) throws RefusalException {
    int bits = 0;
    for (int i = 0; i < mode.length(); i++) {
      char c = mode.charAt(i);
      if (mode.length() != 4 || c < '0' || c > '7') {
        throw malformed("a file mode is not four octal digits: " + mode);
      }
      bits = bits * 8 + (c - '0');
    }
    if (mode.length() != 4) {
      throw malformed("a file mode is not four octal digits: " + mode);
    }
    return bits;
  }

  private static void only(JsonNode n, String what, Set<String> fields)
      throws RefusalException {
    if (!n.isObject()) {
      throw malformed("a " + what + " is not an object");
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!fields.contains(f)) {
        throw malformed("a " + what + " carries the unknown field " + shown(f));
      }
    }
  }

  private static String text(JsonNode n, String field) throws RefusalException {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      throw malformed(field + " is missing or not a string");
    }
    return v.textValue();
  }

  static String shown(String s) {
    if (s == null) {
      return "(none)";
    }
    String cut = s.length() > 64 ? s.substring(0, 64) + "..." : s;
    return '"' + cut.replaceAll("[^\\x20-\\x7e]", "?") + '"';
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  static RefusalException malformed(String message) {
    return new RefusalException(ReasonCode.MALFORMED, "the evidence is malformed: " + message);
  }
}
