import java.io.InputStream;
import java.net.InetAddress;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.neguard.pki.CertificateIssuer;
import org.neguard.pki.TlsKeyExchange;

/**
 * Resumed TLS 1.3 connections on loopback, client and server in one JVM, one byte each way and
 * closed (docs/BENCHMARKS.md, issue 15: "The TLS key exchange on AWS-LC"): the time per
 * connection of both sides together, where the key exchange is what differs.
 *
 * <pre>
 * java -XX:+UseSerialGC --enable-native-access=ALL-UNNAMED -cp "neguard-cli/target/lib/*" \
 *     bench/TlsResume.java MODE [CONNECTIONS]
 * </pre>
 *
 * MODE: {@code jdk} (the JDK's groups and providers: JDK 25 sends X25519 and P-256 shares,
 * X25519 is agreed), {@code p256} (the client offers P-256 alone, {@link
 * TlsKeyExchange#offerP256}, on the JDK's provider), {@code p256-awslc} (the same with {@link
 * TlsKeyExchange#installAwsLc}: what the server and the simulator do; an agent has no AWS-LC,
 * its side is {@code p256}'s). Three rounds of
 * CONNECTIONS (default 3000), each printed; the first warms up.
 */
public final class TlsResume {
  public static void main(String[] args) throws Exception {
    String mode = args[0];
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 3000;
    if (!List.of("jdk", "p256", "p256-awslc").contains(mode)) {
      throw new IllegalArgumentException("MODE must be jdk, p256 or p256-awslc: " + mode);
    }
    if (mode.equals("p256-awslc")) {
      System.out.println("key exchange: " + TlsKeyExchange.installAwsLc());
    }
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
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(ks);
    SSLContext server = SSLContext.getInstance("TLSv1.3");
    server.init(kmf.getKeyManagers(), null, null);
    SSLContext client = SSLContext.getInstance("TLSv1.3");
    client.init(null, tmf.getTrustManagers(), null);
    SSLServerSocket listener = (SSLServerSocket) server.getServerSocketFactory()
        .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(() -> {
      while (true) {
        try (SSLSocket s = (SSLSocket) listener.accept()) {
          s.setTcpNoDelay(true);
          InputStream in = s.getInputStream();
          in.read();
          s.getOutputStream().write(1);
          s.getOutputStream().flush();
        } catch (Exception next) {
          // the next connection
        }
      }
    });
    accept.setDaemon(true);
    accept.start();
    for (int round = 0; round < 3; round++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        try (SSLSocket s = (SSLSocket) client.getSocketFactory()
            .createSocket("127.0.0.1", listener.getLocalPort())) {
          s.setTcpNoDelay(true);
          if (!mode.equals("jdk")) {
            SSLParameters p = s.getSSLParameters();
            if (!TlsKeyExchange.offerP256(p)) {
              throw new IllegalStateException("this JDK cannot offer P-256 alone per connection"
                  + " (JDK 20 and later): run it with -Djdk.tls.namedGroups=secp256r1 instead");
            }
            s.setSSLParameters(p);
          }
          s.getOutputStream().write(1);
          s.getOutputStream().flush();
          s.getInputStream().read();
        }
      }
      System.out.printf("%s round %d: %.1f us per connection%n", mode, round,
          (System.nanoTime() - t0) / 1000.0 / n);
    }
  }
}
