package org.neguard.agent.client;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.neguard.io.AtomicFiles;
import org.neguard.measure.Sha256;
import org.neguard.pki.KeyType;

/**
 * Who a device is to the server: its id, the key pair it generated itself (the private key never
 * leaves the device), the certificate the device CA issued for it, and that CA, which is all the
 * device trusts on the agents' port. Immutable.
 *
 * <p>Saved in a directory as PEM files: {@code device.crt}, {@code ca.crt} and the private key
 * (PKCS#8, mode 0600, written so before its first byte) in a file named by its public key,
 * {@code device-<id>.key} ({@link #keyFile}; a {@code device.key} saved by an earlier agent is
 * still read). The certificate is the pointer: its public key names the key file, so that
 * {@code device.crt}, replaced by one rename, switches key and certificate together. Every file is
 * written to a temporary file, synced, renamed and its directory synced.
 *
 * <p>Crash-safe renewal (docs/AGENT.md, "The device identity and its renewal"): the new key is
 * saved first as the <em>pending</em> key ({@link #savePending}: its file, then {@code
 * renewal.pending} naming its public key), the renewal requested, then {@link #save} writes the
 * new certificate over {@code device.crt} (the switch) and removes the old key and the marker. A
 * crash at any point leaves a directory that {@link #load} reads as the old identity or the new
 * one, never a key with another key's certificate; a pending key left behind is reused by the
 * next renewal ({@link #pendingKey}), so a certificate the server issued for it while the answer
 * was lost is simply issued again.
 */
public final class DeviceIdentity {
  /** The key file of an identity saved before key files were named by their key. */
  static final String KEY = "device.key";
  static final String KEY_PREFIX = "device-";
  static final String KEY_SUFFIX = ".key";
  static final String CERTIFICATE = "device.crt";
  static final String CA = "ca.crt";
  /**
   * A renewal or an enrollment under way: the pending key's public key (PEM); named for the
   * renewal, which used it first (an agent's directory may hold one).
   */
  static final String PENDING = "renewal.pending";
  private static final FileAttribute<?> OWNER_ONLY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  private final String deviceId;
  private final KeyPair keyPair;
  private final X509Certificate certificate;
  private final X509Certificate ca;

  /**
   * @throws IllegalArgumentException when the certificate is not for {@code keyPair} or does not
   *     name {@code deviceId}
   */
  public DeviceIdentity(String deviceId, KeyPair keyPair, X509Certificate certificate,
      X509Certificate ca) {
    this.deviceId = Objects.requireNonNull(deviceId, "deviceId");
    this.keyPair = Objects.requireNonNull(keyPair, "keyPair");
    this.certificate = Objects.requireNonNull(certificate, "certificate");
    this.ca = Objects.requireNonNull(ca, "ca");
    if (!certificate.getPublicKey().equals(keyPair.getPublic())) {
      throw new IllegalArgumentException("the certificate of " + deviceId
          + " is not for this key pair");
    }
    if (!certificate.getSubjectX500Principal().equals(new X500Principal("CN=" + deviceId))) {
      throw new IllegalArgumentException("the certificate names "
          + certificate.getSubjectX500Principal() + ", not CN=" + deviceId);
    }
  }

  public String deviceId() {
    return deviceId;
  }

  public KeyPair keyPair() {
    return keyPair;
  }

  public X509Certificate certificate() {
    return certificate;
  }

  public X509Certificate ca() {
    return ca;
  }

  /** The certificate's serial as the server names it: lower-case hex. */
  public String serial() {
    return certificate.getSerialNumber().toString(16);
  }

  /** A new EC P-256 key pair, generated here. */
  public static KeyPair newKeyPair() {
    return KeyType.EC_P256.generate();
  }

  /** A PKCS#10 request (PEM) for {@code pair}, subject {@code CN=<deviceId>}, signed by it. */
  public static String csr(String deviceId, KeyPair pair) {
    try {
      var builder = new JcaPKCS10CertificationRequestBuilder(
          new X500Principal("CN=" + deviceId), pair.getPublic());
      var request = builder.build(new JcaContentSignerBuilder("SHA256withECDSA")
          .build(pair.getPrivate()));
      return pem(request);
    } catch (OperatorCreationException e) {
      throw new IllegalStateException("cannot sign a CSR for " + deviceId, e);
    }
  }

  /** The same device with a renewed certificate for a new key pair. */
  public DeviceIdentity renewed(KeyPair pair, X509Certificate newCertificate) {
    return new DeviceIdentity(deviceId, pair, newCertificate, ca);
  }

  /** SHA-256 of a certificate's DER encoding, hex: what a pin names. */
  public static String sha256(X509Certificate cert) {
    try {
      return Sha256.hex(cert.getEncoded());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot encode a certificate", e);
    }
  }

  /**
   * Writes this identity into {@code dir} (created 0700 when missing): the key file (for a key
   * held elsewhere, a TPM's, {@link DeviceKeys}, none), {@code ca.crt}, then {@code device.crt},
   * whose rename is the switch to this identity; then removes every other key file and a
   * pending renewal's marker (a TPM's key blobs are its own to remove).
   */
  public void save(Path dir) throws IOException {
    directory(dir);
    Path key = null;
    if (keyPair.getPrivate().getEncoded() != null) {
      key = keyFile(dir, keyPair.getPublic());
      durably(key, keyPem(keyPair.getPrivate()), OWNER_ONLY);
    }
    durably(dir.resolve(CA), pem(ca).getBytes(StandardCharsets.US_ASCII));
    durably(dir.resolve(CERTIFICATE), pem(certificate).getBytes(StandardCharsets.US_ASCII));
    // Only after the switch: until then the old key is the current identity's.
    Files.deleteIfExists(dir.resolve(PENDING));
    for (Path other : fileKeys(dir)) {
      if (!other.equals(key)) {
        Files.deleteIfExists(other);
      }
    }
  }

  /** Creates the identity directory {@code dir}, closed to group and others, if it is missing. */
  static void directory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
  }

  /**
   * Saves {@code pair} as the pending key of a renewal or an enrollment, before it is requested:
   * its key file (none for a key held elsewhere, which {@link DeviceKeys#newKeyPair} kept), then
   * the marker naming its public key. The current identity, if any, is untouched.
   */
  public static void savePending(Path dir, KeyPair pair) throws IOException {
    if (pair.getPrivate().getEncoded() != null) {
      durably(keyFile(dir, pair.getPublic()), keyPem(pair.getPrivate()), OWNER_ONLY);
    }
    durably(dir.resolve(PENDING), pem(pair.getPublic()).getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * What an interrupted renewal or enrollment left in {@code dir}: a pending key to reuse, or
   * nothing. A
   * pending key that is {@code current}'s (the crash came after the switch) only has its marker
   * and the old key removed; one that cannot be used (a marker or key file truncated, the key
   * gone or not the marker's: {@link DeviceKeys#lost}) is discarded, and the next renewal makes
   * a new key. One whose holder failed this time (a TPM not answering) is kept: {@link
   * #pendingKey} throws.
   *
   * @param keyPair the pending key pair, or null
   * @param discarded why a pending key was discarded, or null
   */
  public record Pending(KeyPair keyPair, String discarded) {}

  /**
   * Looks for a pending renewal's or enrollment's key: see {@link Pending}.
   *
   * @param current the device's identity, or null before it enrolled
   * @throws IOException the pending key's holder failed this time ({@link DeviceKeys#lost} is
   *     false): the key and its marker are kept for the next attempt, since the server may have
   *     certified that key and then takes no other until the device enrolls again
   */
  public static Pending pendingKey(Path dir, DeviceKeys keys, DeviceIdentity current)
      throws IOException {
    Path marker = dir.resolve(PENDING);
    if (!Files.exists(marker)) {
      return new Pending(null, null);
    }
    PublicKey pending;
    try (PEMParser p = new PEMParser(Files.newBufferedReader(marker))) {
      Object o = p.readObject();
      if (!(o instanceof SubjectPublicKeyInfo info)) {
        throw new IOException("no public key");
      }
      // The JDK's own key, as in a certificate the JDK reads: the two then compare equal.
      pending = KeyFactory.getInstance(info.getAlgorithm().getAlgorithm()
          .equals(PKCSObjectIdentifiers.rsaEncryption) ? "RSA" : "EC")
          .generatePublic(new X509EncodedKeySpec(info.getEncoded()));
    } catch (GeneralSecurityException e) {
      Files.delete(marker);
      return new Pending(null, marker + " holds no usable public key (" + e.getMessage() + ")");
    } catch (IOException | RuntimeException e) {
      Files.delete(marker);
      return new Pending(null, marker + " is unreadable (" + e.getMessage() + ")");
    }
    if (current != null && java.util.Arrays.equals(pending.getEncoded(),
        current.keyPair().getPublic().getEncoded())) {
      current.save(dir); // the crash came after the switch: finish its clean-up
      return new Pending(null, null);
    }
    try {
      return new Pending(new KeyPair(pending, keys.privateKey(dir, pending)), null);
    } catch (IOException e) {
      if (!keys.lost(e)) {
        throw new IOException("the pending key " + keyId(pending) + " of a renewal or enrollment under way"
            + " cannot be used now, kept for the next attempt: " + e.getMessage(), e);
      }
      Files.delete(marker);
      Files.deleteIfExists(keyFile(dir, pending));
      return new Pending(null, e.getMessage());
    }
  }

  /**
   * Reads what {@link #save} wrote.
   *
   * @throws IOException when a file is missing or unreadable, or they do not belong together
   *     ({@link IdentityException} for the key)
   */
  public static DeviceIdentity load(Path dir) throws IOException {
    return load(dir, DeviceKeys.FILE);
  }

  /**
   * Reads what {@link #save} wrote, the private key from {@code keys}, which proves it is the
   * certificate's key.
   *
   * @throws IOException when a file is missing or unreadable, {@code keys} refuses (for a file
   *     key {@link IdentityException}: missing, unreadable, not the certificate's), or they do
   *     not belong together
   */
  public static DeviceIdentity load(Path dir, DeviceKeys keys) throws IOException {
    X509Certificate cert = certificate(Files.readString(dir.resolve(CERTIFICATE)));
    X509Certificate ca = certificate(Files.readString(dir.resolve(CA)));
    PrivateKey key = keys.privateKey(dir, cert.getPublicKey());
    String cn = cert.getSubjectX500Principal().getName();
    if (!cn.startsWith("CN=") || cn.contains(",")) {
      throw new IOException(dir.resolve(CERTIFICATE) + " names no device: " + cn);
    }
    try {
      return new DeviceIdentity(cn.substring(3), new KeyPair(cert.getPublicKey(), key), cert, ca);
    } catch (IllegalArgumentException e) {
      throw new IOException("the device identity in " + dir + " does not hold together: "
          + e.getMessage(), e);
    }
  }

  /** The file of the private key of {@code key} in {@code dir}: {@code device-<id>.key}. */
  public static Path keyFile(Path dir, PublicKey key) {
    return dir.resolve(KEY_PREFIX + keyId(key) + KEY_SUFFIX);
  }

  /** A key's name in file names: the first 16 hex digits of the SHA-256 of its public DER. */
  public static String keyId(PublicKey key) {
    return Sha256.hex(key.getEncoded()).substring(0, 16);
  }

  /** The private key files in {@code dir}, of any key: {@code device-*.key}, {@code device.key}. */
  public static List<Path> fileKeys(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir,
        "{" + KEY + "," + KEY_PREFIX + "*" + KEY_SUFFIX + "}")) {
      s.forEach(out::add);
    }
    out.sort(null);
    return out;
  }

  /**
   * The private key of {@code key} from its file in {@code dir} (or an earlier agent's {@code
   * device.key}), proven to be {@code key}'s by a signature it makes and {@code key} verifies.
   */
  static PrivateKey fileKey(Path dir, PublicKey key) throws IOException {
    Path file = keyFile(dir, key);
    if (!Files.exists(file) && Files.exists(dir.resolve(KEY))) {
      file = dir.resolve(KEY);
    }
    String reEnroll = "have an operator create an enrollment token, remove " + dir
        + ", set enroll.token and restart the agent";
    String lost = "; a lost device key needs a new enrollment: " + reEnroll;
    if (!Files.exists(file)) {
      throw new IdentityException(IdentityException.Reason.IDENTITY_KEY_MISSING, "no private"
          + " key for the key " + keyId(key) + " in " + dir + " (" + file.getFileName() + ")"
          + lost, null);
    }
    PrivateKey privateKey;
    try (PEMParser p = new PEMParser(Files.newBufferedReader(file))) {
      Object o = p.readObject();
      if (!(o instanceof PrivateKeyInfo info)) {
        throw new IOException("it holds no PKCS#8 private key");
      }
      privateKey = privateKey(info, file);
    } catch (IOException | RuntimeException e) {
      throw new IdentityException(IdentityException.Reason.IDENTITY_KEY_UNREADABLE, file
          + " is truncated or not a device key (" + e.getMessage() + ")" + lost, e);
    }
    if (!matches(privateKey, key)) {
      throw new IdentityException(IdentityException.Reason.IDENTITY_KEY_MISMATCH, file
          + " holds a private key that is not the key " + keyId(key) + " of "
          + dir.resolve(CERTIFICATE) + " (a file replaced, or restored from another backup):"
          + " restore the matching pair, or re-enroll: " + reEnroll,
          null);
    }
    return privateKey;
  }

  /** Whether a signature by {@code privateKey} verifies with {@code publicKey}. */
  private static boolean matches(PrivateKey privateKey, PublicKey publicKey) {
    String algorithm = "RSA".equals(privateKey.getAlgorithm()) ? "SHA256withRSA"
        : "SHA256withECDSA";
    byte[] challenge = new byte[32];
    new SecureRandom().nextBytes(challenge);
    try {
      Signature s = Signature.getInstance(algorithm);
      s.initSign(privateKey);
      s.update(challenge);
      byte[] signature = s.sign();
      Signature v = Signature.getInstance(algorithm);
      v.initVerify(publicKey);
      v.update(challenge);
      return v.verify(signature);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false; // another algorithm or curve: not this key
    }
  }

  /** Writes {@code file} whole or not at all, its bytes and its rename synced to disk. */
  private static void durably(Path file, byte[] content, FileAttribute<?>... attributes)
      throws IOException {
    try (AtomicFiles.Pending p = AtomicFiles.create(file, AtomicFiles.Existing.REPLACE,
        attributes)) {
      try (FileChannel ch = FileChannel.open(p.path(), StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer b = ByteBuffer.wrap(content);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      p.commit(); // the rename, and its directory synced
    }
  }

  private static byte[] keyPem(PrivateKey key) {
    return ("-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(key.getEncoded())
        + "\n-----END PRIVATE KEY-----\n").getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * The key as the JDK's own provider reads it. Bouncy Castle's converter names an EC key
   * "ECDSA" when BC is a registered provider (as in the CLI), and the JDK's TLS then finds no
   * key of the type the server asks for and sends no client certificate at all.
   */
  private static PrivateKey privateKey(PrivateKeyInfo info, Path file) throws IOException {
    ASN1ObjectIdentifier oid = info.getPrivateKeyAlgorithm().getAlgorithm();
    String algorithm = X9ObjectIdentifiers.id_ecPublicKey.equals(oid) ? "EC"
        : PKCSObjectIdentifiers.rsaEncryption.equals(oid) ? "RSA" : null;
    if (algorithm == null) {
      throw new IOException(file + " holds a key of an algorithm a device does not use: " + oid);
    }
    try {
      return KeyFactory.getInstance(algorithm)
          .generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IOException(file + " holds an unreadable " + algorithm + " key", e);
    }
  }

  /** Reads one PEM certificate. */
  public static X509Certificate certificate(String pem) throws IOException {
    try {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
          new java.io.ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException | ClassCastException e) {
      throw new IOException("not a PEM X.509 certificate", e);
    }
  }

  static String pem(Object o) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write PEM", e);
    }
    return out.toString();
  }
}
