package org.neguard.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.neguard.server.NeguardServer;
import org.neguard.server.ServerConfig;
import org.neguard.server.pkg.TrustConfiguration;
import org.neguard.sign.Certificates;
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

  /** Installs the given trust files, none bound to a vendor, then starts the server. */
  static NeguardServer start(ServerConfig config, List<Path> trust, List<Path> crls)
      throws IOException, RefusalException {
    return startBound(
        config, trust.stream().map(p -> new TrustStore.AnchorFile(p, null)).toList(), crls);
  }

  /**
   * Installs the given trust files into the data directory, each anchor's vendor binding into
   * {@code NAME.vendors} beside it (an unbound anchor loses any binding it had), then starts
   * the server.
   */
  static NeguardServer startBound(
      ServerConfig config, List<TrustStore.AnchorFile> trust, List<Path> crls)
      throws IOException, RefusalException {
    installTrust(config.dataDir(), trust, crls);
    return NeguardServer.start(config);
  }

  /** Copies anchors and CRLs into {@code data}, with each anchor's vendor binding beside it. */
  static void installTrust(Path data, List<TrustStore.AnchorFile> trust, List<Path> crls)
      throws IOException, RefusalException {
    install(data, "trust/anchors", trust.stream().map(TrustStore.AnchorFile::path).toList(), false);
    if (!trust.isEmpty()) {
      bind(data.resolve("trust/anchors"), trust);
    }
    install(data, "trust/crls", crls, true);
  }

  private static void bind(Path anchors, List<TrustStore.AnchorFile> trust) throws IOException {
    Map<Path, Set<String>> vendors = new LinkedHashMap<>();
    for (TrustStore.AnchorFile a : trust) {
      Set<String> names = vendors.computeIfAbsent(
          anchors.resolve(installedName(a.path())), k -> new LinkedHashSet<>());
      if (a.vendor() != null) {
        names.add(a.vendor());
      }
    }
    for (Map.Entry<Path, Set<String>> e : vendors.entrySet()) {
      Path file = TrustConfiguration.vendorsFile(e.getKey());
      if (e.getValue().isEmpty()) {
        Files.deleteIfExists(file); // what the command line says now, not a start before
      } else {
        Files.writeString(file, String.join("\n", e.getValue()) + "\n", StandardCharsets.UTF_8);
      }
    }
  }

  private static String installedName(Path f) {
    String name = f.getFileName().toString();
    return name.matches(".*\\.(pem|crt|cer|der|crl)$") ? name : name + ".pem";
  }

  private static void install(Path data, String sub, List<Path> files, boolean crl)
      throws IOException, RefusalException {
    if (files.isEmpty()) {
      return;
    }
    for (Path f : files) { // check every file before copying any
      if (crl) {
        Certificates.readCrls(f);
      } else {
        Certificates.read(f);
      }
    }
    if (!Files.isDirectory(data)) {
      Files.createDirectories(data);
      Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
    }
    Path dir = Files.createDirectories(data.resolve(sub));
    for (Path f : files) {
      Files.copy(f, dir.resolve(installedName(f)), StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
