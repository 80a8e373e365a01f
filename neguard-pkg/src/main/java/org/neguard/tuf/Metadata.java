package org.neguard.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import org.neguard.verdict.RefusalException;

/**
 * The signed envelope of a TUF metadata file: {@code {"signatures": [...], "signed": {...}}}.
 * {@code signed} is kept exactly as read, unknown fields included, because signatures are over
 * its canonical form; the typed views ({@link #root()}, {@link #targets()}...) read it.
 *
 * <p>Immutable: the node is copied in and out.
 *
 * @param signed the signed object
 * @param signatures the signatures, in file order (duplicates kept: they count once)
 */
public record Metadata(ObjectNode signed, List<Signature> signatures) {
  /** The TUF specification version this repository writes. */
  public static final String SPEC_VERSION = "1.0.31";

  public Metadata {
    Objects.requireNonNull(signed, "signed");
    signed = signed.deepCopy();
    signatures = List.copyOf(signatures);
  }

  /** A copy of the signed object. */
  @Override
  public ObjectNode signed() {
    return signed.deepCopy();
  }

  /**
   * Parses a metadata file strictly.
   *
   * @throws RefusalException {@code SIZE_LIMIT} above {@code maxBytes}; {@code MALFORMED} for
   *     duplicate keys, floats, trailing data, fields other than {@code signed} and
   *     {@code signatures}, a {@code _type} that is not one of the four roles, a major
   *     {@code spec_version} other than 1, or a missing {@code version}/{@code expires}
   */
  public static Metadata parse(byte[] bytes, long maxBytes) throws RefusalException {
    ObjectNode root = CanonicalJson.parseObject(bytes, maxBytes, "a TUF metadata file");
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!f.equals("signed") && !f.equals("signatures")) {
        throw Fields.malformed("the envelope has the field " + Shown.shown(f)
            + "; it has only signed and signatures");
      }
    }
    ObjectNode signed = (ObjectNode) Fields.object(root, "signed", "the envelope");
    JsonNode sigs = root.get("signatures");
    if (sigs == null || !sigs.isArray()) {
      throw Fields.malformed("the envelope has no signatures array");
    }
    List<Signature> signatures = new ArrayList<>();
    for (JsonNode s : sigs) {
      if (!s.isObject()) {
        throw Fields.malformed("a signature is not an object");
      }
      signatures.add(new Signature(Fields.text(s, "keyid", "a signature"),
          Fields.text(s, "sig", "a signature")));
    }
    Metadata md = new Metadata(signed, signatures);
    checkCommon(signed);
    return md;
  }

  private static void checkCommon(JsonNode signed) throws RefusalException {
    try {
      Role.of(Fields.text(signed, "_type", "the signed object"));
    } catch (IllegalArgumentException e) {
      throw Fields.malformed(e.getMessage());
    }
    String spec = Fields.text(signed, "spec_version", "the signed object");
    String[] parts = spec.split("\\.", -1);
    if (parts.length < 2 || parts.length > 3 || !parts[0].equals("1")) {
      throw Fields.malformed("spec_version " + Shown.shown(spec)
          + " is not a TUF 1.x version this client reads");
    }
    Fields.positiveInt(signed, "version", "the signed object");
    Fields.expires(signed, "the signed object");
  }

  /** An envelope with no signatures yet. */
  public static Metadata unsigned(ObjectNode signed) {
    return new Metadata(signed, List.of());
  }

  public Role role() {
    return Role.of(signed.path("_type").asText());
  }

  public int version() {
    return signed.path("version").asInt();
  }

  public Instant expires() {
    return Instant.parse(signed.path("expires").asText());
  }

  /** The canonical JSON of {@code signed}: the bytes every signature is over. */
  public byte[] canonicalSigned() {
    return CanonicalJson.encode(signed);
  }

  /**
   * The whole file: sorted keys and no whitespace like the canonical form, with control
   * characters escaped so that any JSON parser reads it (deterministic: the same metadata, the
   * same bytes, so the role above always hashes what is served).
   */
  public byte[] toBytes() {
    ObjectNode root = CanonicalJson.newObject();
    ArrayNode sigs = root.putArray("signatures");
    for (Signature s : signatures) {
      sigs.addObject().put("keyid", s.keyid()).put("sig", s.sig());
    }
    root.set("signed", signed);
    return CanonicalJson.encodeFile(root);
  }

  /** A copy with a signature by {@code key}, replacing an earlier one by the same key id. */
  public Metadata sign(SigningKey key) {
    String sig = Crypto.HEX.formatHex(key.sign(canonicalSigned()));
    List<Signature> out = new ArrayList<>();
    for (Signature s : signatures) {
      if (!s.keyid().equals(key.keyId())) {
        out.add(s);
      }
    }
    out.add(new Signature(key.keyId(), sig));
    return new Metadata(signed, out);
  }

  /** @throws RefusalException {@code MALFORMED} when this is not a valid root */
  public RootMetadata root() throws RefusalException {
    return RootMetadata.fromSigned(signed);
  }

  /** @throws RefusalException {@code MALFORMED}, or {@code UNSAFE_PATH} for a target name */
  public TargetsMetadata targets() throws RefusalException {
    return TargetsMetadata.fromSigned(signed);
  }

  public SnapshotMetadata snapshot() throws RefusalException {
    return SnapshotMetadata.fromSigned(signed);
  }

  public TimestampMetadata timestamp() throws RefusalException {
    return TimestampMetadata.fromSigned(signed);
  }
}
