package org.neguard.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.server.NeguardServer;
import org.neguard.server.ServerConfig;
import org.neguard.sign.TrustStore;
import org.neguard.verdict.RefusalException;

/**
 * Starts the server in this JVM. The only CLI class that touches {@link NeguardServer} (and so
 * Spring); the JVM loads it only when a server is started.
 */
final class ServerLauncher {
  private ServerLauncher() {}

  /** Starts, reports where it listens, and blocks until the process is told to stop. */
  static int runUntilStopped(
      ServerConfig config, List<TrustStore.AnchorFile> trust, List<Path> crls, Output out)
      throws IOException, RefusalException, InterruptedException {
    NeguardServer server = startBound(config, trust, crls);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.close();
      } catch (IOException e) {
        // exiting anyway
      }
    }, "neguard-server-stop"));
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("url", server.url().toString());
    details.put("dataDir", server.dataDir().toString());
    details.put("database", config.dbUrl().orElse("embedded"));
    out.done("NEGuard server listening on " + server.url() + "  (data " + server.dataDir()
        + ", database " + config.dbUrl().orElse("embedded") + "); stop it with Ctrl-C", details);
    server.awaitStop();
    return 0;
  }

  /**
   * Starts the server, which installs the given trust files, with their vendor bindings, into
   * the data directory once it holds the directory's lock (so a refused second start changes
   * nothing).
   */
  static NeguardServer startBound(
      ServerConfig config, List<TrustStore.AnchorFile> trust, List<Path> crls)
      throws IOException, RefusalException {
    return NeguardServer.start(config.withTrust(trust, crls));
  }

  /** {@link #startBound} with anchors bound to no vendor. */
  static NeguardServer start(ServerConfig config, List<Path> trust, List<Path> crls)
      throws IOException, RefusalException {
    return startBound(
        config, trust.stream().map(p -> new TrustStore.AnchorFile(p, null)).toList(), crls);
  }
}
