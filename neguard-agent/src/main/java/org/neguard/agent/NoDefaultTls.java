package org.neguard.agent;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocketFactory;

/**
 * The agent process's default TLS socket factory: one that refuses every connection.
 *
 * <p>Every connection of the agent carries the device's own factory ({@code DeviceClient}: the
 * device key, trust in the device CA only). The JDK's default factory is never used, but
 * {@link HttpsURLConnection} builds it at its first instance (a field initializer), and with it
 * the JDK's default trust store: about 140 CA certificates parsed onto the heap and their classes
 * loaded, 2 MiB of an idle agent's resident memory (docs/AGENT.md "Footprint"). Set as the
 * default before the first connection, this factory takes its place, and a connection that
 * forgot the device's factory fails instead of trusting the JDK's CAs.
 */
final class NoDefaultTls extends SSLSocketFactory {
  static final NoDefaultTls FACTORY = new NoDefaultTls();

  private NoDefaultTls() {}

  /** Makes this the default of {@link HttpsURLConnection}, for the agent's own process only. */
  static void install() {
    HttpsURLConnection.setDefaultSSLSocketFactory(FACTORY);
  }

  private static Socket refuse(String host, int port) throws IOException {
    throw new SSLException("no TLS connection to " + host + ":" + port + " without the device's"
        + " own trust: the agent never trusts the JDK's default CA certificates");
  }

  @Override
  public String[] getDefaultCipherSuites() {
    return new String[0];
  }

  @Override
  public String[] getSupportedCipherSuites() {
    return new String[0];
  }

  @Override
  public Socket createSocket(Socket s, String host, int port, boolean autoClose)
      throws IOException {
    if (autoClose) {
      s.close();
    }
    return refuse(host, port);
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    return refuse(host, port);
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
      throws IOException {
    return refuse(host, port);
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    return refuse(host.getHostAddress(), port);
  }

  @Override
  public Socket createSocket(InetAddress address, int port, InetAddress localAddress,
      int localPort) throws IOException {
    return refuse(address.getHostAddress(), port);
  }
}
