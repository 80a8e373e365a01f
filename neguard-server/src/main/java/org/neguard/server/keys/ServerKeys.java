package org.neguard.server.keys;

import java.io.IOException;
import java.io.StringReader;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.neguard.api.WireTime;
import org.neguard.api.device.OrderKey;
import org.neguard.order.OrderSigner;
import org.neguard.pki.CertificateIssuer;
import org.neguard.pki.Curves;
import org.neguard.pki.DemoPki;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The device CA and the order-signing keys (docs/DEPLOYMENTS.md, "Keys"). Each is created by the
 * first replica that needs it: the row's fixed primary key decides a race between replicas, the
 * loser reads the winner's key. Keys are kept as PEM in the database: whoever can read the
 * database can read them, as they can the password hashes; an HSM is the next step (ROADMAP).
 *
 * <p>Thread-safe.
 */
@Component
public final class ServerKeys {
  /** The {@code purpose} of the device CA row. */
  static final String DEVICE_CA = "device-ca";
  /** The {@code purpose} of order-signing rows. */
  static final String ORDER_SIGNING = "order-signing";
  static final String DEVICE_CA_KID = "device-ca-1";
  static final String ORDER_KID_PREFIX = "order-signing-";

  /** The device CA's subject. */
  public static final String DEVICE_CA_SUBJECT = "CN=NEGuard Device CA,O=NEGuard";

  private final JdbcClient jdbc;
  private final Clock clock;
  private volatile DeviceCa deviceCa;
  private volatile ActiveSigner signer;

  @Autowired
  ServerKeys(JdbcClient jdbc) {
    this.jdbc = jdbc;
    this.clock = Clock.systemUTC();
  }

  /**
   * The device CA: its certificate and key.
   *
   * @param certificate self-signed, P-256, valid 20 years
   */
  public record DeviceCa(X509Certificate certificate, PrivateKey key) {}

  private record ActiveSigner(String kid, OrderSigner signer) {}

  private record Row(String kid, String purpose, String privateKeyPem, String publicKeyPem,
      String certificatePem, OffsetDateTime createdAt, OffsetDateTime retiredAt) {}

  /** The device CA, created on first use. */
  public DeviceCa deviceCa() {
    DeviceCa ca = deviceCa;
    if (ca == null) {
      synchronized (this) {
        ca = deviceCa;
        if (ca == null) {
          ca = loadOrCreateDeviceCa();
          deviceCa = ca;
        }
      }
    }
    return ca;
  }

  /**
   * The signer of the active order-signing key, created on first use. A replica notices a
   * rotation by another within its next call to {@link #refresh}.
   */
  public OrderSigner orderSigner() {
    ActiveSigner s = signer;
    if (s == null) {
      synchronized (this) {
        s = signer;
        if (s == null) {
          s = loadOrCreateSigner();
          signer = s;
        }
      }
    }
    return s.signer();
  }

  /** Forgets the cached active signer, so that the next order reads the active key again. */
  public void refresh() {
    signer = null;
  }

  /** Every order-signing key ever used, oldest first, with its public key only. */
  public List<OrderKey> orderKeys() {
    orderSigner(); // there is always at least one
    return rows(ORDER_SIGNING).stream()
        .map(r -> new OrderKey(r.kid(), "ES256", r.publicKeyPem(),
            WireTime.of(r.createdAt().toInstant()),
            r.retiredAt() == null ? null : WireTime.of(r.retiredAt().toInstant())))
        .toList();
  }

  /**
   * Starts signing with a new key and retires the active one (its orders stay verifiable: agents
   * keep retired keys they were given). Serialized by the database: of two rotations at once, one
   * fails on the new key's primary key and nothing changes.
   *
   * @return the new key
   */
  public OrderKey rotateOrderKey() {
    orderSigner();
    List<Row> rows = rows(ORDER_SIGNING);
    int next = rows.stream().mapToInt(r -> number(r.kid())).max().orElse(0) + 1;
    KeyPair pair = newKeyPair();
    Instant now = clock.instant();
    String kid = ORDER_KID_PREFIX + next;
    insert(kid, ORDER_SIGNING, pair, null, now);
    jdbc.sql("UPDATE server_keys SET retired_at = :now WHERE purpose = :p AND kid <> :kid"
            + " AND retired_at IS NULL")
        .param("now", at(now)).param("p", ORDER_SIGNING).param("kid", kid).update();
    refresh();
    return new OrderKey(kid, "ES256", pem(pair.getPublic()), WireTime.of(now), null);
  }

  private static int number(String kid) {
    try {
      return Integer.parseInt(kid.substring(ORDER_KID_PREFIX.length()));
    } catch (RuntimeException e) {
      return 0;
    }
  }

  private DeviceCa loadOrCreateDeviceCa() {
    Optional<Row> row = rows(DEVICE_CA).stream().findFirst();
    if (row.isEmpty()) {
      KeyPair pair = newKeyPair();
      Instant now = clock.instant();
      X509Certificate cert = CertificateIssuer.forSubject(DEVICE_CA_SUBJECT, pair.getPublic())
          .validity(now.minus(5, ChronoUnit.MINUTES), now.plus(20 * 366, ChronoUnit.DAYS))
          .ca()
          .selfSigned(pair.getPrivate());
      try {
        insert(DEVICE_CA_KID, DEVICE_CA, pair, pem(cert), now);
      } catch (DuplicateKeyException lostRace) {
        // another replica created it first: use theirs
      }
      row = rows(DEVICE_CA).stream().findFirst();
    }
    Row r = row.orElseThrow(() -> new IllegalStateException("device CA missing after insert"));
    return new DeviceCa(certificate(r.certificatePem()), privateKey(r.privateKeyPem()));
  }

  private ActiveSigner loadOrCreateSigner() {
    Optional<Row> active = active();
    if (active.isEmpty()) {
      try {
        insert(ORDER_KID_PREFIX + 1, ORDER_SIGNING, newKeyPair(), null, clock.instant());
      } catch (DuplicateKeyException lostRace) {
        // another replica created it first
      }
      active = active();
    }
    Row r = active.orElseThrow(() -> new IllegalStateException("no active order-signing key"));
    return new ActiveSigner(r.kid(), OrderSigner.of(privateKey(r.privateKeyPem()), r.kid()));
  }

  private Optional<Row> active() {
    List<Row> rows = rows(ORDER_SIGNING).stream().filter(r -> r.retiredAt() == null).toList();
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(rows.size() - 1));
  }

  private List<Row> rows(String purpose) {
    return jdbc.sql("SELECT kid, purpose, private_key_pem, public_key_pem, certificate_pem,"
            + " created_at, retired_at FROM server_keys WHERE purpose = :p ORDER BY created_at, kid")
        .param("p", purpose)
        .query((rs, i) -> new Row(rs.getString(1), rs.getString(2), rs.getString(3),
            rs.getString(4), rs.getString(5), rs.getObject(6, OffsetDateTime.class),
            rs.getObject(7, OffsetDateTime.class)))
        .list();
  }

  private void insert(String kid, String purpose, KeyPair pair, String certificatePem,
      Instant now) {
    jdbc.sql("INSERT INTO server_keys (kid, purpose, private_key_pem, public_key_pem,"
            + " certificate_pem, created_at) VALUES (:kid, :p, :priv, :pub, :cert, :now)")
        .param("kid", kid).param("p", purpose).param("priv", pem(pair.getPrivate()))
        .param("pub", pem(pair.getPublic())).param("cert", certificatePem)
        .param("now", at(now))
        .update();
  }

  private static OffsetDateTime at(Instant i) {
    return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
  }

  /** A new P-256 key pair. */
  /**
   * Whether a device certificate valid from {@code issuedAt} to {@code notAfter} may be renewed at
   * {@code now}: in the last third of its lifetime. The poll's renewal flag and the renewal itself
   * read this one rule. Earlier renewals are refused: a device renewing in a loop (a bug, or a
   * stolen key) would otherwise add certificate rows without bound.
   */
  public static boolean renewalDue(Instant issuedAt, Instant notAfter, Instant now) {
    Duration lifetime = Duration.between(issuedAt, notAfter);
    return Duration.between(now, notAfter).compareTo(lifetime.dividedBy(3)) < 0;
  }

  public static KeyPair newKeyPair() {
    return Curves.newP256KeyPair(null);
  }

  /** PEM text of a key (a private key as PKCS#8) or certificate. */
  public static String pem(Object o) {
    if (o instanceof PrivateKey k) {
      // JcaPEMWriter would write the traditional "EC PRIVATE KEY" form; PKCS#8 reads back as one
      // type whatever the algorithm.
      return "-----BEGIN PRIVATE KEY-----\n"
          + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(k.getEncoded())
          + "\n-----END PRIVATE KEY-----\n";
    }
    try {
      return DemoPki.pem(o);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write PEM", e);
    }
  }

  private static Object parse(String pem) {
    try (PEMParser p = new PEMParser(new StringReader(pem))) {
      return p.readObject();
    } catch (IOException e) {
      throw new IllegalStateException("unreadable PEM in server_keys", e);
    }
  }

  private static PrivateKey privateKey(String pem) {
    try {
      return new JcaPEMKeyConverter().getPrivateKey((PrivateKeyInfo) parse(pem));
    } catch (IOException | ClassCastException e) {
      throw new IllegalStateException("unreadable private key in server_keys", e);
    }
  }

  static PublicKey publicKey(String pem) {
    try {
      return new JcaPEMKeyConverter().getPublicKey((SubjectPublicKeyInfo) parse(pem));
    } catch (IOException | ClassCastException e) {
      throw new IllegalStateException("unreadable public key in server_keys", e);
    }
  }

  private static X509Certificate certificate(String pem) {
    try {
      return new JcaX509CertificateConverter().getCertificate((X509CertificateHolder) parse(pem));
    } catch (GeneralSecurityException | ClassCastException e) {
      throw new IllegalStateException("unreadable certificate in server_keys", e);
    }
  }
}
