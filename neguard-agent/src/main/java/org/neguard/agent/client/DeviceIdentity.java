package org.neguard.agent.client;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Objects;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
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
 * device trusts on the agents' port. Saved as three PEM files in a directory: {@code device.key}
 * (PKCS#8, mode 0600, written so before its first byte), {@code device.crt} and {@code ca.crt}.
 * Immutable.
 */
public final class DeviceIdentity {
  static final String KEY = "device.key";
  static final String CERTIFICATE = "device.crt";
  static final String CA = "ca.crt";

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
   * Writes the three files into {@code dir} (created 0700 when missing), each atomically; for a
   * key held elsewhere (a TPM's, {@link DeviceKeys}) only the two certificates, and a {@code
   * device.key} left from before is removed.
   */
  public void save(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    if (keyPair.getPrivate().getEncoded() == null) {
      AtomicFiles.write(dir.resolve(CERTIFICATE),
          pem(certificate).getBytes(StandardCharsets.US_ASCII));
      AtomicFiles.write(dir.resolve(CA), pem(ca).getBytes(StandardCharsets.US_ASCII));
      Files.deleteIfExists(dir.resolve(KEY));
      return;
    }
    byte[] key = ("-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'})
            .encodeToString(keyPair.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n").getBytes(StandardCharsets.US_ASCII);
    try (AtomicFiles.Pending p = AtomicFiles.create(dir.resolve(KEY),
        AtomicFiles.Existing.REPLACE,
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
      Files.write(p.path(), key);
      p.commit();
    }
    AtomicFiles.write(dir.resolve(CERTIFICATE),
        pem(certificate).getBytes(StandardCharsets.US_ASCII));
    AtomicFiles.write(dir.resolve(CA), pem(ca).getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * Reads what {@link #save} wrote.
   *
   * @throws IOException when a file is missing or unreadable, or they do not belong together
   */
  public static DeviceIdentity load(Path dir) throws IOException {
    return load(dir, DeviceKeys.FILE);
  }

  /**
   * Reads what {@link #save} wrote, the private key from {@code keys}.
   *
   * @throws IOException when a file is missing or unreadable, {@code keys} refuses, or they do
   *     not belong together
   */
  public static DeviceIdentity load(Path dir, DeviceKeys keys) throws IOException {
    X509Certificate cert = certificate(Files.readString(dir.resolve(CERTIFICATE)));
    X509Certificate ca = certificate(Files.readString(dir.resolve(CA)));
    PrivateKey key = keys.privateKey(dir, cert);
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

  /** The PKCS#8 private key in {@code dir/device.key}. */
  static PrivateKey fileKey(Path dir) throws IOException {
    try (PEMParser p = new PEMParser(Files.newBufferedReader(dir.resolve(KEY)))) {
      Object o = p.readObject();
      if (!(o instanceof PrivateKeyInfo info)) {
        throw new IOException(dir.resolve(KEY) + " holds no PKCS#8 private key");
      }
      return privateKey(info, dir.resolve(KEY));
    }
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
