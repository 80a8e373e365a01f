package org.neguard.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.neguard.api.device.Feedback;
import org.neguard.io.AtomicFiles;
import org.neguard.order.DeploymentOrder;
import org.neguard.verdict.ReasonCode;

/**
 * The crash journal ({@code state.dir/journal.json}, docs/AGENT.md "Crash safety: the journal"):
 * the one order under way, its phase, and what a recovery needs to put the NE back on exactly
 * one complete version. Every phase is written (atomically, the content fsync'd before the
 * rename, the directory after it) BEFORE the step it starts, so after a {@code kill -9} the
 * journal names the step that may have been cut short, never one that has not begun.
 */
final class Journal {
  static final String FILE = "journal.json";

  /** The steps of an order, in the order they run. */
  enum Phase {
    /** The signed order verified; nothing downloaded yet. */
    VERIFIED,
    /** TUF refresh and download of the bundle (a partial file may be left: resumable). */
    DOWNLOADING,
    /** The bundle downloaded; the vendor signature, digests and scan reports being checked. */
    VERIFYING,
    /** Verified; the payload being written to {@code versions/.tmp-*}. */
    EXTRACTING,
    /** The slot complete under its name; {@code current} not yet switched. */
    EXTRACTED,
    /**
     * The package's pre-activate hook running from the new slot (docs/FORMAT.md "Package
     * hooks"); {@code current} not yet switched.
     */
    PRE_ACTIVATE,
    /** {@code previous}, then {@code current} being switched to the new slot. */
    SWITCHING,
    /** Switched; the package's post-activate hook running from the new slot. */
    POST_ACTIVATE,
    /** Switched; {@code service.restart} running for the new version. */
    RESTARTING,
    /** Restarted; {@code health.check} running against the new version. */
    HEALTH_CHECKING,
    /** The restart or health check failed: switching back to last-known-good. */
    ROLLING_BACK,
    /** Final: the outcome is {@link Entry#outcome()}; sent when {@link Entry#acked()}. */
    DONE;

    /** Whether {@code current} may name the new, unconfirmed version in this phase. */
    boolean afterSwitch() {
      return compareTo(SWITCHING) >= 0 && this != DONE;
    }
  }

  /** What the journal keeps of a verified order: enough to judge it again offline. */
  record Essentials(String deploymentId, String packageName, String packageVersion,
      String bundleSha256, long bundleLength, Instant notAfter, boolean rollback) {
    static Essentials of(DeploymentOrder o) {
      return new Essentials(o.deploymentId(), o.packageName(), o.packageVersion(),
          o.bundleSha256(), o.bundleLength(), o.notAfter(), o.rollback());
    }
  }

  /**
   * One journal record.
   *
   * @param orderId the server's order id
   * @param jws the signed order as received, re-verified whenever it is acted on again
   * @param order the verified order's essentials (package, version, bundle, validity, rollback)
   * @param phase the step under way
   * @param slot the new version's slot (known from {@link Phase#EXTRACTING} on)
   * @param lastGood the slot {@code current} named before the switch (null: none)
   * @param previousBefore the slot {@code previous} named before the switch (null: none)
   * @param installedBefore {@code installed.json} before the switch (null: there was none)
   * @param failure why the restart, health check or ATT-3 measurement failed ({@link
   *     Phase#ROLLING_BACK})
   * @param failureCode the reason code {@code failure} is reported with (null: written before
   *     ATT-3, HEALTH_CHECK_FAILED)
   * @param outcome the final feedback ({@link Phase#DONE}), with its evidence (ATT-3): a crash
   *     after DONE still sends the evidence measured before it
   * @param acked whether the server took the final feedback (or answered it with its own
   *     final word)
   */
  record Entry(String orderId, String jws, Essentials order, Phase phase, String slot,
      String lastGood, String previousBefore, String installedBefore, String failure,
      String failureCode, Feedback outcome, boolean acked) {
    Entry {
      Objects.requireNonNull(orderId, "orderId");
      Objects.requireNonNull(phase, "phase");
    }

    static Entry verified(String orderId, String jws, DeploymentOrder order) {
      return new Entry(orderId, jws, Essentials.of(order), Phase.VERIFIED, null, null, null,
          null, null, null, null, false);
    }

    Entry at(Phase p) {
      return new Entry(orderId, jws, order, p, slot, lastGood, previousBefore, installedBefore,
          failure, failureCode, outcome, acked);
    }

    Entry withSlot(Path s) {
      return new Entry(orderId, jws, order, phase, s.toString(), lastGood, previousBefore,
          installedBefore, failure, failureCode, outcome, acked);
    }

    Entry switching(Optional<Path> good, Optional<Path> prev, String installed) {
      return new Entry(orderId, jws, order, Phase.SWITCHING, slot,
          good.map(Path::toString).orElse(null), prev.map(Path::toString).orElse(null),
          installed, failure, failureCode, outcome, acked);
    }

    /** The restart or health check failed ({@code HEALTH_CHECK_FAILED}). */
    Entry rollingBack(String why) {
      return rollingBack(ReasonCode.HEALTH_CHECK_FAILED, why);
    }

    /**
     * The new version is being rolled back because of {@code why}, reported with {@code code}
     * (HEALTH_CHECK_FAILED, or MEASUREMENT_MISMATCH for ATT-3) also when a crash cuts the
     * rollback short and the recovery finishes it.
     */
    Entry rollingBack(ReasonCode code, String why) {
      return new Entry(orderId, jws, order, Phase.ROLLING_BACK, slot, lastGood, previousBefore,
          installedBefore, why, code.name(), outcome, acked);
    }

    Entry done(Feedback f) {
      return new Entry(orderId, jws, order, Phase.DONE, slot, lastGood, previousBefore,
          installedBefore, failure, failureCode, f, false);
    }

    Entry ack() {
      return new Entry(orderId, jws, order, phase, slot, lastGood, previousBefore,
          installedBefore, failure, failureCode, outcome, true);
    }

    /** What {@link #failure} is reported as: HEALTH_CHECK_FAILED when not written. */
    ReasonCode failureReason() {
      if (failureCode == null) {
        return ReasonCode.HEALTH_CHECK_FAILED;
      }
      try {
        return ReasonCode.valueOf(failureCode);
      } catch (IllegalArgumentException e) {
        return ReasonCode.HEALTH_CHECK_FAILED;
      }
    }

    /** Whether the order's validity has ended at {@code now} (no clock skew allowed). */
    boolean expiredAt(Instant now) {
      return order != null && !now.isBefore(order.notAfter());
    }
  }

  private final Path file;

  Journal(Path stateDir) {
    this.file = stateDir.resolve(FILE);
  }

  Path file() {
    return file;
  }

  /**
   * The journal's record, or empty when there is none.
   *
   * @throws IOException when it exists but cannot be read: the agent then stops (fail closed)
   *     rather than guess which version is whole
   */
  Optional<Entry> read() throws IOException {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      Map<String, Object> n = StateJson.read(Files.readAllBytes(file));
      Map<String, Object> on = StateJson.object(n, "order");
      Essentials o = on == null ? null : new Essentials(
          StateJson.requiredText(on, "deploymentId"), StateJson.requiredText(on, "packageName"),
          StateJson.requiredText(on, "packageVersion"), StateJson.requiredText(on, "bundleSha256"),
          StateJson.number(on, "bundleLength"),
          Instant.parse(StateJson.requiredText(on, "notAfter")), StateJson.flag(on, "rollback"));
      Feedback f = n.get("outcome") == null ? null
          : StateJson.bean(n.get("outcome"), Feedback.class);
      return Optional.of(new Entry(StateJson.requiredText(n, "orderId"), text(n, "jws"), o,
          Phase.valueOf(StateJson.requiredText(n, "phase")), text(n, "slot"),
          text(n, "lastGood"), text(n, "previousBefore"), text(n, "installedBefore"),
          text(n, "failure"), text(n, "failureCode"), f, StateJson.flag(n, "acked")));
    } catch (IOException | RuntimeException e) {
      throw new IOException("the journal " + file + " is unreadable (" + e.getMessage()
          + "); check which version install.root/current names and that installed.json"
          + " agrees, then remove the journal and start the agent again", e);
    }
  }

  /** Replaces the record, durably, before the step it names starts. */
  void write(Entry e) throws IOException {
    Map<String, Object> n = new LinkedHashMap<>();
    n.put("orderId", e.orderId());
    n.put("jws", e.jws());
    if (e.order() != null) {
      Essentials o = e.order();
      Map<String, Object> on = new LinkedHashMap<>();
      on.put("deploymentId", o.deploymentId());
      on.put("packageName", o.packageName());
      on.put("packageVersion", o.packageVersion());
      on.put("bundleSha256", o.bundleSha256());
      on.put("bundleLength", o.bundleLength());
      on.put("notAfter", o.notAfter().toString());
      on.put("rollback", o.rollback());
      n.put("order", on);
    }
    n.put("phase", e.phase().name());
    n.put("slot", e.slot());
    n.put("lastGood", e.lastGood());
    n.put("previousBefore", e.previousBefore());
    n.put("installedBefore", e.installedBefore());
    n.put("failure", e.failure());
    n.put("failureCode", e.failureCode());
    n.put("outcome", e.outcome() == null ? null
        : StateJson.read(StateJson.writeBean(e.outcome())));
    n.put("acked", e.acked());
    n.put("at", Instant.now().toString());
    writeSynced(file, StateJson.write(n));
  }

  /**
   * Writes {@code file} whole or not at all (AtomicFiles), the content forced to disk before the
   * rename (and the directory after it, by AtomicFiles), so a power cut cannot leave the name
   * pointing at an empty file.
   */
  static void writeSynced(Path file, byte[] content) throws IOException {
    try (AtomicFiles.Pending p = AtomicFiles.create(file, AtomicFiles.Existing.REPLACE)) {
      try (FileChannel c = FileChannel.open(p.path(), StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer b = ByteBuffer.wrap(content);
        while (b.hasRemaining()) {
          c.write(b);
        }
        c.force(true);
      }
      p.commit();
    }
  }

  private static String text(Map<String, Object> n, String field) throws IOException {
    return StateJson.text(n, field);
  }
}
