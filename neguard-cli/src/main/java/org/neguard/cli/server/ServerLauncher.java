package org.neguard.cli.server;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.neguard.cli.support.DurationConverter;
import org.neguard.cli.support.Output;
import org.neguard.cli.support.Secrets;
import org.neguard.server.NeguardServer;
import org.neguard.server.ServerConfig;
import org.neguard.sign.TrustStore;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine;

/**
 * The launcher boundary: the only CLI class that names a class of {@code neguard-server} (and so
 * reaches Spring). The JVM loads it only when a server is started ({@code neguard server}, the
 * quickstart), so the other commands never load the server's classes; a test checks that with
 * {@code -verbose:class}.
 */
public final class ServerLauncher {
  private ServerLauncher() {}

  /** A server started for a walk-through; closing it stops it. */
  public interface Running extends AutoCloseable {
    /** Where it listens, like {@code http://127.0.0.1:41234}. */
    String url();

    @Override
    void close() throws IOException;
  }

  /**
   * Starts the server {@code command} describes, reports where it listens, and blocks until the
   * process is told to stop.
   */
  static int runUntilStopped(ServerCommand command, CommandLine cl, Output out)
      throws IOException, RefusalException, InterruptedException {
    ServerConfig config = config(command, cl);
    NeguardServer server = startBound(config, command.trust, command.crls);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.close();
      } catch (IOException e) {
        // exiting anyway
      }
    }, "neguard-server-stop"));
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("url", server.url().toString());
    details.put("deviceUrl", server.deviceUrl().toString());
    details.put("dataDir", server.dataDir().toString());
    details.put("database", config.dbUrl().orElse("embedded"));
    out.done("NEGuard server listening on " + server.url() + ", agents' API on "
        + server.deviceUrl() + "  (data " + server.dataDir() + ", database "
        + config.dbUrl().orElse("embedded") + "); stop it with Ctrl-C", details);
    server.awaitStop();
    return 0;
  }

  private static ServerConfig config(ServerCommand c, CommandLine cl)
      throws IOException, RefusalException {
    String dbPassword = c.dbPasswordFile == null ? null
        : Secrets.read(c.dbPasswordFile, null, "Database password");
    String tlsPassword = c.tlsKeystore == null ? null
        : Secrets.read(c.tlsPasswordFile, "NEGUARD_TLS_KEYSTORE_PASSWORD", "Key store password");
    ServerConfig.Builder b = ServerConfig.builder(c.data).port(c.port).bindAddress(c.bind)
        .allowPlainHttp(c.insecurePlainHttp).adminPasswordFile(c.adminPasswordFile)
        .scanPolicy(c.scanPolicy.gate(cl).policy());
    try {
      b.fleet(new ServerConfig.Fleet(c.devicePort, c.deviceHosts, c.requiredApprovals,
          c.schedulerInterval, ServerConfig.Fleet.defaults().certificateLifetime(),
          Optional.ofNullable(c.packageStore)));
      b.repo(new ServerConfig.Repo(c.repoPublic, c.repoTimestampExpiry, c.repoSnapshotExpiry,
          c.repoTargetsExpiry, c.repoRenewInterval));
      b.attest(new ServerConfig.Attest(c.attestInterval, c.attestJitter,
          c.attestChallengeValidity, ServerConfig.Attest.defaults().schedulerInterval(),
          c.baselineApprovals, c.attestTpmPcr, c.tpmEkAnchors, passHistory(cl, c),
          c.attestUntrustedInterval));
      b.drift(new ServerConfig.Drift(c.driftReportBurst, c.driftReportEvery, c.driftOverdue,
          ServerConfig.Drift.defaults().checkInterval()));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, e.getMessage());
    }
    if (c.db != null) {
      b.database(c.db, c.dbUser, dbPassword);
    }
    if (c.tlsKeystore != null) {
      b.tls(c.tlsKeystore, tlsPassword);
    }
    if (c.maxUpload != null) {
      b.maxUploadBytes(c.maxUpload);
    }
    b.alertWebhook(c.alertWebhook);
    ServerConfig.VulnGate.Unassessable unassessable = switch (String.valueOf(
        c.vulnUnassessable)) {
      case "hold" -> ServerConfig.VulnGate.Unassessable.HOLD;
      case "note" -> ServerConfig.VulnGate.Unassessable.NOTE;
      default -> throw new CommandLine.ParameterException(cl, "--vuln-unassessable '"
          + c.vulnUnassessable + "' is not hold or note");
    };
    b.vulnGate(new ServerConfig.VulnGate(threshold(cl, "--vuln-fail-on", c.vulnFailOn),
        c.requireSbom, unassessable));
    org.neguard.vuln.Severity alertOn = threshold(cl, "--vuln-alert-on", c.vulnAlertOn);
    try {
      b.vuln(new ServerConfig.Vuln(Optional.ofNullable(c.vulnDb)
          .map(Path::toAbsolutePath), c.vulnDbMaxAge, alertOn));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, e.getMessage());
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, e.getMessage());
    }
  }

  /**
   * Starts a quiet server on a free loopback port with an embedded database in {@code data},
   * trusting {@code caCert}, its repository public, assessing the NEs' packages against the
   * vulnerability database in {@code vulnDb} (none there yet is a state it shows): the
   * quickstart's.
   */
  public static Running startQuiet(Path data, Path adminPasswordFile, Path caCert)
      throws IOException, RefusalException {
    return startQuiet(data, adminPasswordFile, caCert, null);
  }

  /**
   * As {@link #startQuiet(Path, Path, Path)}, the publication gate matching SBOMs and the NEs'
   * packages assessed against the vulnerability database in {@code vulnDb} when not null.
   */
  public static Running startQuiet(Path data, Path adminPasswordFile, Path caCert, Path vulnDb)
      throws IOException, RefusalException {
    return startQuiet(data, adminPasswordFile, caCert, vulnDb,
        ServerConfig.Vuln.defaults().maxAge());
  }

  /** As {@link #startQuiet(Path, Path, Path, Path)}, feeds allowed to be {@code vulnDbMaxAge} old. */
  public static Running startQuiet(Path data, Path adminPasswordFile, Path caCert, Path vulnDb,
      java.time.Duration vulnDbMaxAge) throws IOException, RefusalException {
    // The repository readable by anyone, as --repo-public: any TUF client (tuf-js too) reads
    // it without a NEGuard login, which is what the quickstart shows.
    ServerConfig.Repo d = ServerConfig.Repo.defaults();
    NeguardServer server = start(ServerConfig.builder(data).port(0).quiet(true)
        .adminPasswordFile(adminPasswordFile)
        .repo(new ServerConfig.Repo(true, d.timestampExpiry(), d.snapshotExpiry(),
            d.targetsExpiry(), d.renewInterval()))
        .vuln(new ServerConfig.Vuln(Optional.ofNullable(vulnDb).map(Path::toAbsolutePath),
            vulnDbMaxAge))
        .build(), List.of(caCert), List.of());
    return new Running() {
      @Override
      public String url() {
        return server.url().toString();
      }

      @Override
      public void close() throws IOException {
        server.close();
      }
    };
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
  public static NeguardServer start(ServerConfig config, List<Path> trust, List<Path> crls)
      throws IOException, RefusalException {
    return startBound(
        config, trust.stream().map(p -> new TrustStore.AnchorFile(p, null)).toList(), crls);
  }

  /** {@code --attest-pass-history}: a duration, or {@code forever} (empty). */
  static Optional<java.time.Duration> passHistory(CommandLine cl, ServerCommand c) {
    String v = String.valueOf(c.attestPassHistory);
    if (v.strip().equalsIgnoreCase("forever")) {
      return Optional.empty();
    }
    return Optional.of(DurationConverter.parse(v).orElseThrow(() ->
        new CommandLine.ParameterException(cl, "--attest-pass-history: '" + v + "' is not a"
            + " duration like " + DurationConverter.FORMS
            + ", or forever")));
  }

  private static org.neguard.vuln.Severity threshold(CommandLine cl, String option,
      String value) {
    return org.neguard.vuln.Severity.threshold(value).orElseThrow(() ->
        new CommandLine.ParameterException(cl, option + ": '" + value + "' is not "
            + org.neguard.vuln.Severity.THRESHOLDS));
  }
}
