package org.neguard.cli.sim;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.neguard.api.deploy.Deployment;
import org.neguard.api.deploy.Target;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.agent.client.DeviceClient;
import org.neguard.agent.client.DeviceIdentity;
import org.neguard.api.device.Enrolled;
import org.neguard.api.device.OrderKey;
import org.neguard.api.device.EnrollmentToken;
import org.neguard.api.device.EnrollmentTokenRequest;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.DurationConverter;
import org.neguard.cli.support.Output;
import org.neguard.cli.support.ServerClient;
import org.neguard.cli.support.StopSignal;
import org.neguard.cli.support.TerminalProgress;
import org.neguard.io.FileTrees;
import org.neguard.pki.TlsKeyExchange;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code neguard sim agents}: N simulated devices on the real protocol. With the operator's
 * credentials it creates one one-time enrollment token per device (bound to the device's id and
 * NE type), enrolls each device with a key pair and CSR of its own, then drives all of them from
 * a small scheduled pool: every device polls every {@code --poll-interval}, at its own phase so
 * the load is even, and carries out the orders it gets ({@link SimDevice}).
 */
@Command(name = "agents", mixinStandardHelpOptions = true,
    description = {
      "Enroll and run N simulated devices that poll, verify signed orders, download and report.",
      "Uses your credentials (an admin or operator) to create one enrollment token per device;"
          + " each device has its own EC key, certificate and mutual-TLS connection. A share of"
          + " the devices (--fail-rate, the same devices every run) reports its installs as"
          + " failed; another (--tamper-rate) tampers with its installed package once, so that"
          + " the server's attestation finds it. Progress goes to standard error; the summary"
          + " (polls, 304 share, poll latency p50 and p99, attestations and their latency,"
          + " orders, outcomes) to standard output; with --warmup, of the time after the warm-up"
          + " only. Ctrl-C stops it and prints the summary."
    })
final class SimAgentsCommand extends ClientCommand {
  @Option(names = "--count", required = true, paramLabel = "N",
      description = "How many devices, 1 to 100000.")
  int count;

  @Option(names = "--ne-type", paramLabel = "TYPE", defaultValue = "mme",
      description = "The devices' NE type (default: ${DEFAULT-VALUE}).")
  String neType;

  @Option(names = "--label", paramLabel = "L",
      description = "A label every device gets. Repeatable.")
  List<String> labels = new ArrayList<>();

  @Option(names = "--fail-rate", paramLabel = "SHARE", defaultValue = "0",
      description = "Share of devices, 0 to 1, whose installs fail (default: ${DEFAULT-VALUE}).")
  double failRate;

  @Option(names = "--tamper-rate", paramLabel = "SHARE", defaultValue = "0",
      description = "Share of devices, 0 to 1 (the same devices every run), that tamper once"
          + " the attack begins: from then on their evidence shows the package they installed"
          + " with an extra file, " + SimDevice.IMPLANT + ", until they install a package again"
          + " (a recovery makes them honest for good). A device without a package tampers once"
          + " it has installed one (default: ${DEFAULT-VALUE}).")
  double tamperRate;

  @Option(names = "--tamper-after", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "The attack begins this long after the devices start polling (default: at"
          + " once: a tampering device tampers as soon as it has installed a package and is"
          + " challenged again).")
  Duration tamperAfter;

  @Option(names = "--tamper-when", paramLabel = "FILE",
      description = "The attack begins only once FILE exists (and --tamper-after has passed):"
          + " whoever drives the run picks the moment.")
  Path tamperWhen;

  @Option(names = "--poll-interval", paramLabel = "DURATION", defaultValue = "2s",
      converter = DurationConverter.class,
      description = "How often each device polls (default: ${DEFAULT-VALUE}).")
  Duration pollInterval;

  @Option(names = "--duration", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "Stop after this long of polling (with --until-idle: at the latest).")
  Duration duration;

  @Option(names = "--warmup", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "Poll this long, and until every device has polled once, before counting,"
          + " then start every count afresh (a line on standard error marks the moment), so that"
          + " the summary covers only the --duration after the warm-up, without the devices'"
          + " first connections (default: none).")
  Duration warmup;

  @Option(names = "--until-idle",
      description = "Stop once a deployment has targeted the devices, none that does is"
          + " pending or running any more, and no device is busy.")
  boolean untilIdle;

  @Option(names = "--id-prefix", paramLabel = "PREFIX", defaultValue = "sim-",
      description = "Device ids are PREFIX and the device's number (default: ${DEFAULT-VALUE}).")
  String idPrefix;

  @Option(names = "--state-dir", paramLabel = "DIR",
      description = "Keep the devices' keys and certificates here, and reuse those found here"
          + " instead of enrolling again.")
  Path stateDir;

  @Option(names = "--device-url", paramLabel = "URL",
      description = "The agents' API, https://HOST:PORT (default: the one the enrollment tokens"
          + " name, or the one saved in --state-dir).")
  URI deviceUrl;

  @Option(names = "--no-keep-alive",
      description = "Close each device's connections after its poll and what the poll brought,"
          + " as an agent does whose poll interval is longer than the server's keep-alive: the"
          + " server then holds no connection for an idle device, and each poll makes a TLS"
          + " handshake (resumed where the server allows), the evidence a challenge asks for"
          + " going on the poll's connection. For fleets larger than the open files one process"
          + " may hold: a kept device holds two on each side.")
  boolean noKeepAlive;

  @Option(names = "--threads", paramLabel = "N", defaultValue = "4",
      description = "Threads that drive all the devices (default: ${DEFAULT-VALUE}).")
  int threads;

  @Override
  public Integer call() throws Exception {
    if (count < 1 || count > 100_000) {
      throw usage("--count must be 1 to 100000: " + count);
    }
    if (!(failRate >= 0 && failRate <= 1)) {
      throw usage("--fail-rate must be a share from 0 to 1: " + failRate);
    }
    if (!(tamperRate >= 0 && tamperRate <= 1)) {
      throw usage("--tamper-rate must be a share from 0 to 1: " + tamperRate);
    }
    if (warmup != null && (warmup.isNegative() || untilIdle)) {
      throw usage("--warmup must be a duration of 0 or more, without --until-idle (which"
          + " ends the run at a moment of its own): " + warmup);
    }
    if (threads < 1 || threads > 256) {
      throw usage("--threads must be 1 to 256: " + threads);
    }
    // The NEs' side of the key exchange on AWS-LC too: CPU this machine's server gets.
    TlsKeyExchange.installAwsLc();
    ServerClient server = server();
    Output out = output();
    SimStats stats = new SimStats();
    Path downloads = Files.createTempDirectory("neguard-sim-");
    SimDevice.Shared shared = new SimDevice.Shared(stats, downloads,
        securityVersions(server), stateDir, attackBegun(stats), !noKeepAlive);
    ScheduledExecutorService pool = Executors.newScheduledThreadPool(threads, daemons("sim"));
    // Its own thread: a progress line on time even when the pool is busy enrolling or behind.
    ScheduledExecutorService reporter = Executors.newSingleThreadScheduledExecutor(
        daemons("sim-progress"));
    // On a terminal one line redrawn every second; in a log a line every ten.
    boolean terminal = TerminalProgress.watching(out);
    // The summary is printed before a Ctrl-C lets the process go.
    try (StopSignal stop = StopSignal.install()) {
      try {
        reporter.scheduleWithFixedDelay(() -> progress(out.err(), stats, terminal),
            1, terminal ? 1 : 10, TimeUnit.SECONDS);
        List<SimDevice> devices = enrollAll(server, pool, shared);
        stats.pollingStarts();
        run(devices, pool, server, shared, () -> reporter.submit(() -> {
          stats.restart();
          progressLine(out.err(), terminal, String.format("sim: warm-up over after %.1f s"
              + " (every device has polled); counting from now", stats.sincePollingStarted()));
        }).get());
        pool.shutdownNow();
        pool.awaitTermination(10, TimeUnit.SECONDS);
        devices.forEach(SimDevice::close);
      } catch (InterruptedException e) {
        // Ctrl-C: the summary of what was done so far
      } finally {
        reporter.shutdownNow();
        pool.shutdownNow();
        FileTrees.deleteTree(downloads);
      }
      progress(out.err(), stats, terminal);
      if (terminal) {
        out.err().println();
      }
      Map<String, Object> summary = stats.summary(count, pollInterval);
      return out.done(summaryText(summary), summary);
    }
  }

  /**
   * Enrolls the devices (or loads those {@code --state-dir} holds), all at once on the pool; the
   * first failure stops the run.
   */
  private List<SimDevice> enrollAll(ServerClient server, ScheduledExecutorService pool,
      SimDevice.Shared shared) throws IOException, RefusalException, InterruptedException {
    int width = String.valueOf(count - 1).length();
    List<Future<SimDevice>> futures = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int index = i;
      String id = idPrefix + String.format("%0" + width + "d", index);
      futures.add(pool.submit(() -> {
        SimDevice d = device(server, index, id, shared);
        shared.stats().enrolled.incrementAndGet();
        return d;
      }));
    }
    List<SimDevice> devices = new ArrayList<>();
    try {
      for (Future<SimDevice> f : futures) {
        devices.add(f.get());
      }
    } catch (ExecutionException e) {
      futures.forEach(f -> f.cancel(true));
      if (e.getCause() instanceof RefusalException r) {
        throw r;
      }
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IllegalStateException(e.getCause());
    }
    return devices;
  }

  /** Device {@code id}: loaded from {@code --state-dir}, else enrolled with a new token. */
  private SimDevice device(ServerClient server, int index, String id, SimDevice.Shared shared)
      throws IOException, RefusalException {
    boolean fails = SimDevice.failsByIndex(index, failRate);
    boolean tampers = SimDevice.failsByIndex(index, tamperRate);
    try {
      Optional<URI> savedUrl = deviceUrl != null ? Optional.of(deviceUrl)
          : stateDir == null ? Optional.empty() : SimState.deviceUrl(stateDir);
      if (savedUrl.isPresent() && stateDir != null && SimState.saved(stateDir, id)) {
        DeviceClient client = DeviceClient.of(savedUrl.get(),
            DeviceIdentity.load(SimState.deviceDir(stateDir, id)));
        client.keepAlive(!noKeepAlive);
        List<OrderKey> keys;
        try {
          keys = client.orderKeys();
        } catch (ConnectException e) {
          throw new RefusalException(ReasonCode.SERVER_UNREACHABLE, "cannot reach the agents'"
              + " API at " + savedUrl.get() + ", where the devices of " + stateDir + " enrolled;"
              + " if the server listens elsewhere now, give --device-url");
        }
        return new SimDevice(index, client, OrderKeys.verifier(keys, id), fails, tampers,
            shared);
      }
      EnrollmentToken token = server.createEnrollmentToken(new EnrollmentTokenRequest(id,
          neType, labels.isEmpty() ? null : labels, null));
      URI url = deviceUrl != null ? deviceUrl : URI.create(token.deviceUrl());
      DeviceClient client = DeviceClient.enrolling(url,
          DeviceClient.Trust.ca(token.caCertificate()));
      client.keepAlive(!noKeepAlive);
      Enrolled enrolled = client.enroll(token.token(), id, neType, null, null);
      if (stateDir != null) {
        SimState.saveDeviceUrl(stateDir, url.toString());
        client.identity().save(SimState.deviceDir(stateDir, id));
      }
      return new SimDevice(index, client, OrderKeys.verifier(enrolled.orderKeys(), id), fails,
          tampers, shared);
    } catch (DeviceApiException e) {
      throw new RefusalException(e.reasons().stream()
          .map(r -> Reason.about(r.knownCode().orElse(ReasonCode.INTERNAL), id,
              "device " + id + ": " + r.code() + " " + r.message()))
          .toList());
    }
  }

  /**
   * Runs every device on the pool until the run ends: {@code --duration}, idle with
   * {@code --until-idle}, or Ctrl-C (an interrupt).
   */
  private void run(List<SimDevice> devices, ScheduledExecutorService pool, ServerClient server,
      SimDevice.Shared shared, WarmupEnd warmupEnd)
      throws InterruptedException, IOException, RefusalException {
    long intervalNanos = pollInterval.toNanos();
    long start = System.nanoTime();
    for (SimDevice d : devices) {
      // Each device at its own phase of the interval: an even load, not a burst per interval.
      long phase = intervalNanos * d.index() / devices.size();
      pool.schedule(new Runner(d, pool, intervalNanos, shared.stats(), start + phase), phase,
          TimeUnit.NANOSECONDS);
    }
    if (warmup != null) {
      Thread.sleep(warmup.toMillis());
      // A device's first step opens its connection (a TLS handshake): none inside the window.
      while (shared.stats().firstSteps.get() < devices.size()) {
        Thread.sleep(100);
      }
      try {
        warmupEnd.now();
      } catch (ExecutionException e) {
        throw new IllegalStateException(e.getCause());
      }
    }
    long deadline = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
    IdleCheck idle = new IdleCheck(server, devices);
    while (System.nanoTime() < deadline) {
      Thread.sleep(Math.min(1000, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
      if (untilIdle && idle.idle(devices)) {
        return;
      }
    }
  }

  /** Ends the warm-up: the counts start afresh ({@link SimStats#restart}). */
  @FunctionalInterface
  private interface WarmupEnd {
    void now() throws InterruptedException, ExecutionException;
  }

  /**
   * One device's loop: a step every interval, on a fixed schedule (a late step does not shift
   * the ones after it). How late each step starts is counted apart from the poll's latency: when
   * the pool cannot keep up, the summary says so instead of hiding the wait.
   */
  private static final class Runner implements Runnable {
    private final SimDevice device;
    private final ScheduledExecutorService pool;
    private final long intervalNanos;
    private final SimStats stats;
    private long due;
    private boolean stepped;

    Runner(SimDevice device, ScheduledExecutorService pool, long intervalNanos, SimStats stats,
        long due) {
      this.device = device;
      this.pool = pool;
      this.intervalNanos = intervalNanos;
      this.stats = stats;
      this.due = due;
    }

    @Override
    public void run() {
      stats.startLag.record(Math.max(0, System.nanoTime() - due));
      try {
        device.step();
      } catch (java.io.InterruptedIOException e) {
        return; // stopping
      } catch (RuntimeException e) {
        // A bug of the simulator's, not the server's answer: counted, and the device goes on.
        stats.internalErrors.incrementAndGet();
      }
      if (!stepped) {
        stepped = true;
        stats.firstSteps.incrementAndGet();
      }
      due += intervalNanos;
      if (!pool.isShutdown()) {
        try {
          pool.schedule(this, Math.max(0, due - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
          // shut down meanwhile
        }
      }
    }
  }

  /**
   * Whether the run is over for {@code --until-idle}: some deployment targets these devices, none
   * of those is pending or running any more, and no device is carrying out an order (asked of the
   * server, so the pause between two waves is not taken for the end).
   */
  private static final class IdleCheck {
    private static final Set<String> ACTIVE = Set.of("pending_approval", "running");
    private final ServerClient server;
    private final Set<String> ids = new HashSet<>();
    private final Map<String, Boolean> ours = new ConcurrentHashMap<>();

    IdleCheck(ServerClient server, List<SimDevice> devices) {
      this.server = server;
      devices.forEach(d -> ids.add(d.id()));
    }

    boolean idle(List<SimDevice> devices) throws IOException, RefusalException {
      if (devices.stream().anyMatch(SimDevice::busy)) {
        return false;
      }
      boolean targeted = false;
      for (Deployment d : server.deployments()) {
        if (!targetsUs(d.id())) {
          continue;
        }
        targeted = true;
        if (ACTIVE.contains(d.state())) {
          return false;
        }
      }
      return targeted;
    }

    private boolean targetsUs(String deploymentId) throws IOException, RefusalException {
      Boolean known = ours.get(deploymentId);
      if (known == null) {
        known = false;
        for (Target t : server.targets(deploymentId)) {
          if (ids.contains(t.deviceId())) {
            known = true;
            break;
          }
        }
        ours.put(deploymentId, known);
      }
      return known;
    }
  }

  /**
   * Whether the attack has begun: {@code --tamper-after} since polling started, and
   * {@code --tamper-when}'s file exists (looked for at most every 200 ms; once it began it
   * stays begun).
   */
  private BooleanSupplier attackBegun(SimStats stats) {
    if (tamperRate == 0) {
      return () -> false;
    }
    long after = tamperAfter == null ? 0 : tamperAfter.toNanos();
    AtomicBoolean begun = new AtomicBoolean();
    AtomicLong lastLook = new AtomicLong();
    return () -> {
      if (begun.get()) {
        return true;
      }
      if (stats.sincePollingStarted() * 1e9 < after) {
        return false;
      }
      if (tamperWhen != null) {
        long now = System.nanoTime();
        long last = lastLook.get();
        if (last != 0 && now - last < 200_000_000L) {
          return false;
        }
        lastLook.set(now);
        if (!Files.exists(tamperWhen)) {
          return false;
        }
      }
      begun.set(true);
      return true;
    };
  }

  /** Each package's security version, asked of the server once (the operator may read it). */
  private static SimDevice.SecurityVersions securityVersions(ServerClient server) {
    Map<String, Long> known = new ConcurrentHashMap<>();
    return (name, version) -> {
      String key = name + "\u0000" + version;
      Long v = known.get(key);
      if (v == null) {
        v = server.packageInfo(name, version).securityVersion();
        known.put(key, v);
      }
      return v;
    };
  }

  private void progress(PrintWriter err, SimStats stats, boolean inPlace) {
    synchronized (err) {
      if (inPlace) {
        err.print("\r\033[K" + stats.progress(count));
      } else {
        err.println(stats.progress(count));
      }
      err.flush();
    }
  }

  /** A line of its own, also on a terminal (where the progress line is redrawn in place). */
  private static void progressLine(PrintWriter err, boolean inPlace, String line) {
    synchronized (err) {
      err.println(inPlace ? "\r\033[K" + line : line);
      err.flush();
    }
  }

  @SuppressWarnings("unchecked") // the summary's own maps
  private static String summaryText(Map<String, Object> s) {
    Map<String, Object> latency = (Map<String, Object>) s.get("pollLatencyMs");
    Map<String, Object> lag = (Map<String, Object>) s.get("startLagMs");
    return String.format("%s of %s devices ready; %s polls in %s s (%s/s of %s/s scheduled,"
        + " %.1f%% answered 304, %s errors); poll latency p50 %s ms, p99 %s ms; start lag p99"
        + " %s ms; %s attestations (%s), evidence p99 %s ms; %s orders: %s succeeded, %s"
        + " failed (%s did not verify)", s.get("enrolled"),
        s.get("devices"), s.get("polls"), s.get("pollSeconds"), s.get("pollsPerSecond"),
        s.get("scheduledPollsPerSecond"), 100 * (double) s.get("notModifiedShare"),
        s.get("pollErrors"), latency.get("p50"), latency.get("p99"), lag.get("p99"),
        s.get("attestations"), s.get("attestationResults"),
        ((Map<String, Object>) s.get("attestLatencyMs")).get("p99"), s.get("orders"), s.get("succeeded"), s.get("failed"), s.get("unverifiedOrders"));
  }

  private static ThreadFactory daemons(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "neguard-" + name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
