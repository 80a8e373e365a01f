package org.neguard.server;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A webhook receiver on loopback for the server's {@code --alert-webhook}: every POST body, in
 * arrival order (the drift and the vulnerability alerts' tests).
 */
public final class WebhookReceiver implements AutoCloseable {
  private final HttpServer server;
  private final List<String> bodies = java.util.Collections.synchronizedList(new ArrayList<>());

  public WebhookReceiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/hook", exchange -> {
      try (InputStream in = exchange.getRequestBody()) {
        bodies.add(exchange.getRequestMethod() + " "
            + new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    server.start();
  }

  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hook");
  }

  /**
   * The first body not yet taken that contains all of {@code fragments}, within 10 s; it is
   * taken, the others stay for later calls.
   */
  public String await(String... fragments) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      synchronized (bodies) {
        for (java.util.Iterator<String> it = bodies.iterator(); it.hasNext(); ) {
          String b = it.next();
          if (java.util.Arrays.stream(fragments).allMatch(b::contains)) {
            it.remove();
            return b;
          }
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no webhook POST with " + List.of(fragments) + "; saw " + bodies);
  }

  /** The bodies not yet taken that contain {@code fragment}, after waiting {@code millis}. */
  public List<String> untaken(String fragment, long millis) throws InterruptedException {
    Thread.sleep(millis);
    synchronized (bodies) {
      return bodies.stream().filter(b -> b.contains(fragment)).toList();
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
