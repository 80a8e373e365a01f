package org.neguard.agent;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.agent.client.DeviceClient;
import org.neguard.api.device.DriftFinding;
import org.neguard.api.device.InventoryVerdict;
import org.neguard.api.device.PackageReport;
import org.neguard.api.device.PackageVerdict;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.inventory.LocalInventory;
import org.neguard.verdict.RefusalException;

/**
 * Port drift on the NE (HRD-1, HRD-4; docs/AGENT.md, "Port drift"): every {@code
 * inventory.interval} it takes the hardening audit's /proc socket inventory and sends it to the
 * server when the listening sockets changed since the last inventory the server took, and at
 * least every {@link #RESEND_EVERY} intervals (so that the server sees the device alive and a
 * finding it opened can be resolved). The server's judgement is logged: {@code drift} when it
 * reports open findings, {@code drift_resolved} when a report resolved some.
 *
 * <p>Beside it, what the NE runs (issue 16, docs/AGENT.md "Installed packages"): the installed
 * packages and each listening socket's owning package ({@link PackageInventory}), sent when
 * they changed or with the socket inventory, the package list itself only when the server does
 * not hold its digest.
 *
 * <p>One daemon thread of its own, so that a slow poll or install never delays it; {@link
 * #close} stops it. A failed send is logged and retried at the next interval.
 */
public final class InventoryReporter implements AutoCloseable {
  /** An unchanged inventory is sent again after this many intervals. */
  public static final int RESEND_EVERY = 10;

  private final LocalInventory inventory;
  /** What the NE runs (issue 16), or null when not reported. */
  private final PackageInventory packages;
  private final DeviceClient client;
  private final AgentLog log;
  private final Consumer<InventoryVerdict> onVerdict;
  private final ScheduledExecutorService timer;
  /** The listening sockets last accepted by the server, or null before the first. */
  private String lastSent;
  private int unchanged;
  /** The package list digest the server holds, or null before it took one. */
  private String packagesHeld;
  /** The last package report's digest and socket owners, to send it only when changed. */
  private String packagesSent;

  private InventoryReporter(LocalInventory inventory, PackageInventory packages,
      DeviceClient client, AgentLog log, Consumer<InventoryVerdict> onVerdict,
      Duration interval) {
    this.inventory = inventory;
    this.packages = packages;
    this.client = client;
    this.log = log;
    this.onVerdict = onVerdict;
    if (interval.isZero()) {
      this.timer = null;
      return;
    }
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "neguard-agent-inventory");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleWithFixedDelay(this::tick, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Starts reporting this network namespace's inventory every {@code config.inventoryInterval()}
   * (none when it is zero).
   */
  public static InventoryReporter start(AgentConfig config, DeviceClient client, AgentLog log) {
    return start(config, client, log, v -> { });
  }

  /**
   * As {@link #start(AgentConfig, DeviceClient, AgentLog)}, handing each judgement the server
   * sends back to {@code onVerdict} (on the reporter's thread): an enforce mode takes {@link
   * InventoryVerdict#undeclared()} from it.
   */
  public static InventoryReporter start(AgentConfig config, DeviceClient client, AgentLog log,
      Consumer<InventoryVerdict> onVerdict) {
    if (config.inventoryInterval().isZero()) {
      log.event("inventory_off", "message", "inventory.interval is 0: no port drift reports");
    }
    return new InventoryReporter(LocalInventory.system(),
        new PackageInventory(config.packages()), Objects.requireNonNull(client), log,
        Objects.requireNonNull(onVerdict), config.inventoryInterval());
  }

  /** One interval: take the inventory, send it if due. Never throws: the timer would stop. */
  void tick() {
    try {
      Observation o = inventory.take();
      String sockets = sockets(o);
      boolean due = !sockets.equals(lastSent) || unchanged + 1 >= RESEND_EVERY;
      reportPackages(o, due);
      if (sockets.equals(lastSent) && ++unchanged < RESEND_EVERY) {
        return;
      }
      InventoryBudget.Fitted fitted = InventoryBudget.encode(o);
      Observation sent = fitted.observation();
      if (sent.ports().size() < o.ports().size()) {
        log.event("inventory_cut", "sockets", o.ports().size(), "sent", sent.ports().size(),
            "message", sent.notes().get(sent.notes().size() - 1));
      }
      InventoryVerdict v = client.reportInventory(fitted.json());
      boolean changed = !sockets.equals(lastSent);
      lastSent = sockets;
      unchanged = 0;
      log.event("inventory_reported", "sockets", o.ports().size(), "changed", changed,
          "verdict", v.verdict(), "policyVersion", v.policyVersion(), "openFindings",
          v.open().size());
      if (!v.resolved().isEmpty()) {
        log.event("drift_resolved", "ports", ports(v.resolved()), "findings", v.resolved().size());
      }
      if (!v.open().isEmpty()) {
        log.event("drift", "verdict", v.verdict(), "ports", ports(v.open()), "opened",
            v.opened().size(), "open", v.open().size(), "policyVersion", v.policyVersion());
      }
      if (InventoryVerdict.NO_POLICY.equals(v.verdict())) {
        log.event("drift_unjudged", "message", String.join("; ", v.messages()));
      }
      onVerdict.accept(v);
    } catch (RefusalException e) {
      log.event("inventory_error", "message", e.getMessage());
    } catch (DeviceApiException e) {
      log.event("inventory_error", "status", e.status(), "code", e.code(), "message",
          e.getMessage());
    } catch (IOException | RuntimeException e) {
      log.event("inventory_error", "message", String.valueOf(e.getMessage()));
    }
  }

  /**
   * Sends what the NE runs when its packages or socket owners changed, or when the inventory is
   * due anyway; the package list itself only when the server does not hold its digest. A failure
   * is logged and does not stop the socket inventory.
   */
  private void reportPackages(Observation o, boolean due) {
    if (packages == null) {
      return;
    }
    String key = null;
    try {
      PackageReport full = packages.take(o.ports());
      key = full.digest() + "\n" + full.sockets();
      if (!due && key.equals(packagesSent)) {
        return;
      }
      PackageReport sent = full.digest().equals(packagesHeld) ? full.withoutPackages() : full;
      PackageVerdict v = client.reportPackages(sent);
      if (PackageVerdict.PACKAGES_NEEDED.equals(v.state()) && sent.packages() == null) {
        sent = full;
        v = client.reportPackages(full);
      }
      packagesHeld = v.digest();
      packagesSent = key;
      log.event("packages_reported", "format", full.format(), "release",
          String.valueOf(full.release()), "packages", full.packages().size(), "listSent",
          sent.packages() != null, "state", v.state(), "findings", v.findings(), "reachable",
          v.reachable());
      if (!full.notes().isEmpty()) {
        log.event("packages_notes", "message", String.join("; ", full.notes()));
      }
    } catch (DeviceApiException e) {
      // Refused (an impossible list, say): sent again, whole, when it changes or is due, not
      // every interval.
      packagesHeld = null;
      packagesSent = key;
      log.event("packages_error", "status", e.status(), "code", e.code(), "message",
          e.getMessage());
    } catch (IOException | RuntimeException e) {
      log.event("packages_error", "message", String.valueOf(e.getMessage()));
    }
  }

  /** What decides "changed": each listening socket with its owner, in the inventory's order. */
  private static String sockets(Observation o) {
    return o.ports().stream().map(InventoryReporter::socket).collect(Collectors.joining("\n"));
  }

  private static String socket(ObservedPort p) {
    return p.transport() + " " + p.address() + " " + p.port() + " " + p.state() + " "
        + (p.process() == null ? "-" : p.process().pid() + " " + p.process().name());
  }

  private static String ports(List<DriftFinding> findings) {
    return findings.stream().map(f -> f.port() + " " + f.kind().toLowerCase(java.util.Locale.ROOT))
        .collect(Collectors.joining(", "));
  }

  /** Stops the reports; an inventory being sent is abandoned. */
  @Override
  public void close() {
    if (timer == null) {
      return;
    }
    timer.shutdownNow();
    try {
      timer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
