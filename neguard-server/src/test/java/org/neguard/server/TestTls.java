package org.neguard.server;

import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.neguard.pki.KeyType;

/**
 * A TLS key store for a test server on 127.0.0.1 (a self-signed EC P-256 certificate for that
 * address, valid one day) and a client context that trusts only it.
 *
 * @param keyStore the PKCS#12 file, for {@code ServerConfig.Builder.tls}
 * @param password its password
 * @param client a TLS context whose only trust is the certificate
 */
public record TestTls(Path keyStore, String password, SSLContext client) {
  /** Writes {@code server.p12} in {@code dir}. */
  public static TestTls create(Path dir) throws Exception {
    KeyPair key = KeyType.EC_P256.generate();
    X509Certificate cert = selfSigned(key);
    String password = "ks-pass";
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("server", key.getPrivate(), password.toCharArray(),
        new X509Certificate[] {cert});
    Path file = dir.resolve("server.p12");
    try (OutputStream out = Files.newOutputStream(file)) {
      ks.store(out, password.toCharArray());
    }
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("server", cert);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return new TestTls(file, password, ssl);
  }

  private static X509Certificate selfSigned(KeyPair key) throws Exception {
    X500Principal name = new X500Principal("CN=127.0.0.1");
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, BigInteger.TEN,
        Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))), name,
        key.getPublic());
    b.addExtension(Extension.subjectAlternativeName, false,
        new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
    return new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
  }
}
