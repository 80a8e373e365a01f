package org.neguard.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The root role's signed content: which keys sign for each role, and how many of them must.
 *
 * @param version the root's version, from 1
 * @param expires when it expires (whole seconds)
 * @param consistentSnapshot whether files are named by version and hash (NEGuard: always true)
 * @param keys every key a role lists, by key id (each id is its key's own id)
 * @param roles the four roles' key ids and thresholds
 */
public record RootMetadata(int version, Instant expires, boolean consistentSnapshot,
    Map<String, TufKey> keys, Map<Role, RoleKeys> roles) {
  /**
   * @throws IllegalArgumentException for a version below 1, a key filed under another id, a
   *     role missing, or a role naming a key not in {@code keys}
   */
  public RootMetadata {
    if (version < 1) {
      throw new IllegalArgumentException("root version " + version + " < 1");
    }
    Objects.requireNonNull(expires, "expires");
    expires = expires.truncatedTo(ChronoUnit.SECONDS);
    keys = Collections.unmodifiableMap(new TreeMap<>(keys));
    keys.forEach((id, key) -> {
      if (!key.keyId().equals(id)) {
        throw new IllegalArgumentException("key " + id + " is filed under an id that is not "
            + "its own (" + key.keyId() + "): the same key could count twice");
      }
    });
    EnumMap<Role, RoleKeys> r = new EnumMap<>(Role.class);
    r.putAll(roles);
    for (Role role : Role.values()) {
      RoleKeys rk = r.get(role);
      if (rk == null) {
        throw new IllegalArgumentException("the root lists no keys for " + role.roleName());
      }
      for (String id : rk.keyids()) {
        if (!keys.containsKey(id)) {
          throw new IllegalArgumentException(
              "role " + role.roleName() + " names key " + id + ", which the root does not list");
        }
      }
    }
    roles = Collections.unmodifiableMap(r);
  }

  /**
   * Reads root's signed object.
   *
   * @throws RefusalException {@code MALFORMED} for anything off the specification's format, a
   *     key under an id that is not its own, a threshold that cannot be met
   */
  public static RootMetadata fromSigned(JsonNode signed) throws RefusalException {
    Fields.type(signed, Role.ROOT);
    int version = Fields.positiveInt(signed, "version", "root");
    Instant expires = Fields.expires(signed, "root");
    JsonNode cs = signed.get("consistent_snapshot");
    if (cs != null && !cs.isBoolean()) {
      throw Fields.malformed("root's consistent_snapshot is not a boolean");
    }
    Map<String, TufKey> keys = new TreeMap<>();
    JsonNode keysNode = Fields.object(signed, "keys", "root");
    for (Map.Entry<String, JsonNode> e : keysNode.properties()) {
      keys.put(e.getKey(), TufKey.fromJson(e.getValue()));
    }
    JsonNode rolesNode = Fields.object(signed, "roles", "root");
    Map<Role, RoleKeys> roles = new EnumMap<>(Role.class);
    for (Role role : Role.values()) {
      JsonNode rn = Fields.object(rolesNode, role.roleName(), "root's roles");
      JsonNode ids = rn.get("keyids");
      if (ids == null || !ids.isArray()) {
        throw Fields.malformed("root's role " + role.roleName() + " has no keyids array");
      }
      List<String> keyids = new ArrayList<>();
      for (JsonNode id : ids) {
        if (!id.isTextual()) {
          throw Fields.malformed("root's role " + role.roleName() + " has a non-string keyid");
        }
        keyids.add(id.textValue());
      }
      int threshold = Fields.positiveInt(rn, "threshold", "root's role " + role.roleName());
      try {
        roles.put(role, new RoleKeys(keyids, threshold));
      } catch (IllegalArgumentException e) {
        throw Fields.malformed("root's role " + role.roleName() + ": " + e.getMessage());
      }
    }
    try {
      return new RootMetadata(version, expires, cs == null || cs.booleanValue(), keys, roles);
    } catch (IllegalArgumentException e) {
      throw Fields.malformed("root: " + e.getMessage());
    }
  }

  /** The signed object, with the specification's field names. */
  public ObjectNode toSigned() {
    ObjectNode o = CanonicalJson.newObject();
    o.put("_type", "root");
    o.put("consistent_snapshot", consistentSnapshot);
    o.put("expires", Fields.format(expires));
    ObjectNode k = o.putObject("keys");
    keys.forEach((id, key) -> k.set(id, key.toJson()));
    ObjectNode r = o.putObject("roles");
    roles.forEach((role, rk) -> {
      ObjectNode rn = r.putObject(role.roleName());
      ArrayNode ids = rn.putArray("keyids");
      rk.keyids().forEach(ids::add);
      rn.put("threshold", rk.threshold());
    });
    o.put("spec_version", Metadata.SPEC_VERSION);
    o.put("version", version);
    return o;
  }

  /** An unsigned envelope of this root, to be signed by each root key holder in turn. */
  public Metadata toMetadata() {
    return Metadata.unsigned(toSigned());
  }

  public RoleKeys role(Role role) {
    return roles.get(Objects.requireNonNull(role, "role"));
  }

  /** The keys of {@code role}, in the order root lists them. */
  public List<TufKey> keysOf(Role role) {
    return role(role).keyids().stream().map(keys::get).toList();
  }

  /**
   * How many distinct keys that this root lists for {@code role} made a valid signature of
   * {@code md}'s signed object. A key signing twice counts once; a key listed for another role
   * only, or not at all, counts nothing.
   */
  public int countValidSignatures(Role role, Metadata md) {
    Set<String> allowed = new HashSet<>(role(role).keyids());
    Set<String> valid = new HashSet<>();
    byte[] data = null;
    for (Signature s : md.signatures()) {
      if (!allowed.contains(s.keyid()) || valid.contains(s.keyid())) {
        continue;
      }
      byte[] sig;
      try {
        sig = Crypto.HEX.parseHex(s.sig());
      } catch (IllegalArgumentException e) {
        continue;
      }
      if (data == null) {
        data = md.canonicalSigned();
      }
      if (keys.get(s.keyid()).verifies(data, sig)) {
        valid.add(s.keyid());
      }
    }
    return valid.size();
  }

  /**
   * @throws RefusalException {@code REPO_SIGNATURE} when fewer than the role's threshold of
   *     distinct keys signed {@code md}
   */
  public void verifyThreshold(Role role, Metadata md) throws RefusalException {
    int valid = countValidSignatures(role, md);
    int threshold = role(role).threshold();
    if (valid < threshold) {
      throw RefusalException.about(ReasonCode.REPO_SIGNATURE, md.role().roleName(),
          md.role().roleName() + " metadata version " + md.version() + " has " + valid
              + " valid signature(s) by " + role.roleName() + " keys of root version " + version
              + ", which requires " + threshold + "; it was altered or signed with keys this "
              + "root does not trust: do not use this repository or mirror until its "
              + "administrator re-signs it");
    }
  }
}
