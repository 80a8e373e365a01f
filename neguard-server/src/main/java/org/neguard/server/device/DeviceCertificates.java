package org.neguard.server.device;

import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.neguard.pki.CertificateIssuer;
import org.neguard.server.ServerConfig;
import org.neguard.server.keys.ServerKeys;
import org.neguard.server.web.ApiException;
import org.springframework.stereotype.Component;

/**
 * Device certificates (docs/DEPLOYMENTS.md, "Certificate profile"): a checked PKCS#10 request in,
 * a certificate from the device CA out: subject {@code CN=<deviceId>}, the request's key, EKU
 * clientAuth only, a random 128-bit serial, valid {@code fleet.certificateLifetime} (never past the
 * CA). Thread-safe.
 */
@Component
final class DeviceCertificates {
  private static final SecureRandom RANDOM = new SecureRandom();
  /** The most of a CSR read: an RSA-4096 request is about 1.7 KB of PEM. */
  static final int MAX_CSR_CHARS = 16_384;

  private final ServerKeys keys;
  private final Duration lifetime;

  DeviceCertificates(ServerKeys keys, ServerConfig config) {
    this.keys = keys;
    this.lifetime = config.fleet().certificateLifetime();
  }

  /** A certificate issued, with its serial as stored (lower-case hex). */
  record Issued(X509Certificate certificate, String serial, Instant notAfter) {}

  /**
   * Reads a PKCS#10 request, checks its signature (proof the requester holds the key) and that
   * its subject is exactly {@code CN=<deviceId>}, and returns its public key.
   *
   * @throws ApiException 400 BAD_INPUT naming what is wrong
   */
  static PublicKey checkCsr(String pem, String deviceId) {
    if (pem == null || pem.isBlank() || pem.length() > MAX_CSR_CHARS) {
      throw ApiException.badInput("csr must be a PKCS#10 request in PEM, at most "
          + MAX_CSR_CHARS + " characters");
    }
    PKCS10CertificationRequest csr;
    try (PEMParser p = new PEMParser(new StringReader(pem))) {
      Object o = p.readObject();
      if (!(o instanceof PKCS10CertificationRequest r)) {
        throw ApiException.badInput("csr is not a PEM CERTIFICATE REQUEST");
      }
      csr = r;
    } catch (IOException | RuntimeException e) {
      if (e instanceof ApiException a) {
        throw a;
      }
      throw ApiException.badInput("csr is not a readable PKCS#10 request");
    }
    PublicKey key;
    try {
      key = new JcaPEMKeyConverter().getPublicKey(csr.getSubjectPublicKeyInfo());
    } catch (IOException | RuntimeException e) {
      throw ApiException.badInput("the csr's public key is not readable");
    }
    checkKey(csr.getSubjectPublicKeyInfo().getAlgorithm(), key);
    boolean valid;
    try {
      valid = csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key));
    } catch (Exception e) {
      valid = false;
    }
    if (!valid) {
      throw ApiException.badInput("the csr's signature does not verify with its own key:"
          + " it must be signed by the key pair the device generated");
    }
    RDN[] rdns = csr.getSubject().getRDNs();
    String cn = rdns.length == 1 && !rdns[0].isMultiValued()
        && rdns[0].getFirst().getType().equals(BCStyle.CN)
        ? IETFUtils.valueToString(rdns[0].getFirst().getValue()) : null;
    if (!deviceId.equals(cn)) {
      throw ApiException.badInput("the csr's subject must be exactly CN=" + deviceId
          + ", not " + Shapes.quoted(csr.getSubject().toString()));
    }
    return key;
  }

  static final int MIN_RSA_BITS = 2048;
  /** Larger moduli buy nothing and make every signature check of them slower. */
  static final int MAX_RSA_BITS = 4096;
  private static final BigInteger F4 = BigInteger.valueOf(65_537);

  /**
   * EC on the named curve P-256 or P-384, or RSA of 2048 to 4096 bits with the public exponent
   * 65537 (a huge exponent would make the CSR's own signature check cost what the caller likes).
   */
  private static void checkKey(AlgorithmIdentifier algorithm, PublicKey key) {
    if (X9ObjectIdentifiers.id_ecPublicKey.equals(algorithm.getAlgorithm())
        && key instanceof ECPublicKey
        && (SECObjectIdentifiers.secp256r1.equals(algorithm.getParameters())
            || SECObjectIdentifiers.secp384r1.equals(algorithm.getParameters()))) {
      return;
    }
    if (key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() >= MIN_RSA_BITS
        && rsa.getModulus().bitLength() <= MAX_RSA_BITS && F4.equals(rsa.getPublicExponent())) {
      return;
    }
    throw ApiException.badInput("the csr's key must be EC on the named curve P-256 or P-384, or"
        + " RSA of " + MIN_RSA_BITS + " to " + MAX_RSA_BITS + " bits with exponent 65537, not "
        + key.getAlgorithm() + (key instanceof RSAPublicKey r ? " of "
            + r.getModulus().bitLength() + " bits, exponent " + shortly(r.getPublicExponent())
            : ""));
  }

  private static String shortly(BigInteger e) {
    return e.bitLength() <= 64 ? e.toString() : "of " + e.bitLength() + " bits";
  }

  /** Issues a certificate for {@code deviceId} and {@code key}, valid from {@code now}. */
  Issued issue(String deviceId, PublicKey key, Instant now) {
    ServerKeys.DeviceCa ca = keys.deviceCa();
    Instant end = now.plus(lifetime);
    Instant caEnd = ca.certificate().getNotAfter().toInstant();
    if (end.isAfter(caEnd)) {
      end = caEnd;
    }
    BigInteger serial = new BigInteger(1, randomBytes(16));
    if (serial.signum() == 0) {
      serial = BigInteger.ONE;
    }
    X509Certificate cert = CertificateIssuer.forSubject("CN=" + deviceId, key)
        // A little back-dated: a device clock a few minutes behind still accepts it.
        .validity(now.minus(Duration.ofMinutes(5)), end)
        .clientAuth()
        .serial(serial)
        .issuedBy(ca.certificate(), ca.key());
    return new Issued(cert, serial(cert), cert.getNotAfter().toInstant());
  }

  /** The serial as stored and compared: lower-case hex, no leading zeros. */
  static String serial(X509Certificate cert) {
    return cert.getSerialNumber().toString(16);
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }
}
