package org.neguard.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The TLS profiles of the device CA: EKUs, subjectAltNames, a chosen serial. */
class CertificateIssuerTest {
  static final KeyPair CA = KeyType.EC_P256.generate();
  static final X509Certificate CA_CERT =
      CertificateIssuer.forSubject("CN=CA", CA.getPublic()).ca().selfSigned(CA.getPrivate());

  @Test
  void serverAuth_withNames_ipAndDnsAltNames() throws Exception {
    KeyPair k = KeyType.EC_P256.generate();
    X509Certificate c = CertificateIssuer.forSubject("CN=port", k.getPublic())
        .serverAuth().subjectAltNames(List.of("localhost", "127.0.0.1", "::1", "localhost"))
        .issuedBy(CA_CERT, CA.getPrivate());
    assertThat(c.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
    assertThat(c.getSubjectAlternativeNames()).extracting(n -> n.get(0) + "=" + n.get(1))
        .containsExactly("2=localhost", "7=127.0.0.1", "7=0:0:0:0:0:0:0:1");
    assertThat(c.getBasicConstraints()).isEqualTo(-1);
  }

  @Test
  void clientAuth_givenSerial_kept() throws Exception {
    KeyPair k = KeyType.EC_P256.generate();
    BigInteger serial = new BigInteger("f".repeat(32), 16);
    CertificateIssuer issuer = CertificateIssuer.forSubject("CN=dev-1", k.getPublic())
        .clientAuth().serial(serial);
    X509Certificate c = issuer.issuedBy(CA_CERT, CA.getPrivate());
    assertThat(issuer.serial()).isEqualTo(serial);
    assertThat(c.getSerialNumber()).isEqualTo(serial);
    assertThat(c.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
  }

  @Test
  void serial_notPositiveOrTooLong_refused() {
    CertificateIssuer issuer = CertificateIssuer.forSubject("CN=x", CA.getPublic());
    assertThatThrownBy(() -> issuer.serial(BigInteger.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> issuer.serial(BigInteger.ONE.shiftLeft(160)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void codeSigning_unchanged_noAltNames() throws Exception {
    KeyPair k = KeyType.EC_P256.generate();
    X509Certificate c = CertificateIssuer.forSubject("CN=signer", k.getPublic()).codeSigning()
        .issuedBy(CA_CERT, CA.getPrivate());
    assertThat(c.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.3");
    assertThat(c.getSubjectAlternativeNames()).isNull();
  }
}
