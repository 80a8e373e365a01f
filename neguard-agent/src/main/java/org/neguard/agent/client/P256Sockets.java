package org.neguard.agent.client;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.neguard.pki.TlsKeyExchange;

/**
 * A device's sockets, offering P-256 as their one key-exchange group ({@link
 * TlsKeyExchange#offerP256}: the server's cheapest). Whatever sets parameters on a socket after
 * this (the JDK's HTTPS client sets its endpoint check) reads them first, so the group stays.
 */
final class P256Sockets extends SSLSocketFactory {
  private final SSLSocketFactory sockets;

  P256Sockets(SSLSocketFactory sockets) {
    this.sockets = sockets;
  }

  private static Socket offering(Socket s) {
    if (s instanceof SSLSocket tls) {
      SSLParameters p = tls.getSSLParameters();
      if (TlsKeyExchange.offerP256(p)) {
        tls.setSSLParameters(p);
      }
    }
    return s;
  }

  @Override
  public String[] getDefaultCipherSuites() {
    return sockets.getDefaultCipherSuites();
  }

  @Override
  public String[] getSupportedCipherSuites() {
    return sockets.getSupportedCipherSuites();
  }

  @Override
  public Socket createSocket() throws IOException {
    return offering(sockets.createSocket());
  }

  @Override
  public Socket createSocket(Socket s, String host, int port, boolean autoClose)
      throws IOException {
    return offering(sockets.createSocket(s, host, port, autoClose));
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    return offering(sockets.createSocket(host, port));
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
      throws IOException {
    return offering(sockets.createSocket(host, port, localHost, localPort));
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    return offering(sockets.createSocket(host, port));
  }

  @Override
  public Socket createSocket(InetAddress address, int port, InetAddress localAddress,
      int localPort) throws IOException {
    return offering(sockets.createSocket(address, port, localAddress, localPort));
  }
}
