package org.neguard.server;

import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;

/**
 * Where the agents' port listens, once it does ({@link NeguardServer#deviceUrl}): the device
 * package's filter asks it whether a request came in on that port. Before the port is open no
 * request is one of the agents' port (fail closed: device endpoints answer 404 everywhere).
 *
 * <p>Thread-safe.
 */
public final class DeviceListener {
  private volatile int port;
  private volatile URI url;

  DeviceListener() {}

  /** Whether {@code request} arrived on the agents' port. */
  public boolean isDevicePort(HttpServletRequest request) {
    int p = port;
    return p != 0 && request.getLocalPort() == p;
  }

  /** The agents' API base URL ({@code https://host:port}), or null before it listens. */
  public URI url() {
    return url;
  }

  void started(URI url) {
    this.url = url;
    this.port = url.getPort();
  }
}
