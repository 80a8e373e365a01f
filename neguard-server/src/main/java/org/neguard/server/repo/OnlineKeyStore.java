package org.neguard.server.repo;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.neguard.tuf.KeyType;
import org.neguard.tuf.Role;
import org.neguard.tuf.SigningKey;
import org.neguard.tuf.TufKey;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The repository's online keys, one set per online role (timestamp, snapshot, targets), kept in
 * {@code server_keys} as the device CA and the order keys are ({@code keys.ServerKeys}): purpose
 * {@code repo-<role>}, kid {@code repo-<role>-<n>}, the private key as PKCS#8 PEM. Created by the
 * first replica that needs one (the fixed kid {@code repo-<role>-1} decides a race); a rotation
 * adds the next number. A key is retired (never deleted) once a published root no longer names
 * it. Whoever can read the database can read these keys (docs/REPOSITORY.md says what that
 * allows, and what the offline root still prevents).
 *
 * <p>Thread-safe.
 */
@Component
final class OnlineKeyStore {
  /** The roles the server signs. */
  static final List<Role> ONLINE = List.of(Role.TIMESTAMP, Role.SNAPSHOT, Role.TARGETS);

  /** The key type of a role's first key: small, fast, deterministic signatures. */
  static final KeyType DEFAULT_TYPE = KeyType.ED25519;

  /**
   * One online key.
   *
   * @param kid its row's id ({@code repo-timestamp-2})
   * @param key the signing key and its public TUF key
   * @param createdAt when it was made
   */
  record OnlineKey(String kid, SigningKey key, Instant createdAt) {
    String keyId() {
      return key.key().keyId();
    }
  }

  private final JdbcClient jdbc;
  private final Clock clock = Clock.systemUTC();

  OnlineKeyStore(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  static String purpose(Role role) {
    if (!ONLINE.contains(role)) {
      throw new IllegalArgumentException("not an online role: " + role);
    }
    return "repo-" + role.roleName();
  }

  /**
   * The role's unretired keys, oldest first; a key is created when there is none (the role's
   * first, or a new one after a root retired them all).
   */
  List<OnlineKey> keys(Role role) {
    List<OnlineKey> keys = rows(role);
    if (keys.isEmpty()) {
      try {
        // The next number, not 1: a role whose keys a root retired (targets switched to
        // offline keys) gets a new one. Two replicas compute the same number; the kid decides.
        insert(role, keysIncludingRetired(role) + 1, DEFAULT_TYPE);
      } catch (DuplicateKeyException lostRace) {
        // another replica created it first: use theirs
      }
      keys = rows(role);
    }
    if (keys.isEmpty()) {
      throw new IllegalStateException("no online key for " + role.roleName() + " after insert");
    }
    return keys;
  }

  /** The role's newest key: the one a new root should name. */
  OnlineKey newest(Role role) {
    List<OnlineKey> keys = keys(role);
    return keys.get(keys.size() - 1);
  }

  /**
   * A new key for {@code role}, of {@code type}. The role's other keys stay unretired (the current
   * root still names one of them, and it keeps signing) until a root without them is published.
   *
   * @throws DuplicateKeyException when another rotation of the role made the same number first
   */
  OnlineKey rotate(Role role, KeyType type) {
    int next = keysIncludingRetired(role) + 1;
    insert(role, next, type);
    return newest(role);
  }

  /**
   * Retires every unretired key of {@code role} whose TUF key id is not in {@code named}: a root
   * that no longer names a key ends its use (a recovery from a compromised online key).
   *
   * @return the kids retired
   */
  List<String> retireAllBut(Role role, Collection<String> named) {
    Instant now = clock.instant();
    List<String> retired = rows(role).stream().filter(k -> !named.contains(k.keyId()))
        .map(OnlineKey::kid).toList();
    for (String kid : retired) {
      jdbc.sql("UPDATE server_keys SET retired_at = :now WHERE kid = :kid AND retired_at IS NULL")
          .param("now", OffsetDateTime.ofInstant(now, ZoneOffset.UTC)).param("kid", kid)
          .update();
    }
    return retired;
  }

  /** The role's unretired keys by TUF key id. */
  Map<String, OnlineKey> byKeyId(Role role) {
    Map<String, OnlineKey> m = new java.util.LinkedHashMap<>();
    for (OnlineKey k : keys(role)) {
      m.put(k.keyId(), k);
    }
    return m;
  }

  /**
   * The TUF key ids of the role's unretired keys, without creating one: whether a root names a
   * key the server holds (a root whose targets role names none signs targets offline).
   */
  java.util.Set<String> heldKeyIds(Role role) {
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (OnlineKey k : rows(role)) {
      ids.add(k.keyId());
    }
    return ids;
  }

  /**
   * The TUF key ids of every key the server has ever held for any online role, retired ones
   * included: none of them may be an offline key (whoever reads the database holds it).
   */
  java.util.Set<String> everHeldKeyIds() {
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (Role role : ONLINE) {
      jdbc.sql("SELECT private_key_pem, public_key_pem FROM server_keys WHERE purpose = :p")
          .param("p", purpose(role))
          .query((rs, i) -> signingKey(rs.getString(1), rs.getString(2)).keyId()).list()
          .forEach(ids::add);
    }
    return ids;
  }

  private int keysIncludingRetired(Role role) {
    return jdbc.sql("SELECT kid FROM server_keys WHERE purpose = :p")
        .param("p", purpose(role)).query(String.class).list().stream()
        .mapToInt(OnlineKeyStore::number).max().orElse(0);
  }

  private static int number(String kid) {
    try {
      return Integer.parseInt(kid.substring(kid.lastIndexOf('-') + 1));
    } catch (RuntimeException e) {
      return 0;
    }
  }

  private List<OnlineKey> rows(Role role) {
    return jdbc.sql("SELECT kid, private_key_pem, public_key_pem, created_at FROM server_keys"
            + " WHERE purpose = :p AND retired_at IS NULL")
        .param("p", purpose(role))
        .query((rs, i) -> new OnlineKey(rs.getString(1),
            signingKey(rs.getString(2), rs.getString(3)),
            rs.getObject(4, OffsetDateTime.class).toInstant()))
        .list().stream()
        .sorted(java.util.Comparator.comparingInt((OnlineKey k) -> number(k.kid())))
        .toList();
  }

  private void insert(Role role, int number, KeyType type) {
    KeyPair pair = type.generate();
    jdbc.sql("INSERT INTO server_keys (kid, purpose, private_key_pem, public_key_pem,"
            + " certificate_pem, created_at) VALUES (:kid, :p, :priv, :pub, NULL, :now)")
        .param("kid", purpose(role) + "-" + number).param("p", purpose(role))
        .param("priv", pem("PRIVATE KEY", pair.getPrivate().getEncoded()))
        .param("pub", pem("PUBLIC KEY", pair.getPublic().getEncoded()))
        .param("now", OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC))
        .update();
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  private static byte[] der(String pem) {
    return Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
  }

  private static SigningKey signingKey(String privatePem, String publicPem) {
    // The PKCS#8 and SubjectPublicKeyInfo structures name their algorithm; of the two a
    // repository key may be, the one that reads them is the key's.
    for (String algorithm : List.of("Ed25519", "EC")) {
      try {
        KeyFactory f = KeyFactory.getInstance(algorithm);
        PrivateKey priv = f.generatePrivate(new PKCS8EncodedKeySpec(der(privatePem)));
        PublicKey pub = f.generatePublic(new X509EncodedKeySpec(der(publicPem)));
        return new SigningKey(TufKey.of(pub), priv);
      } catch (GeneralSecurityException notThisOne) {
        // try the next algorithm
      }
    }
    throw new IllegalStateException("unreadable online key in server_keys");
  }
}
