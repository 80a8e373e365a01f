package org.neguard.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.neguard.pki.Curves;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * A TUF key as metadata carries it: {@code {"keytype", "scheme", "keyval": {"public"}}}. Its id is
 * the lower-case hex SHA-256 of that object's canonical JSON, so the same key always has the
 * same id (which is what makes "each key counts once" towards a threshold hold).
 *
 * @param keytype "ed25519" or "ecdsa"
 * @param scheme "ed25519" or "ecdsa-sha2-nistp256"
 * @param publicValue Ed25519: 64 lower-case hex characters of the raw key; ECDSA: a PEM
 *     SubjectPublicKeyInfo of a P-256 key
 */
public record TufKey(String keytype, String scheme, String publicValue) {
  /** The DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
  private static final byte[] ED25519_SPKI_PREFIX =
      Crypto.HEX.parseHex("302a300506032b6570032100");
  private static final Pattern ED25519_HEX = Pattern.compile("[0-9a-f]{64}");
  private static final String PEM_BEGIN = "-----BEGIN PUBLIC KEY-----";
  private static final String PEM_END = "-----END PUBLIC KEY-----";
  private static final Set<String> FIELDS = Set.of("keytype", "scheme", "keyval");

  /**
   * Checks that the value decodes to a key of its type.
   *
   * @throws IllegalArgumentException for an unsupported type or a value that is not such a key
   */
  public TufKey {
    Objects.requireNonNull(keytype, "keytype");
    Objects.requireNonNull(scheme, "scheme");
    Objects.requireNonNull(publicValue, "publicValue");
    decode(KeyType.of(keytype, scheme), publicValue);
  }

  /**
   * The TUF key of a public key.
   *
   * @throws IllegalArgumentException for a key that is neither Ed25519 nor EC on P-256
   */
  public static TufKey of(PublicKey key) {
    Objects.requireNonNull(key, "key");
    byte[] spki = key.getEncoded();
    if (("Ed25519".equals(key.getAlgorithm()) || "EdDSA".equals(key.getAlgorithm()))
        && spki != null && spki.length == 44
        && Arrays.equals(spki, 0, 12, ED25519_SPKI_PREFIX, 0, 12)) {
      return new TufKey(KeyType.ED25519.keytype(), KeyType.ED25519.scheme(),
          Crypto.HEX.formatHex(spki, 12, 44));
    }
    if (key instanceof ECPublicKey ec && Curves.isP256(ec.getParams())) {
      return new TufKey(KeyType.ECDSA_P256.keytype(), KeyType.ECDSA_P256.scheme(), pem(spki));
    }
    throw new IllegalArgumentException("a " + key.getAlgorithm()
        + " key is not a TUF key here; use Ed25519 or ECDSA on P-256");
  }

  private static String pem(byte[] spki) {
    String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(spki);
    return PEM_BEGIN + "\n" + b64 + "\n" + PEM_END + "\n";
  }

  public KeyType type() {
    return KeyType.of(keytype, scheme);
  }

  /** Lower-case hex SHA-256 of the canonical JSON of {@link #toJson()}. */
  public String keyId() {
    return Crypto.sha256Hex(CanonicalJson.encode(toJson()));
  }

  /** {@code {"keytype", "keyval": {"public"}, "scheme"}}. */
  public ObjectNode toJson() {
    ObjectNode o = CanonicalJson.newObject();
    o.put("keytype", keytype);
    o.putObject("keyval").put("public", publicValue);
    o.put("scheme", scheme);
    return o;
  }

  /**
   * Reads a TUF key strictly: exactly {@code keytype}, {@code scheme} and {@code keyval} with
   * only {@code public}, so that the key's id is the hash of what was read.
   *
   * @throws RefusalException {@code MALFORMED} for any other shape, an unsupported type or a
   *     public value that is not such a key
   */
  public static TufKey fromJson(JsonNode json) throws RefusalException {
    if (json == null || !json.isObject()) {
      throw malformed("a key is not a JSON object");
    }
    for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        throw malformed("a key has the field " + Shown.shown(f)
            + "; a key has only keytype, scheme and keyval");
      }
    }
    JsonNode keyval = json.get("keyval");
    if (keyval == null || !keyval.isObject() || keyval.size() != 1
        || !keyval.path("public").isTextual()) {
      throw malformed("a key's keyval is not {\"public\": \"...\"}");
    }
    if (!json.path("keytype").isTextual() || !json.path("scheme").isTextual()) {
      throw malformed("a key has no keytype or scheme string");
    }
    try {
      return new TufKey(json.get("keytype").textValue(), json.get("scheme").textValue(),
          keyval.get("public").textValue());
    } catch (IllegalArgumentException e) {
      throw malformed(e.getMessage());
    }
  }

  /** The key as a JDK public key. */
  public PublicKey toPublicKey() {
    return decode(type(), publicValue);
  }

  private static PublicKey decode(KeyType type, String value) {
    try {
      if (type == KeyType.ED25519) {
        if (!ED25519_HEX.matcher(value).matches()) {
          throw new IllegalArgumentException(
              "an ed25519 key's public value is not 64 lower-case hex characters");
        }
        byte[] spki = new byte[44];
        System.arraycopy(ED25519_SPKI_PREFIX, 0, spki, 0, 12);
        System.arraycopy(Crypto.HEX.parseHex(value), 0, spki, 12, 32);
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
      }
      String v = value.strip();
      if (!v.startsWith(PEM_BEGIN) || !v.endsWith(PEM_END)) {
        throw new IllegalArgumentException(
            "an ecdsa key's public value is not a PEM PUBLIC KEY block");
      }
      String body = v.substring(PEM_BEGIN.length(), v.length() - PEM_END.length());
      byte[] der = Base64.getMimeDecoder().decode(body);
      PublicKey key = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der));
      if (!(key instanceof ECPublicKey ec) || !Curves.isP256(ec.getParams())) {
        throw new IllegalArgumentException("an ecdsa key is not on P-256");
      }
      return key;
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      if (e instanceof IllegalArgumentException iae && iae.getMessage() != null
          && iae.getMessage().startsWith("an ")) {
        throw iae;
      }
      throw new IllegalArgumentException(
          "a " + type.keytype() + " key's public value does not decode: " + e.getMessage(), e);
    }
  }

  /**
   * Whether {@code signature} is a valid signature of {@code data} by this key: Ed25519 over the
   * bytes, or DER ECDSA with SHA-256. Never throws: anything wrong is "not valid".
   */
  public boolean verifies(byte[] data, byte[] signature) {
    try {
      java.security.Signature v = java.security.Signature.getInstance(
          type() == KeyType.ED25519 ? "Ed25519" : "SHA256withECDSA");
      v.initVerify(toPublicKey());
      v.update(data);
      return v.verify(signature);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  private static RefusalException malformed(String what) {
    return new RefusalException(ReasonCode.MALFORMED, "a TUF key is malformed: " + what);
  }
}
