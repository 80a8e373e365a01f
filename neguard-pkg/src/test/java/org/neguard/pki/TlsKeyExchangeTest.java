package org.neguard.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PublicKey;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import javax.crypto.KeyAgreement;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.testing.Openssl;

/**
 * The agents' TLS key exchange on AWS-LC (issue 15's server CPU, docs/BENCHMARKS.md "The TLS
 * key exchange on AWS-LC"): installed where the server runs (Linux x86-64), taken by the JDK's
 * TLS for P-256 and not for X25519 (openssl as the outside client), and as strict as the JDK's
 * about the peer's point.
 */
class TlsKeyExchangeTest {

  @BeforeAll
  static void install() {
    TlsKeyExchange.installAwsLc();
  }

  @Test
  void installAwsLc_onTheServersPlatform_awsLcFirstForEcdhAndNothingElse() {
    // AWS-LC's native code is built for Linux on x86-64, what CI and the server run on (as for
    // Es256Test): these tests run there.
    assertThat(TlsKeyExchange.installAwsLc()).startsWith("AWS-LC ");
    assertThat(Security.getProviders()[0].getName()).isEqualTo("NEGuard-TLS-ECDH");
    assertThat(Security.getProviders()[0].getServices())
        .extracting(s -> s.getType() + "." + s.getAlgorithm())
        .containsExactlyInAnyOrder("KeyPairGenerator.EC", "KeyAgreement.ECDH");
    // A second call installs nothing more.
    TlsKeyExchange.installAwsLc();
    assertThat(Security.getProviders()).filteredOn(p -> p.getName().equals("NEGuard-TLS-ECDH"))
        .hasSize(1);
  }

  /** Only P-256 is AWS-LC's here, the curve its check at load covered; the JDK takes the rest. */
  @Test
  void otherCurves_keyPairsAndAgreement_leftToTheJdk() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp384r1"));
    KeyPair p384 = g.generateKeyPair();
    assertThat(p384.getPrivate().getClass().getName()).startsWith("sun.security.ec.");
    KeyAgreement k = KeyAgreement.getInstance("ECDH");
    k.init(p384.getPrivate());
    k.doPhase(p384.getPublic(), true);
    assertThat(k.getProvider().getName()).isEqualTo("SunEC");

    KeyPairGenerator p256 = KeyPairGenerator.getInstance("EC");
    p256.initialize(new ECGenParameterSpec("secp256r1"));
    assertThat(p256.generateKeyPair().getPrivate().getClass().getName())
        .startsWith("com.amazon.corretto.");
  }

  /** Keys that live (CA, signing, TUF) do not come from the sessions' generator. */
  @Test
  void newP256KeyPair_forKeysThatLive_fromTheJdk() {
    KeyPair pair = Curves.newP256KeyPair(null);
    assertThat(pair.getPrivate().getClass().getName()).startsWith("sun.security.ec.");
    assertThat(KeyType.EC_P256.generate().getPrivate().getClass().getName())
        .startsWith("sun.security.ec.");
  }

  /** The JDK's TLS asks for "Generic" secrets in its hybrid groups (JDK 24 and later). */
  @Test
  void ecdh_secretAsGenericKey_theSameBytesAsTheJdks() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair a = g.generateKeyPair();
    KeyPair b = g.generateKeyPair();
    long before = TlsKeyExchange.awsLcAgreements();
    KeyAgreement ours = KeyAgreement.getInstance("ECDH");
    ours.init(a.getPrivate());
    ours.doPhase(b.getPublic(), true);
    byte[] secret = ours.generateSecret("Generic").getEncoded();
    assertThat(ours.getProvider().getName()).isEqualTo("NEGuard-TLS-ECDH");
    assertThat(TlsKeyExchange.awsLcAgreements()).isEqualTo(before + 1);
    KeyAgreement jdk = KeyAgreement.getInstance("ECDH", "SunEC");
    jdk.init(KeyFactory.getInstance("EC", "SunEC").generatePrivate(
        new java.security.spec.PKCS8EncodedKeySpec(b.getPrivate().getEncoded())));
    jdk.doPhase(a.getPublic(), true);
    assertThat(secret).isEqualTo(jdk.generateSecret());
  }

  @Test
  void tlsServer_p256ClientShare_agreedByAwsLc_x25519ByTheJdk(@TempDir Path dir)
      throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = g.generateKeyPair();
    Instant now = Instant.now();
    Certificate cert = CertificateIssuer.forSubject("CN=localhost", pair.getPublic())
        .validity(now.minus(Duration.ofMinutes(1)), now.plus(Duration.ofHours(1)))
        .serverAuth().subjectAltNames(List.of("127.0.0.1")).selfSigned(pair.getPrivate());
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("s", pair.getPrivate(), "pw".toCharArray(), new Certificate[] {cert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
    kmf.init(ks, "pw".toCharArray());
    SSLContext tls = SSLContext.getInstance("TLSv1.3");
    tls.init(kmf.getKeyManagers(), null, null);
    ExecutorService accept = Executors.newSingleThreadExecutor();
    try (SSLServerSocket server = (SSLServerSocket) tls.getServerSocketFactory()
        .createServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      accept.submit(() -> {
        while (!server.isClosed()) {
          try (SSLSocket s = (SSLSocket) server.accept()) {
            s.startHandshake();
            s.getOutputStream().write("ok\n".getBytes());
            s.getOutputStream().flush();
            try (InputStream in = s.getInputStream()) {
              in.read();
            }
          } catch (Exception closedOrRefused) {
            // the next connection, or the end
          }
        }
        return null;
      });
      String target = "127.0.0.1:" + server.getLocalPort();

      long before = TlsKeyExchange.awsLcAgreements();
      handshake(dir, target, "P-256", "Server Temp Key: ECDH, prime256v1");
      assertThat(TlsKeyExchange.awsLcAgreements()).isGreaterThan(before);

      long afterP256 = TlsKeyExchange.awsLcAgreements();
      handshake(dir, target, "X25519", "Server Temp Key: X25519");
      assertThat(TlsKeyExchange.awsLcAgreements()).isEqualTo(afterP256);
    } finally {
      accept.shutdownNow();
    }
  }

  /** openssl's TLS 1.3 handshake with {@code target}, offering {@code group} alone. */
  private static void handshake(Path dir, String target, String group, String agreed) {
    Openssl.Result r = Openssl.run(dir, new byte[0], "s_client", "-connect", target, "-tls1_3",
        "-groups", group, "-brief");
    assertThat(r.exit()).as(r.stderr()).isZero();
    assertThat(r.stderr()).contains(agreed);
  }

  /** An invalid-curve attack: a peer's share off P-256 must not be multiplied by our key. */
  @Test
  void ecdh_peerPointOffTheCurve_refused() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair mine = g.generateKeyPair();
    PublicKey offCurve = KeyFactory.getInstance("EC", "SunEC").generatePublic(
        new ECPublicKeySpec(new ECPoint(BigInteger.ONE, BigInteger.TWO), Curves.p256()));
    long before = TlsKeyExchange.awsLcAgreements();
    KeyAgreement k = KeyAgreement.getInstance("ECDH");
    k.init(mine.getPrivate());
    assertThat(k.getProvider().getName()).isEqualTo("NEGuard-TLS-ECDH");
    assertThatThrownBy(() -> k.doPhase(offCurve, true))
        .isInstanceOf(InvalidKeyException.class);
    assertThat(TlsKeyExchange.awsLcAgreements()).isEqualTo(before);
  }

  @Test
  void offerP256_setsTheOneGroup_whereTheJdkHasThePerConnectionSetting() throws Exception {
    SSLParameters p = SSLContext.getDefault().getDefaultSSLParameters();
    // JDK 20 has the setting; a JDK whose defaults hold a hybrid ML-KEM group keeps them.
    boolean hybrid = Runtime.version().feature() >= 20
        && java.util.Arrays.stream((String[]) SSLParameters.class.getMethod("getNamedGroups")
            .invoke(p)).anyMatch(g -> g.contains("MLKEM"));
    boolean set = TlsKeyExchange.offerP256(p);
    assertThat(set).isEqualTo(Runtime.version().feature() >= 20 && !hybrid);
    if (set) {
      assertThat((String[]) SSLParameters.class.getMethod("getNamedGroups").invoke(p))
          .containsExactly("secp256r1");
    }
  }
}
