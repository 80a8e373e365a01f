package org.neguard.server;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.flywaydb.core.api.exception.FlywayValidateException;
import org.neguard.server.keys.ServerKeys;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.web.embedded.tomcat.TomcatWebServer;
import org.springframework.boot.web.server.PortInUseException;
import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.servlet.context.ServletWebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

/**
 * Starts and stops one NEGuard OAM server in this JVM. The only class callers outside the
 * server module need: the CLI's {@code neguard server}, the quickstart and the tests.
 *
 * <p>Every setting comes from {@link ServerConfig}, that is from the command line. Spring's
 * external configuration is switched off: no {@code application.properties} or {@code
 * neguard-server.properties} in the working directory or {@code ./config/}, no environment
 * variables ({@code SPRING_*}, {@code NEGUARD_*}, {@code SPRING_APPLICATION_JSON}), no system
 * properties, so that nobody who can write a file where the server starts, or set its
 * environment, can relax the publication gate or open a second listener.
 */
public final class NeguardServer implements AutoCloseable {
  /**
   * The most of a refused request body the server reads and drops before it closes the
   * connection: the largest JSON body any endpoint accepts.
   */
  public static final long MAX_SWALLOW_BYTES = 1 << 20;

  /**
   * The setting that opens the TUF repository's files to anyone on the users' port ({@code
   * ServerConfig.Repo.publicRead}).
   */
  public static final String REPO_PUBLIC = "neguard.repo.public";

  /** Where the OpenAPI document is served, to anyone (as {@code /actuator/health} is). */
  public static final String OPENAPI_PATH = "/api/openapi";

  private final ConfigurableApplicationContext context;
  private final DataDir dataDir;
  private final URI url;
  private final URI deviceUrl;

  private NeguardServer(ConfigurableApplicationContext context, DataDir dataDir, URI url,
      URI deviceUrl) {
    this.context = context;
    this.dataDir = dataDir;
    this.url = url;
    this.deviceUrl = deviceUrl;
  }

  /**
   * Starts a server and returns once it accepts requests.
   *
   * @throws RefusalException {@code BAD_INPUT} for plain HTTP on a non-loopback address without
   *     {@code allowPlainHttp}; {@code IO_ERROR} if the port, the agents' port or the data
   *     directory is taken or the database cannot be reached
   * @throws IOException if the data directory cannot be created
   */
  public static NeguardServer start(ServerConfig config) throws IOException, RefusalException {
    if (config.tlsKeystore().isEmpty() && !config.loopback() && !config.allowPlainHttp()) {
      throw new RefusalException(
          ReasonCode.BAD_INPUT,
          "refusing plain HTTP on the non-loopback address " + config.bindAddress()
              + ": give a TLS key store (--tls-keystore), listen on 127.0.0.1, or insist with"
              + " --insecure-plain-http");
    }
    DataDir dir = DataDir.open(config.dataDir(), config.fleet().packageStore());
    try {
      // Under the lock: a second start that is refused must not change the running server's
      // trust configuration.
      dir.installTrust(config.trustAnchors(), config.crls());
    } catch (IOException | RefusalException | RuntimeException e) {
      dir.close();
      throw e;
    }
    DeviceListener devices = new DeviceListener();
    try {
      SpringApplication app = new SpringApplication(ServerApplication.class);
      app.setBannerMode(Banner.Mode.OFF);
      app.setRegisterShutdownHook(false);
      app.setAddCommandLineProperties(false);
      StandardEnvironment env = new CommandLineOnlyEnvironment();
      env.getPropertySources().addFirst(new MapPropertySource("neguard", settings(config, dir)));
      app.setEnvironment(env);
      app.addInitializers(
          ctx -> {
            ctx.getBeanFactory().registerSingleton("neguardDataDir", dir);
            ctx.getBeanFactory().registerSingleton("neguardServerConfig", config);
            ctx.getBeanFactory().registerSingleton("neguardDeviceListener", devices);
          });
      ConfigurableApplicationContext ctx = app.run();
      WebServer web = ((ServletWebServerApplicationContext) ctx).getWebServer();
      URI deviceUrl;
      try {
        // After the context runs: the device CA is in the database, which is only open now.
        deviceUrl = DeviceConnector.start((TomcatWebServer) web, ctx.getBean(ServerKeys.class),
            config);
      } catch (RuntimeException e) {
        ctx.close();
        throw e;
      }
      devices.started(deviceUrl);
      int port = web.getPort();
      String scheme = config.tlsKeystore().isPresent() ? "https" : "http";
      String host = config.bindAddress().contains(":") ? "[" + config.bindAddress() + "]"
          : config.bindAddress();
      return new NeguardServer(ctx, dir, URI.create(scheme + "://" + host + ":" + port),
          deviceUrl);
    } catch (RuntimeException e) {
      dir.close();
      throw startFailure(config, e);
    }
  }

  /**
   * An environment without the JVM's system properties and environment variables: Spring Boot
   * would otherwise read {@code SPRING_APPLICATION_JSON}, {@code SPRING_CONFIG_*} and any
   * property as an environment variable ({@code MANAGEMENT_SERVER_PORT}).
   */
  private static final class CommandLineOnlyEnvironment extends StandardEnvironment {
    @Override
    protected void customizePropertySources(
        org.springframework.core.env.MutablePropertySources sources) {
      // deliberately none
    }
  }

  /** The only property source: every setting, from {@link ServerConfig}. */
  private static Map<String, Object> settings(ServerConfig config, DataDir dir) {
    Map<String, Object> p = new HashMap<>();
    // Config data (application.properties, ./config/...) is looked for only where none can be:
    // a classpath folder that does not exist, optional so that its absence is no error.
    p.put("spring.config.name", "neguard-no-external-config");
    p.put("spring.config.location", "optional:classpath:/org/neguard/server/no-external-config/");
    p.put("spring.main.banner-mode", "off");
    p.put("spring.main.log-startup-info", "false");
    p.put("server.address", config.bindAddress());
    p.put("server.port", Integer.toString(config.port()));
    p.put("server.error.include-stacktrace", "never");
    p.put("server.error.include-message", "never");
    p.put("server.shutdown", "immediate");
    // A body refused before it is read (401, 403, 413) is read and dropped up to this bound, so
    // that a client that sends a small body whole before reading the answer gets the refusal;
    // past it the connection is closed rather than an anonymous gigabyte read (BodyLimitFilter
    // marks such answers Connection: close).
    p.put("server.tomcat.max-swallow-size", Long.toString(MAX_SWALLOW_BYTES));
    p.put("spring.web.resources.add-mappings", "false");
    // No multipart parsing by the container: a multipart body would otherwise be spooled to disk
    // when anything asks for a parameter (the CSRF filter does), before any limit of ours ran;
    // the console's upload form parses its one file part itself (console.PackageUploadForm).
    p.put("spring.servlet.multipart.enabled", "false");
    // The console's session cookie (issue 18): sent back by the browser to /console only (so
    // never with an API call), never to scripts, never from another site's page or link, and
    // only over TLS when the server has it; never as a URL parameter.
    p.put("server.servlet.session.cookie.name", "NEGUARD_CONSOLE");
    p.put("server.servlet.session.cookie.path", "/console");
    p.put("server.servlet.session.cookie.http-only", "true");
    p.put("server.servlet.session.cookie.same-site", "strict");
    p.put("server.servlet.session.cookie.secure", Boolean.toString(config.tlsKeystore().isPresent()));
    p.put("server.servlet.session.tracking-modes", "cookie");
    // Redirects name a path of this server, never a host taken from the request's Host header.
    p.put("server.tomcat.use-relative-redirects", "true");
    p.put("server.servlet.session.timeout", "30m");
    // The console's sessions live in the database (table console_sessions, migration V19;
    // console.ConsoleSessions), so that every replica knows every session: no sticky routing.
    // The cookie above is Spring Session's (the same name and flags). The schema is Flyway's
    // alone (never Spring Session's own script); expired rows are deleted once a minute.
    p.put("spring.session.timeout", "30m");
    p.put("spring.session.jdbc.table-name", "console_sessions");
    p.put("spring.session.jdbc.initialize-schema", "never");
    p.put("spring.session.jdbc.cleanup-cron", "0 * * * * *");
    p.put("spring.thymeleaf.cache", "true");
    p.put("spring.mvc.problemdetails.enabled", "false");
    p.put("spring.jackson.deserialization.fail-on-unknown-properties", "true");
    p.put("spring.jackson.default-property-inclusion", "non_null");
    // The OpenAPI document of both APIs, at /api/openapi (JSON) and /api/openapi.yaml; no UI.
    p.put("springdoc.api-docs.enabled", "true"); // said, so that springdoc does not warn
    p.put("springdoc.api-docs.path", OPENAPI_PATH);
    p.put("springdoc.show-actuator", "false");
    p.put("springdoc.swagger-ui.enabled", "false");
    p.put("springdoc.writer-with-order-by-keys", "true");
    p.put("spring.flyway.enabled", "true");
    p.put("spring.flyway.locations", "classpath:db/migration");
    // Fail closed on a database migrated by a newer version (Flyway's default pattern *:future
    // ignores its migrations): an older binary would start and break the newer schema's rules,
    // as one before V21 does (docs/DEPLOYMENTS.md, "Upgrading replicas: stop them all first").
    p.put("spring.flyway.ignore-migration-patterns", "");
    p.put("management.endpoints.web.exposure.include", "health,prometheus");
    p.put("management.endpoint.health.show-details", "never");
    p.put("management.endpoint.health.probes.enabled", "true");
    p.put("management.info.env.enabled", "false");
    p.put("neguard.max-upload-bytes", Long.toString(config.maxUploadBytes()));
    // Read by @Allowed(anonymousIf = ...) of the repository's files (access.Allowed).
    p.put(REPO_PUBLIC, Boolean.toString(config.repo().publicRead()));
    config.tlsKeystore().ifPresent(
        ks -> {
          p.put("server.ssl.enabled", "true");
          p.put("server.ssl.key-store", "file:" + ks.toAbsolutePath());
          p.put("server.ssl.key-store-type", "PKCS12");
          p.put("server.ssl.key-store-password", config.tlsKeystorePassword().orElse(""));
          p.put("server.ssl.enabled-protocols", "TLSv1.3,TLSv1.2");
        });
    if (config.dbUrl().isPresent()) {
      p.put("spring.datasource.url", config.dbUrl().get());
      p.put("spring.datasource.username", config.dbUser().orElse(""));
      p.put("spring.datasource.password", config.dbPassword().orElse(""));
    } else {
      p.put("spring.datasource.url", embeddedUrl(dir.database()));
      p.put("spring.datasource.username", "sa");
      p.put("spring.datasource.password", "");
    }
    p.put("spring.datasource.hikari.maximum-pool-size", "8");
    String level = config.quiet() ? "WARN" : "INFO";
    p.put("logging.level.root", "WARN");
    p.put("logging.level.org.neguard", level);
    p.put("logging.level.org.springframework.boot.web.embedded.tomcat", level);
    return p;
  }

  /**
   * The embedded database: H2 in file mode, PostgreSQL-compatible so that one set of migrations
   * serves both; commits are written at once (WRITE_DELAY=0) so a killed server keeps them. A
   * row lock is waited for up to 10 s (LOCK_TIMEOUT, H2's default 2 s): transactions that
   * serialise on a device's row (recovery campaigns, renewal against disable) queue behind each
   * other as on PostgreSQL, rather than fail when the machine is busy. Each connection keeps
   * the plans of its last 64 statements (QUERY_CACHE_SIZE, H2's default 8): a poll and an
   * attestation run about 25 distinct statements, so with 8 every one of them was parsed and
   * planned again, about 9 % of the server's CPU under a fleet's attestations
   * (docs/BENCHMARKS.md, issue 15).
   */
  public static String embeddedUrl(Path dbDir) {
    return "jdbc:h2:file:" + dbDir.resolve("neguard").toAbsolutePath()
        + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;WRITE_DELAY=0"
        + ";LOCK_TIMEOUT=10000;QUERY_CACHE_SIZE=64";
  }

  private static final java.util.regex.Pattern NOT_RESOLVED =
      java.util.regex.Pattern.compile("applied migration not resolved locally: ([^\\s.]+)");

  private static RefusalException startFailure(ServerConfig config, RuntimeException e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      if (root instanceof PortInUseException) {
        break;
      }
      root = root.getCause();
    }
    if (e.getMessage() != null && e.getMessage().startsWith(DeviceConnector.NOT_OPENED)) {
      return new RefusalException(
          ReasonCode.IO_ERROR,
          "the agents' port " + config.fleet().devicePort() + " on " + config.bindAddress()
              + " could not be opened (" + oneLine(root.getMessage())
              + "); choose another port with --device-port",
          e);
    }
    if (root instanceof PortInUseException || hasCause(e, java.net.BindException.class)) {
      return new RefusalException(
          ReasonCode.IO_ERROR,
          "port " + config.port() + " on " + config.bindAddress()
              + " is in use; choose another with --port",
          e);
    }
    if (hasCause(e, FlywayValidateException.class)) {
      return schemaRefusal(e);
    }
    if (hasCause(e, java.sql.SQLException.class)) {
      return new RefusalException(
          ReasonCode.IO_ERROR,
          "the database could not be opened (" + oneLine(root.getMessage())
              + "); check --db, its user and password, and that the server is running",
          e);
    }
    return new RefusalException(
        ReasonCode.INTERNAL, "the server could not start: " + oneLine(root.getMessage()), e);
  }

  /**
   * Flyway's own advice ("run repair") would delete the newer version's history, so the message
   * says what to do instead.
   */
  private static RefusalException schemaRefusal(RuntimeException e) {
    String detail = "";
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof FlywayValidateException) {
        detail = t.getMessage() == null ? "" : t.getMessage();
      }
    }
    java.util.regex.Matcher newer = NOT_RESOLVED.matcher(detail);
    if (newer.find()) {
      return new RefusalException(
          ReasonCode.BAD_INPUT,
          "the database holds migration " + newer.group(1) + ", which this version does not"
              + " know: a newer NEGuard server migrated it. Run that newer version (or restore"
              + " the backup taken before the upgrade); see docs/DEPLOYMENTS.md, \"Upgrading"
              + " replicas: stop them all first\"",
          e);
    }
    String line = detail.lines().filter(l -> l.startsWith("Detected") || l.startsWith("Migration"))
        .findFirst().orElse(oneLine(detail));
    return new RefusalException(
        ReasonCode.BAD_INPUT,
        "the database's schema history does not match this version's migrations (" + oneLine(line)
            + "); see docs/DEPLOYMENTS.md, \"Upgrading replicas: stop them all first\"",
        e);
  }

  private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private static String oneLine(String s) {
    if (s == null) {
      return "no detail";
    }
    String line = s.lines().findFirst().orElse("");
    return line.length() > 300 ? line.substring(0, 300) + "..." : line;
  }

  /** The base URL, for example {@code http://127.0.0.1:41234}. */
  public URI url() {
    return url;
  }

  public int port() {
    return url.getPort();
  }

  /**
   * The agents' API base URL, for example {@code https://127.0.0.1:41235}: always TLS, the
   * certificate issued by the device CA (docs/DEPLOYMENTS.md, "The two ports").
   */
  public URI deviceUrl() {
    return deviceUrl;
  }

  public int devicePort() {
    return deviceUrl.getPort();
  }

  public Path dataDir() {
    return dataDir.root();
  }

  /** Blocks until the server is stopped (by {@link #close} or a shutdown signal). */
  public void awaitStop() throws InterruptedException {
    Object monitor = new Object();
    context.addApplicationListener(
        (org.springframework.context.ApplicationListener<
                org.springframework.context.event.ContextClosedEvent>)
            ev -> {
              synchronized (monitor) {
                monitor.notifyAll();
              }
            });
    synchronized (monitor) {
      while (context.isActive()) {
        monitor.wait(1000);
      }
    }
  }

  /** Stops the server and releases the data directory. */
  @Override
  public void close() throws IOException {
    try {
      context.close();
    } finally {
      dataDir.close();
    }
  }
}
