package org.neguard.tuf;

import org.neguard.verdict.RefusalException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A snapshot or timestamp {@code meta} entry: the version, and optionally the length and SHA-256,
 * of the metadata file below.
 *
 * @param version the file's version, from 1
 * @param length its length in bytes, or null when the entry has none (the specification makes it
 *     optional; this repository always writes it)
 * @param sha256 its SHA-256, or null when the entry has no hashes
 */
public record MetaFile(int version, Long length, String sha256) {
  public MetaFile {
    if (version < 1) {
      throw new IllegalArgumentException("meta version " + version + " < 1");
    }
    if (length != null && length < 0) {
      throw new IllegalArgumentException("meta length " + length + " < 0");
    }
    if (sha256 != null && !Crypto.SHA256_HEX.matcher(sha256).matches()) {
      throw new IllegalArgumentException("meta sha256 is not 64 lower-case hex characters");
    }
  }

  /** The entry for a file: its version, length and SHA-256. */
  public static MetaFile of(int version, byte[] fileBytes) {
    return new MetaFile(version, (long) fileBytes.length, Crypto.sha256Hex(fileBytes));
  }

  static MetaFile read(JsonNode node, String where) throws RefusalException {
    if (node == null || !node.isObject()) {
      throw Fields.malformed(where + " is missing or not an object");
    }
    int version = Fields.positiveInt(node, "version", where);
    Long length = node.has("length") ? Fields.nonNegativeLong(node, "length", where) : null;
    String sha256 = node.has("hashes") ? Fields.sha256(node.get("hashes"), where) : null;
    return new MetaFile(version, length, sha256);
  }

  ObjectNode toJson() {
    ObjectNode o = CanonicalJson.newObject();
    if (length != null) {
      o.put("length", length);
    }
    if (sha256 != null) {
      o.putObject("hashes").put("sha256", sha256);
    }
    o.put("version", version);
    return o;
  }
}
