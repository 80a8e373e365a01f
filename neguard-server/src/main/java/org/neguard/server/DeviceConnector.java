package org.neguard.server;

import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.catalina.connector.Connector;
import org.apache.tomcat.util.net.SSLHostConfig;
import org.apache.tomcat.util.net.SSLHostConfigCertificate;
import org.apache.tomcat.util.net.jsse.JSSEImplementation;
import org.neguard.pki.CertificateIssuer;
import org.neguard.pki.TlsKeyExchange;
import org.neguard.server.keys.ServerKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.web.embedded.tomcat.TomcatWebServer;

/**
 * The agents' port (docs/DEPLOYMENTS.md, "The two ports"): a second Tomcat connector, always TLS
 * 1.3 or 1.2, added to the running server. Its certificate is issued by the device CA at each
 * start (so a device that trusts only the device CA trusts it), its key lives in memory only. A
 * client certificate is asked for but optional (enrollment has none); one that is presented must
 * chain to the device CA, the only trust anchor, or the handshake fails. Which device it names,
 * and whether that device may still talk, the device package decides per request.
 */
final class DeviceConnector {
  private static final Logger LOG = LoggerFactory.getLogger(DeviceConnector.class);
  /** How the message of a failure to open the port starts. */
  static final String NOT_OPENED = "the agents' port could not be opened";
  private static final String ALIAS = "agents-port";
  /** Simulated fleets keep one connection per device: room for ten thousand and more. */
  private static final int MAX_CONNECTIONS = 20_000;
  private static final Duration LIFETIME = Duration.ofDays(397);
  private static final Duration KEEP_ALIVE = Duration.ofSeconds(120);

  private DeviceConnector() {}

  /**
   * Opens the agents' port on {@code web}'s Tomcat.
   *
   * @return its base URL
   * @throws IllegalStateException when the port cannot be opened (in use, not permitted)
   */
  static URI start(TomcatWebServer web, ServerKeys keys, ServerConfig config) {
    // Before the port opens: its TLS looks its key exchange up among the providers.
    String keyExchange = TlsKeyExchange.installAwsLc();
    ServerKeys.DeviceCa ca = keys.deviceCa();
    char[] password = new char[24];
    SecureRandom random = new SecureRandom();
    for (int i = 0; i < password.length; i++) {
      password[i] = (char) ('a' + random.nextInt(26));
    }
    Connector c = new Connector("org.apache.coyote.http11.Http11NioProtocol");
    c.setPort(config.fleet().devicePort());
    c.setScheme("https");
    c.setSecure(true);
    c.setProperty("address", config.bindAddress());
    c.setProperty("SSLEnabled", "true");
    c.setProperty("maxConnections", Integer.toString(MAX_CONNECTIONS));
    // A device keeps its connection between polls (the JDK client reads the Keep-Alive timeout
    // Tomcat sends, else it drops an idle connection after 5 s): no TLS handshake per poll.
    c.setProperty("keepAliveTimeout", Long.toString(KEEP_ALIVE.toMillis()));
    c.setProperty("maxKeepAliveRequests", "10000");
    // As on the users' port (TomcatTuning, NeguardServer.settings).
    c.setProperty("continueResponseTiming", "onRead");
    c.setProperty("maxSwallowSize", Long.toString(NeguardServer.MAX_SWALLOW_BYTES));
    // The JDK's TLS, whether or not tomcat-native is installed: one behaviour everywhere.
    c.setProperty("sslImplementationName", JSSEImplementation.class.getName());
    SSLHostConfig host = new SSLHostConfig();
    host.setHostName("_default_");
    host.setProtocols("+TLSv1.3,+TLSv1.2"); // Tomcat's syntax: each one added, none else
    host.setCertificateVerification("optional");
    host.setTrustStore(trustStore(ca.certificate()));
    SSLHostConfigCertificate cert =
        new SSLHostConfigCertificate(host, SSLHostConfigCertificate.Type.EC);
    cert.setCertificateKeystore(keyStore(ca, names(config), password));
    cert.setCertificateKeystorePassword(new String(password));
    cert.setCertificateKeyPassword(new String(password));
    cert.setCertificateKeyAlias(ALIAS);
    host.addCertificate(cert);
    c.addSslHostConfig(host);
    try {
      web.getTomcat().getService().addConnector(c);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(NOT_OPENED + ": port " + config.fleet().devicePort()
          + " on " + config.bindAddress(), e);
    }
    if (!c.getState().isAvailable() || c.getLocalPort() <= 0) {
      web.getTomcat().getService().removeConnector(c);
      throw new IllegalStateException(NOT_OPENED + ": port " + config.fleet().devicePort()
          + " on " + config.bindAddress() + " (" + c.getStateName() + ")");
    }
    URI url = URI.create("https://" + urlHost(config) + ":" + c.getLocalPort());
    LOG.info("agents' port (mutual TLS, device CA; key exchange: {}) listening on {}",
        keyExchange, url);
    return url;
  }

  /** The names the port's certificate carries: loopback, the bind address, fleet.deviceHosts. */
  static List<String> names(ServerConfig config) {
    Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1"));
    if (!wildcard(config.bindAddress())) {
      names.add(config.bindAddress());
    }
    names.addAll(config.fleet().deviceHosts());
    return new ArrayList<>(names);
  }

  private static String urlHost(ServerConfig config) {
    String h = !config.fleet().deviceHosts().isEmpty() ? config.fleet().deviceHosts().get(0)
        : wildcard(config.bindAddress()) ? "127.0.0.1" : config.bindAddress();
    return h.contains(":") && !h.startsWith("[") ? "[" + h + "]" : h;
  }

  private static boolean wildcard(String address) {
    return address.equals("0.0.0.0") || address.equals("::") || address.equals("[::]");
  }

  private static KeyStore keyStore(ServerKeys.DeviceCa ca, List<String> names, char[] password) {
    KeyPair pair = ServerKeys.newKeyPair();
    Instant now = Instant.now();
    Instant caEnd = ca.certificate().getNotAfter().toInstant();
    Instant end = now.plus(LIFETIME).isBefore(caEnd) ? now.plus(LIFETIME) : caEnd;
    X509Certificate leaf = CertificateIssuer.forSubject("CN=NEGuard agents' API,O=NEGuard",
            pair.getPublic())
        .validity(now.minus(Duration.ofMinutes(5)), end)
        .serverAuth()
        .subjectAltNames(names)
        .issuedBy(ca.certificate(), ca.key());
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      // The CA goes along in the chain, so that a device pinning its SHA-256 can find it.
      ks.setKeyEntry(ALIAS, pair.getPrivate(), password,
          new Certificate[] {leaf, ca.certificate()});
      return ks;
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot build the agents' port key store", e);
    }
  }

  private static KeyStore trustStore(X509Certificate ca) {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setCertificateEntry("device-ca", ca);
      return ks;
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot build the agents' port trust store", e);
    }
  }
}
