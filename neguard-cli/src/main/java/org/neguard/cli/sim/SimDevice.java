package org.neguard.cli.sim;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.agent.client.DeviceClient;
import org.neguard.agent.client.DeviceIdentity;
import org.neguard.agent.client.KeptPoll;
import org.neguard.api.attest.AttestationResult;
import org.neguard.api.attest.EvidenceSubmission;
import org.neguard.api.device.AttestationChallenge;
import org.neguard.api.device.DeviceOrder;
import org.neguard.api.device.Feedback;
import org.neguard.api.device.InstalledPackage;
import org.neguard.api.problem.ProblemReason;
import org.neguard.attest.Evidence;
import org.neguard.attest.EvidenceSigner;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeDigest;
import org.neguard.order.DeploymentOrder;
import org.neguard.order.OrderVerifier;
import org.neguard.pkg.BundleLimits;
import org.neguard.pkg.BundleReader;
import org.neguard.pkg.Manifest;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * One simulated device after enrollment: each {@link #step} is one poll (with the last ETag) and,
 * when the poll brings an order not yet handled, the whole order: verify the JWS against the
 * order keys received at enrollment, download the bundle by the hash the signed order names
 * (never by the unsigned URL beside it; the client resumes with Range and checks SHA-256 and
 * length against the order), report {@code succeeded} with what is installed now, or
 * {@code failed} with reason codes. Nothing is installed; the download is deleted. Steps of one
 * device never overlap (the pool runs the next one after this one ends).
 *
 * <p>A simulated NE attests as an honest one (docs/ATTESTATION.md): it "runs" what it was last
 * ordered to install, measured as exactly the files of that package's signed manifest, and
 * answers each challenge of its poll with evidence over the nonce signed by its device key; an
 * order that carries an attestation nonce gets its completion evidence in the success report.
 */
final class SimDevice {
  /** How a simulated install fails, for the devices {@link #failsByIndex} picks. */
  static final String SIMULATED_FAILURE = "simulated install failure (sim agents --fail-rate)";

  /** The file a tampering device adds to its package's installed tree (see {@link #tampered}). */
  static final String IMPLANT = "lib/implant";

  /** What every device shares: the counters, the download directory, package versions,
   * whether the simulated attack has begun ({@code --tamper-after}, {@code --tamper-when}), and
   * whether a device keeps its poll connection between polls ({@code --no-keep-alive}). */
  record Shared(SimStats stats, Path downloads, SecurityVersions versions, Path stateDir,
      java.util.function.BooleanSupplier tamperNow, boolean keepAlive) {
    Shared(SimStats stats, Path downloads, SecurityVersions versions, Path stateDir) {
      this(stats, downloads, versions, stateDir, () -> false, true);
    }
  }

  /** The security version of a package, as the server stores it (the order does not say). */
  @FunctionalInterface
  interface SecurityVersions {
    long of(String name, String version) throws IOException, RefusalException;
  }

  private final int index;
  private final DeviceClient client;
  /**
   * Its polls, on a connection of their own written to directly: the JDK's
   * HttpsURLConnection cost the load generator more CPU per poll than the server's answer
   * (docs/BENCHMARKS.md, issue 12). The same request and certificate as an agent's poll.
   */
  private final KeptPoll polls;
  private final OrderVerifier verifier;
  private final boolean fails;
  /** Whether this device is one of {@code --tamper-rate}'s: it tampers once, when the attack
   * begins, and stays so until it installs a package again. */
  private final boolean tampers;
  private final Shared shared;
  private final Set<String> handled = ConcurrentHashMap.newKeySet();
  private String etag;
  private volatile boolean busy;
  /** What this NE measures: the package of its last successful order, as signed. */
  private volatile List<Evidence.Component> measured = List.of();
  /** Whether its installed package carries the implant now (cleared by the next install). */
  private volatile boolean tampered;
  /** Whether it tampered already: a device tampers once, so a recovery leaves it honest. */
  private volatile boolean tamperedOnce;

  SimDevice(int index, DeviceClient client, OrderVerifier verifier, boolean fails,
      Shared shared) {
    this(index, client, verifier, fails, false, shared);
  }

  SimDevice(int index, DeviceClient client, OrderVerifier verifier, boolean fails,
      boolean tampers, Shared shared) {
    this.index = index;
    this.client = client;
    this.polls = KeptPoll.of(client);
    this.verifier = verifier;
    this.fails = fails;
    this.tampers = tampers;
    this.shared = shared;
  }

  /**
   * Whether device {@code index} fails its installs at {@code rate}: exactly floor(n × rate) of
   * devices 0..n-1 do, spread evenly over the indexes (so every wave gets its share), the same
   * ones on every run.
   */
  static boolean failsByIndex(int index, double rate) {
    return Math.floor((index + 1) * rate) > Math.floor(index * rate);
  }

  String id() {
    return client.identity().deviceId();
  }

  int index() {
    return index;
  }

  /** Closes its poll connection. */
  void close() {
    polls.close();
  }

  /** Whether an order is being carried out right now. */
  boolean busy() {
    return busy;
  }

  /** One poll, and the order or the renewal it brings. */
  void step() throws InterruptedIOException {
    try {
      pollAndAct();
    } finally {
      if (!shared.keepAlive()) {
        polls.close();
      }
    }
  }

  private void pollAndAct() throws InterruptedIOException {
    SimStats stats = shared.stats();
    DeviceClient.PollAnswer answer;
    long t0 = System.nanoTime();
    try {
      answer = polls.poll(etag);
    } catch (InterruptedIOException e) {
      throw e;
    } catch (IOException | DeviceApiException | RuntimeException e) {
      stats.pollErrors.incrementAndGet();
      return;
    }
    stats.poll(System.nanoTime() - t0, !answer.changed());
    if (!answer.changed()) {
      return;
    }
    etag = answer.etag();
    if (answer.poll() == null) {
      return;
    }
    if (answer.poll().renewCertificate()) {
      renew();
    }
    if (answer.poll().attestation() != null) {
      attest(answer.poll().attestation());
    }
    DeviceOrder order = answer.poll().order();
    if (order != null && handled.add(order.orderId())) {
      busy = true;
      try {
        carryOut(order);
      } finally {
        busy = false;
      }
    }
  }

  /** Answers a challenge; on an error, the next poll asks in full again. */
  private void attest(AttestationChallenge c) throws InterruptedIOException {
    long t0 = System.nanoTime();
    try {
      // On the poll's connection, as an agent's HTTP client sends it: one TLS handshake per
      // attestation for a device that connects anew for each poll (--no-keep-alive).
      AttestationResult r = polls.evidence(new EvidenceSubmission(
          evidence(c.nonce(), Evidence.withoutFilesWhere(measuredNow(), c::isKnown))));
      shared.stats().attested(System.nanoTime() - t0, r.result());
    } catch (InterruptedIOException e) {
      throw e;
    } catch (IOException | DeviceApiException | RuntimeException e) {
      shared.stats().attestError(e);
      etag = null;
    }
  }

  /**
   * What the device measures now: what it installed, or, once the attack began (and it has a
   * package to tamper with and did not tamper before), that with {@link #IMPLANT} added to its
   * first package: a self-consistent measurement (digest and TIM recomputed) that no signed RIM
   * vouches for, so the validation entity names the extra file.
   */
  private List<Evidence.Component> measuredNow() {
    List<Evidence.Component> m = measured;
    if (tampers && !tamperedOnce && !m.isEmpty() && shared.tamperNow().getAsBoolean()) {
      tamperedOnce = true;
      tampered = true;
      shared.stats().tampered.incrementAndGet();
    }
    return tampered ? tampered(m) : m;
  }

  /** {@code components} with {@link #IMPLANT} in the first vendor-signed one. */
  static List<Evidence.Component> tampered(List<Evidence.Component> components) {
    List<Evidence.Component> out = new ArrayList<>();
    boolean done = false;
    for (Evidence.Component c : components) {
      if (!done && c.reference() == PlatformTim.Reference.VENDOR_SIGNED) {
        List<TreeDigest.Leaf> leaves = new ArrayList<>();
        for (TreeDigest.Leaf l : c.leaves()) {
          if (!l.path().equals(IMPLANT)) {
            leaves.add(l);
          }
        }
        leaves.add(new TreeDigest.Leaf(IMPLANT, IMPLANT_SHA256, 0755));
        c = new Evidence.Component(c.name(), c.reference(), TreeDigest.of(leaves), leaves);
        done = true;
      }
      out.add(c);
    }
    return List.copyOf(out);
  }

  /** SHA-256 of the implant's (made-up) content. */
  private static final String IMPLANT_SHA256 = sha256("neguard sim implant\n");

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
          .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private String evidence(String nonce, List<Evidence.Component> components) {
    return EvidenceSigner.of(client.identity().keyPair().getPrivate()).sign(Evidence.of(id(),
        HexFormat.of().parseHex(nonce), Instant.now(), components, Optional.empty()));
  }

  /** The NE's components once {@code m} is installed: its package replaced by the manifest's. */
  private List<Evidence.Component> after(Manifest m) {
    List<TreeDigest.Leaf> leaves = m.files().stream()
        .map(f -> new TreeDigest.Leaf(f.path(), f.sha256(), f.modeBits())).toList();
    List<Evidence.Component> next = new ArrayList<>();
    for (Evidence.Component c : measured) {
      if (!c.name().equals(m.name())) {
        next.add(c);
      }
    }
    next.add(new Evidence.Component(m.name(), PlatformTim.Reference.VENDOR_SIGNED,
        TreeDigest.of(leaves), leaves));
    return List.copyOf(next);
  }

  private void renew() throws InterruptedIOException {
    try {
      DeviceIdentity renewed = client.renew();
      if (shared.stateDir() != null) {
        renewed.save(SimState.deviceDir(shared.stateDir(), renewed.deviceId()));
      }
      shared.stats().renewals.incrementAndGet();
    } catch (InterruptedIOException e) {
      throw e;
    } catch (IOException | DeviceApiException | RuntimeException e) {
      shared.stats().renewalErrors.incrementAndGet();
    }
  }

  private void carryOut(DeviceOrder order) throws InterruptedIOException {
    SimStats stats = shared.stats();
    stats.orders.incrementAndGet();
    DeploymentOrder o;
    try {
      o = verifier.verify(order.jws());
    } catch (RefusalException e) {
      stats.unverified.incrementAndGet();
      finish(order.orderId(), reasons(e.reasons()), null, null);
      return;
    }
    Path file = shared.downloads().resolve(id() + ".ngp");
    try {
      feedback(new Feedback(order.orderId(), "downloading", 0, List.of(), null));
      client.downloadBundle(o.bundleSha256(), o.bundleLength(), file);
      stats.downloadedBytes.addAndGet(o.bundleLength());
      feedback(new Feedback(order.orderId(), "installing", 100, List.of(), null));
      if (fails) {
        finish(order.orderId(), reasons(List.of(Reason.of(ReasonCode.IO_ERROR,
            SIMULATED_FAILURE))), null, null);
        return;
      }
      List<Evidence.Component> next;
      try (BundleReader r = BundleReader.open(file, BundleLimits.defaults())) {
        next = after(r.manifest());
      }
      finish(order.orderId(), List.of(), new InstalledPackage(o.packageName(),
          o.packageVersion(), shared.versions().of(o.packageName(), o.packageVersion())),
          o.attestation() == null ? null : evidence(o.attestation().nonce(), next));
      measured = next;
      // The install replaced the tampered tree: honest from now on (a recovery).
      tampered = false;
    } catch (InterruptedIOException e) {
      throw e;
    } catch (DeviceApiException e) {
      finish(order.orderId(), e.reasons(), null, null);
    } catch (RefusalException e) {
      finish(order.orderId(), reasons(e.reasons()), null, null);
    } catch (IOException | RuntimeException e) {
      finish(order.orderId(), reasons(List.of(Reason.of(ReasonCode.IO_ERROR,
          "the order could not be carried out: " + e.getMessage()))), null, null);
    } finally {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        // the directory is removed at the end of the run
      }
    }
  }

  private static List<ProblemReason> reasons(List<Reason> reasons) {
    return reasons.stream().map(ProblemReason::of).toList();
  }

  /** The final status: succeeded without reasons, failed with them; counted either way. */
  private void finish(String orderId, List<ProblemReason> reasons, InstalledPackage installed,
      String evidence) throws InterruptedIOException {
    boolean ok = reasons.isEmpty();
    (ok ? shared.stats().succeeded : shared.stats().failed).incrementAndGet();
    feedback(new Feedback(orderId, ok ? "succeeded" : "failed", ok ? 100 : null, reasons,
        installed, evidence));
  }

  private void feedback(Feedback f) throws InterruptedIOException {
    try {
      client.feedback(f);
    } catch (InterruptedIOException e) {
      throw e;
    } catch (IOException | DeviceApiException | RuntimeException e) {
      shared.stats().feedbackErrors.incrementAndGet();
    }
  }
}
