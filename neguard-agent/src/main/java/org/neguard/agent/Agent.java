package org.neguard.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.agent.client.DeviceClient;
import org.neguard.agent.client.DeviceIdentity;
import org.neguard.agent.client.DeviceKeys;
import org.neguard.agent.client.IdentityException;
import org.neguard.api.attest.AttestationResult;
import org.neguard.api.attest.EvidenceSubmission;
import org.neguard.api.device.AttestationChallenge;
import org.neguard.api.device.DeviceOrder;
import org.neguard.api.device.Feedback;
import org.neguard.api.device.InstalledPackage;
import org.neguard.api.device.InventoryVerdict;
import org.neguard.api.device.ListeningPort;
import org.neguard.api.device.OrderKey;
import org.neguard.api.problem.ProblemReason;
import org.neguard.harden.BoundedRead;
import org.neguard.io.AtomicFiles;
import org.neguard.order.DeploymentOrder;
import org.neguard.order.OrderVerifier;
import org.neguard.pkg.BundleExtractor;
import org.neguard.pkg.BundleVerifier;
import org.neguard.pkg.Manifest;
import org.neguard.progress.ProgressListener;
import org.neguard.scanreport.ScanPolicy;
import org.neguard.scanreport.ScanReportCheck;
import org.neguard.sign.TrustStore;
import org.neguard.tuf.ClientConfig;
import org.neguard.tuf.Fetcher;
import org.neguard.tuf.NeguardCustom;
import org.neguard.tuf.TargetFile;
import org.neguard.tuf.TufClient;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The NE agent (docs/AGENT.md): enrolls once, polls with jitter and backoff, and for each order
 * verifies everything before anything is installed (INT-3), then installs into a new slot and
 * switches atomically. One JSON line per event on stdout.
 */
public final class Agent {
  /** Exit codes of {@link #run}. */
  public static final int EXIT_OK = 0;
  public static final int EXIT_ERROR = 1;
  public static final int EXIT_CONFIG = 2;
  public static final int EXIT_IDENTITY = 3;

  static final String IDENTITY_DIR = "identity";
  static final String TUF_DIR = "tuf";
  /** The first start's trusted root, by its bytes, until an order has trusted one. */
  static final String PINNED_ROOT = "root.pinned";
  static final String DOWNLOAD_DIR = "download";
  static final String INSTALLED = "installed.json";
  static final String LAST_RESULT = "last-result.json";
  /** The state directory's lock file: one agent per state directory. */
  static final String LOCK = "agent.lock";

  private final AgentConfig config;
  private final AgentLog log;
  private final Slots slots;
  private final SlotManifests manifests;
  private final PackageHooks hooks;
  private final CountDownLatch stopping = new CountDownLatch(1);
  private final CountDownLatch stopped = new CountDownLatch(1);
  /** The state directory's lock, held while this agent runs; null until set-up took it. */
  private FileChannel stateLock;
  private DeviceClient client;
  /** The TPM-held device key (tpm.deviceKey=true), or the file key's {@link DeviceKeys#FILE}. */
  private DeviceKeys deviceKeys = DeviceKeys.FILE;
  /** The TPM's quoter when tpm.tcti names one: evidence then carries a quote (issue 15). */
  private Optional<Quoter> quoter = Optional.empty();
  /**
   * Made at the first order that needs the repository, after the trusted root is checked
   * ({@link #tuf()}); until then an idle agent has no use for the TUF metadata reader.
   */
  private TufClient tuf;
  private ClientConfig tufConfig;
  /** The configured trusted root as read at start ({@link #pinnedRoot}). */
  private byte[] tufRoot;
  private OrderVerifier orders;
  private BundleExtractor extractor;
  private String etag;
  /** The crash journal: the order under way, its phase, its final feedback until taken. */
  private final Journal journal;
  private final PortEnforcer enforcer = PortEnforcer.system();
  /** The journal's record of the order being carried out (this thread only). */
  private Journal.Entry inFlight;
  /**
   * Evidence for challenges and for ATT-3 orders (docs/AGENT.md, "Attestation"): on the device
   * key alone until set-up found the TPM of {@code tpm.tcti}.
   */
  private Attester attester;

  Agent(AgentConfig config, AgentLog log) {
    this.config = config;
    this.log = log;
    this.slots = new Slots(config.installRoot());
    this.manifests = new SlotManifests(config.stateDir());
    this.hooks = new PackageHooks(config.hooks(), config.stateDir(), Containment.detect());
    this.journal = new Journal(config.stateDir());
    this.attester = new Attester(config.deviceId(), null);
  }

  /**
   * Runs the agent of {@code configFile} until {@link #stop} (SIGTERM through the shutdown hook
   * the caller installs) or a fatal error.
   */
  public static int run(Path configFile, PrintStream out) {
    AgentLog log = new AgentLog(out);
    AgentConfig config;
    try {
      config = AgentConfig.load(configFile);
    } catch (AgentConfig.ConfigException e) {
      log.event("config_error", "message", e.getMessage());
      return EXIT_CONFIG;
    }
    Agent agent = new Agent(config, log);
    Thread hook = new Thread(agent::stopAndWait, "neguard-agent-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    return agent.start();
  }

  /** Asks the loop to stop after the current step, and waits (at most a minute) until it has. */
  public void stopAndWait() {
    stopping.countDown();
    try {
      stopped.await(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  int start() {
    try {
      log.event("start", "deviceId", config.deviceId(), "neType", config.neType(),
          "server", config.serverUrl(), "stateDir", config.stateDir());
      log.event("hook_containment", "containment", hooks.containment().describe());
      int setup = setUp();
      if (setup != EXIT_OK) {
        return setup;
      }
      if (client == null) { // stopped while enrollment waited for the server
        log.event("stopped");
        return EXIT_OK;
      }
      recover(); // before the first poll: the NE is on one whole version again
      try (InventoryReporter drift = InventoryReporter.start(config, client, log,
          this::enforce)) {
        loop(); // port drift (HRD-1, HRD-4) reports on its own thread meanwhile
      }
      log.event("stopped");
      return EXIT_OK;
    } catch (RuntimeException | IOException e) {
      log.event("fatal", "message", String.valueOf(e));
      return EXIT_ERROR;
    } finally {
      if (stateLock != null) {
        try {
          stateLock.close(); // releases the lock: a restart in this JVM takes it again
        } catch (IOException e) {
          // the process ends soon; the operating system drops it then
        }
      }
      stopped.countDown();
    }
  }

  // --- setup: identity, TUF trust, verifiers --------------------------------------------------

  /**
   * Takes the state directory's lock for the life of this agent (the operating system drops it
   * when the process ends, however it ends).
   *
   * @return false when another agent holds it
   */
  private boolean lockState(Path state) throws IOException {
    FileChannel ch = FileChannel.open(state.resolve(LOCK), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE);
    try {
      FileLock held = ch.tryLock();
      if (held != null) {
        stateLock = ch;
        return true;
      }
    } catch (OverlappingFileLockException e) {
      // another agent in this JVM holds it
    }
    ch.close();
    return false;
  }

  private int setUp() throws IOException {
    Path state = config.stateDir();
    if (!Files.isDirectory(state)) {
      Files.createDirectories(state,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    // One agent per state directory: a second one's recovery would kill the first one's hook,
    // delete the slot it is extracting and roll back an install it has just switched.
    if (!lockState(state)) {
      log.event("already_running", "message", "another agent holds " + state.resolve(LOCK)
          + " (one agent per state directory): stop it first, or give this one its own"
          + " state.dir");
      return EXIT_CONFIG;
    }
    Path idDir = state.resolve(IDENTITY_DIR);
    if (config.tpmDeviceKey()) {
      deviceKeys = TpmDeviceKey.of(config.tpmTcti(), idDir, log);
    }
    if (Files.exists(idDir.resolve("device.crt"))) {
      DeviceIdentity id;
      try {
        id = DeviceIdentity.load(idDir, deviceKeys);
      } catch (TpmKeyException e) {
        // Logged as tpm_key_refused with its reason: never a fall-back to a file key.
        return EXIT_IDENTITY;
      } catch (IdentityException e) {
        // Never a key that is not the certificate's: the server would refuse it anyway, and a
        // key swapped in is what an attacker would do.
        log.event("identity_refused", "reason", e.reason(), "message", e.getMessage());
        return EXIT_IDENTITY;
      } catch (IOException e) {
        log.event("identity_lost", "message", "the device identity in " + idDir
            + " is unreadable (" + e.getMessage() + "); a lost identity needs a new enrollment"
            + " token: remove " + idDir + " and set enroll.token");
        return EXIT_IDENTITY;
      }
      if (!id.deviceId().equals(config.deviceId())) {
        log.event("config_error", "message", "the identity in " + idDir + " is "
            + id.deviceId() + ", the configuration says device.id=" + config.deviceId());
        return EXIT_CONFIG;
      }
      client = DeviceClient.of(config.serverUrl(), id, deviceKeys);
      log.event("identity_loaded", "deviceId", id.deviceId(), "serial", id.serial(),
          "notAfter", id.certificate().getNotAfter().toInstant(), "key",
          config.tpmDeviceKey() ? "tpm" : "file");
      // A renewal a crash interrupted: finished if it had switched, its key kept for the next
      // renewal (which the server offers at once) or discarded when it cannot be used.
      DeviceIdentity.Pending pending = null;
      try {
        pending = DeviceIdentity.pendingKey(idDir, deviceKeys, id);
      } catch (IOException e) {
        // Its holder failed this time: kept, its blobs too (no retainKey), for the next renewal.
        log.event("renewal_interrupted", "pendingKey", "kept for the next renewal, unusable"
            + " now: " + e.getMessage());
      }
      if (pending != null && pending.keyPair() != null) {
        log.event("renewal_interrupted", "pendingKey", "kept for the next renewal");
      } else if (pending != null) {
        if (pending.discarded() != null) {
          log.event("renewal_interrupted", "pendingKey", "discarded: " + pending.discarded());
        }
        retainKey(id);
      }
    } else {
      int enrolled = enroll(idDir);
      if (enrolled != EXIT_OK || client == null) {
        return enrolled;
      }
    }
    try {
      tufRoot = pinnedRoot(state.resolve(TUF_DIR), config.tufRoot());
      TrustStore trust = TrustStore.loadBound(config.trustAnchors(), List.of());
      ScanReportCheck gate = new ScanReportCheck(ScanPolicy.defaults());
      extractor = new BundleExtractor(BundleVerifier.builder(trust)
          .check(reader -> {
            verifiedNanos = System.nanoTime(); // signature and every digest checked
            gate.check(reader);
            judge(reader.manifest());
            manifests.capture(reader); // for verify-installed: the bytes just verified
          }).build());
    } catch (RefusalException e) {
      log.event("config_error", "message", "trust configuration: " + e.getMessage());
      return EXIT_CONFIG;
    } catch (IOException e) {
      log.event("config_error", "message", "cannot read the trust configuration: "
          + e.getMessage());
      return EXIT_CONFIG;
    }
    URI repo = URI.create(config.repositoryUrl().toString().replaceAll("/*$", "/"));
    Fetcher fetcher = "file".equals(repo.getScheme()) ? Agent::openFile
        : client.repositoryFetcher();
    tufConfig = ClientConfig.forRepository(repo, state.resolve(TUF_DIR), fetcher);
    // The TPM trust base (tpm.tcti): the AK is bound once, here or before the first quote.
    quoter = TpmQuoter.fromConfig(config, state, client, log);
    attester = new Attester(config.deviceId(), quoter.orElse(null));
    return EXIT_OK;
  }

  /** A repository mirrored on local media ({@code file:} URL): TUF verifies it the same. */
  private static Optional<InputStream> openFile(URI uri, long maxBytes) throws IOException {
    Path p = Path.of(uri);
    return Files.isRegularFile(p) ? Optional.of(Files.newInputStream(p)) : Optional.empty();
  }

  private int enroll(Path idDir) throws IOException {
    if (config.enrollToken() == null) {
      log.event("identity_missing", "message", "no device identity in " + idDir
          + " and no enroll.token in the configuration: a device without its identity (first"
          + " start, or lost) needs a new enrollment token");
      return EXIT_IDENTITY;
    }
    DeviceClient.Trust trust;
    if (config.enrollCa() != null) {
      trust = DeviceClient.Trust.ca(Files.readString(config.enrollCa()));
    } else if (config.enrollCaSha256() != null) {
      trust = DeviceClient.Trust.pin(config.enrollCaSha256());
    } else {
      log.event("config_error", "message", "enrollment needs enroll.ca or enroll.ca.sha256");
      return EXIT_CONFIG;
    }
    DeviceClient enrolling = DeviceClient.enrolling(config.serverUrl(), trust, deviceKeys);
    Backoff backoff = new Backoff(config.pollInterval(), config.maxBackoff(), new SecureRandom());
    DeviceClient.Enrollment done;
    while (true) {
      try {
        // The key is saved as pending before the request: an agent stopped before the answer
        // came asks again with it, and the server answers again (docs/AGENT.md).
        done = enrolling.enrollInto(idDir, config.enrollToken(), config.deviceId(),
            config.neType(), config.labels(), installed().map(List::of).orElse(List.of()));
        break;
      } catch (DeviceApiException e) {
        log.event("enroll_refused", "status", e.status(), "code", e.code(), "message",
            e.getMessage() + (e.status() == 401 ? " (a token is good for one enrollment only:"
                + " a device that lost its identity needs a new token)" : ""));
        return EXIT_IDENTITY;
      } catch (TpmKeyException e) {
        return EXIT_IDENTITY; // logged tpm_key_refused: no identity without the TPM's key
      } catch (IOException e) {
        // The server unreachable: try again, backing off, until stopped.
        Duration wait = backoff.failure();
        log.event("enroll_error", "message", String.valueOf(e.getMessage()), "failures",
            backoff.failures(), "retryInMs", wait.toMillis());
        try {
          if (stopping.await(wait.toMillis(), TimeUnit.MILLISECONDS)) {
            return EXIT_OK;
          }
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return EXIT_OK;
        }
      }
    }
    retainKey(enrolling.identity());
    client = DeviceClient.of(config.serverUrl(), enrolling.identity(), deviceKeys);
    log.event("enrolled", "deviceId", config.deviceId(), "serial",
        enrolling.identity().serial(), "key", config.tpmDeviceKey() ? "tpm" : "file",
        "pendingKey", done.pendingKey());
    return EXIT_OK;
  }

  /** Removes the TPM key blobs of earlier attempts and certificates, once the new one is saved. */
  private void retainKey(DeviceIdentity id) throws IOException {
    if (deviceKeys instanceof TpmDeviceKey tpm) {
      tpm.retainOnly(id.certificate());
    }
  }

  private OrderVerifier orderVerifier() throws IOException, DeviceApiException, RefusalException {
    Map<String, PublicKey> keys = new LinkedHashMap<>();
    for (OrderKey k : client.orderKeys()) {
      keys.put(k.kid(), publicKey(k));
    }
    try {
      return OrderVerifier.of(keys, Clock.systemUTC(), config.deviceId());
    } catch (IllegalArgumentException e) {
      throw new RefusalException(ReasonCode.CERT_UNTRUSTED,
          "the server's order keys are unusable: " + e.getMessage());
    }
  }

  private static PublicKey publicKey(OrderKey k) throws RefusalException {
    try {
      String b64 = k.publicKey().replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "")
          .replaceAll("\\s", "");
      return KeyFactory.getInstance("EC")
          .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(b64)));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw RefusalException.about(ReasonCode.MALFORMED, k.kid(),
          "order key " + k.kid() + " is not a PEM EC public key");
    }
  }

  // --- the poll loop --------------------------------------------------------------------------

  private void loop() {
    Backoff backoff = new Backoff(config.pollInterval(), config.maxBackoff(), new SecureRandom());
    while (stopping.getCount() > 0) {
      Duration wait;
      try {
        pollOnce();
        wait = backoff.success();
      } catch (IOException | DeviceApiException | RuntimeException | RefusalException e) {
        wait = backoff.failure();
        log.event("poll_error", "message", String.valueOf(e.getMessage()), "failures",
            backoff.failures(), "retryInMs", wait.toMillis());
      }
      try {
        if (stopping.await(wait.toMillis(), TimeUnit.MILLISECONDS)) {
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void pollOnce() throws IOException, DeviceApiException, RefusalException {
    expireInterrupted();
    sendOutcome();
    if (orders == null) {
      orders = orderVerifier();
    }
    DeviceClient.PollAnswer a = client.poll(etag);
    etag = a.etag();
    if (!a.changed() || a.poll() == null) {
      log.event("poll", "changed", false);
      return;
    }
    if (a.poll().renewCertificate()) {
      // Crash-safe: pending key saved first, one rename switches (DeviceClient.renewInto(Path)).
      DeviceClient.Renewal renewal = client.renewInto(config.stateDir().resolve(IDENTITY_DIR));
      retainKey(renewal.identity());
      log.event("certificate_renewed", "serial", renewal.identity().serial(), "pendingKey",
          renewal.pendingKey());
    }
    DeviceOrder order = a.poll().order();
    log.event("poll", "changed", true, "orderId", order == null ? null : order.orderId(),
        "attestation", a.poll().attestation() == null ? null : a.poll().attestation().reason());
    if (a.poll().attestation() != null) {
      // Before the order: the validation entity may hold the order back until it has judged
      // this evidence (ATT-1).
      try {
        answer(a.poll().attestation());
      } catch (IOException | DeviceApiException | RuntimeException e) {
        etag = null; // not answered: the next poll must see the challenge again, not a 304
        throw e;
      }
    }
    if (order == null) {
      return;
    }
    Optional<Journal.Entry> j = journal.read();
    if (j.isPresent() && j.get().phase() == Journal.Phase.DONE
        && j.get().orderId().equals(order.orderId())) {
      // Carried out already: never twice. The outcome goes again if the server did not take it.
      if (!j.get().acked()) {
        sendOutcome();
      }
      return;
    }
    try {
      carryOut(order);
    } finally {
      etag = null; // whatever happened, the next poll answers in full
    }
  }

  // --- attestation: answering a challenge (docs/AGENT.md, "Attestation") ------------------------

  /**
   * Measures this NE now and posts signed evidence over the challenge's nonce. A measurement
   * (or TPM) refusal is logged and the challenge left to expire: the validation entity decides
   * what an unanswered challenge means, and evidence of a tree the agent cannot measure safely
   * (current pointed outside versions/, say) is never sent. The server's refusal (4xx: the nonce
   * already judged or expired, say) is its final word and logged; an I/O error or a 5xx is
   * thrown, so the next poll answers the challenge again.
   */
  private void answer(AttestationChallenge ch) throws IOException, DeviceApiException {
    String evidence;
    try {
      Measurements.Result r = Measurements.measure(config);
      evidence = attester.sign(r, ch.nonce(), ch::isKnown,
          client.identity().keyPair().getPrivate(), Instant.now());
      log.event("measured", "reason", ch.reason(), "tim", r.tim(), "components",
          r.components().size(), "trustBase", attester.quotes() ? "TPM" : "SOFTWARE_KEY");
    } catch (RefusalException e) {
      log.event("attest_error", "reason", ch.reason(), "code", e.reasons().get(0).code().name(),
          "message", e.getMessage() + "; the challenge is not answered and expires at "
              + ch.expiresAt() + " (the validation entity decides what that means): fix the"
              + " cause and request an attestation again");
      return;
    }
    try {
      AttestationResult result = client.evidence(new EvidenceSubmission(evidence));
      log.event("attested", "id", result.id(), "reason", result.reason(), "result",
          result.result(), "trustBase", result.trustBase(), "trustState", result.trustState(),
          "tim", result.tim(), "codes", result.reasons() == null ? null : String.join(",",
              result.reasons().stream().map(ProblemReason::code).toList()), "message",
          result.reasons() == null || result.reasons().isEmpty() ? null
              : result.reasons().get(0).message());
    } catch (DeviceApiException e) {
      if (e.status() < 400 || e.status() >= 500) {
        throw e;
      }
      log.event("attest_refused", "reason", ch.reason(), "httpStatus", e.status(), "code",
          e.code(), "message", e.getMessage());
    }
  }

  // --- one order: verify everything, then install -----------------------------------------------

  /** What the bundle check compares against: set for the order being carried out. */
  private volatile DeploymentOrder current;
  /** When the bundle verifier's hashing ended, for the verified_extracted event's timings. */
  private volatile long verifiedNanos;
  /** The order's downloaded bundle, removed once the order has an outcome. */
  private volatile Path orderBundle;

  private void carryOut(DeviceOrder order) throws IOException, DeviceApiException {
    log.event("order", "orderId", order.orderId(), "deploymentId", order.deploymentId());
    Path download = config.stateDir().resolve(DOWNLOAD_DIR);
    Files.createDirectories(download);
    Path bundle = null;
    boolean keep = false;
    inFlight = null;
    try {
      DeploymentOrder o;
      try {
        o = orders.verify(order.jws());
      } catch (RefusalException e) {
        if (e.reasons().get(0).code() != ReasonCode.CERT_UNTRUSTED) {
          throw e;
        }
        orders = orderVerifier(); // a key rotated since: ask once more
        o = orders.verify(order.jws());
      }
      stillValid(o);
      log.event("order_verified", "orderId", order.orderId(), "package", o.packageName(),
          "version", o.packageVersion(), "bundleSha256", o.bundleSha256(), "rollback",
          o.rollback());
      step(Journal.Entry.verified(order.orderId(), order.jws(), o));
      progress(order.orderId(), "downloading", 0);
      step(inFlight.at(Journal.Phase.DOWNLOADING));
      TargetFile target = tufTarget(o);
      log.event("tuf_verified", "orderId", order.orderId(), "target", target.name(),
          "length", target.length());
      bundle = download.resolve(o.bundleSha256() + ".ngp");
      orderBundle = bundle;
      client.downloadBundle(o.bundleSha256(), o.bundleLength(), bundle);
      log.event("downloaded", "orderId", order.orderId(), "bytes", o.bundleLength());
      stillValid(o);
      progress(order.orderId(), "installing", 100);
      step(inFlight.at(Journal.Phase.VERIFYING)
          .withSlot(slots.slotFor(o.packageName(), o.packageVersion())));
      current = o;
      long extractStart = System.nanoTime();
      Slots.Extracted x;
      try {
        x = slots.extract(extractor, bundle, o.packageName(), o.packageVersion(),
            ProgressListener.NONE);
      } catch (IOException e) {
        if (!noSpace(e)) {
          throw e;
        }
        // A full install root is not cured by the next poll: trying again would verify and
        // extract the same bundle forever. Slots.extract removed what it wrote; the order fails
        // with a message that says what to do, and the operator deploys again.
        refused(order, List.of(ProblemReason.of(new Reason(ReasonCode.IO_ERROR, "no space left"
            + " on the install root " + slots.root() + " while extracting " + o.packageName()
            + " " + o.packageVersion() + " (" + usableSpace() + " bytes free now, nothing"
            + " switched, the partial slot removed); free space there and deploy again", null))));
        return;
      }
      long extractEnd = System.nanoTime();
      Manifest m = x.verification().manifest();
      // verifyMs: signature and every file's digest; extractMs: the gate, the judgement and the
      // extraction (which hashes every file again as it writes it). docs/BENCHMARKS.md.
      log.event("verified_extracted", "orderId", order.orderId(), "slot", x.slot(),
          "signer", x.verification().signer() == null ? null
              : x.verification().signer().subject(), "vendor", m.vendor(),
          "securityVersion", m.securityVersion(),
          "verifyMs", (verifiedNanos - extractStart) / 1_000_000,
          "extractMs", (extractEnd - verifiedNanos) / 1_000_000);
      manifests.keep(x.slot(), m); // before the switch: an active slot always has its manifest
      step(inFlight.at(Journal.Phase.EXTRACTED));
      // ATT-3 (b): what the NE is before the switch (no package yet is fine: its platform
      // paths only). A refusal here (current changed by hand, say) refuses the order unswitched.
      Measurements.Result measuredBefore = o.attestation() == null ? null
          : Measurements.measure(config);
      Optional<InstalledPackage> before = installed();
      Map<String, String> hookEnv = hookEnv(m, x.slot(), before);
      if (hasHook(m, PackageHooks.PRE)) {
        // After every check and the extraction, before the switch: a failure switches nothing.
        step(inFlight.at(Journal.Phase.PRE_ACTIVATE));
        HookFailure failed = runHook(order.orderId(), PackageHooks.PRE, x.slot(), m, hookEnv);
        if (failed != null) {
          removeUnswitched(x.slot());
          refused(order, List.of(ProblemReason.of(new Reason(failed.code(), failed.message()
              + "; nothing was switched and the new slot was removed", null))));
          return;
        }
      }
      stillValid(o); // the switch is the point of no return: never on a void order
      Optional<Path> lastGood = slots.active().filter(s -> !s.equals(x.slot()));
      Optional<Path> previousBefore = slots.previous();
      Path installedFile = config.stateDir().resolve(INSTALLED);
      step(inFlight.switching(lastGood, previousBefore, Files.exists(installedFile)
          ? Files.readString(installedFile) : null));
      slots.activate(x.slot());
      InstalledPackage now = new InstalledPackage(m.name(), m.version(), m.securityVersion());
      log.event("activated", "orderId", order.orderId(), "slot", x.slot(), "previous",
          slots.previous().orElse(null));
      if (hasHook(m, PackageHooks.POST)) {
        step(inFlight.at(Journal.Phase.POST_ACTIVATE));
        HookFailure failed = runHook(order.orderId(), PackageHooks.POST, x.slot(), m, hookEnv);
        if (failed != null) {
          step(inFlight.rollingBack(failed.code(), failed.message()));
          rollBack(order, lastGood, previousBefore, before, failed.code(), failed.message());
          return;
        }
      }
      Env env = new Env(m.name(), m.version(), x.slot());
      String failure = restartAndCheck(order.orderId(), env);
      if (failure != null) {
        step(inFlight.rollingBack(failure));
        rollBack(order, lastGood, previousBefore, before, ReasonCode.HEALTH_CHECK_FAILED,
            failure);
        return;
      }
      String evidence = null;
      if (o.attestation() != null) {
        // ATT-3 (c), (d): healthy is not enough; the NE must now be what the signed RIM says.
        Attested att = attestAfter(order.orderId(), o, m, measuredBefore);
        if (att.failure() != null) {
          step(inFlight.rollingBack(att.code(), att.failure()));
          rollBack(order, lastGood, previousBefore, before, att.code(), att.failure());
          return;
        }
        evidence = att.evidence();
      }
      // The order may have expired during the restart, the health check and the measurement
      // (a switch just before a maintenance window closed): the server refuses a success after
      // notAfter and fails the target, so keeping the new version would leave the NE running
      // what the server records as not installed (its security-version floor, its attestation
      // reference). Back to last-known-good, with the reason.
      if (!Instant.now().isBefore(o.notAfter())) {
        String why = "the order expired at " + o.notAfter() + " before the new version was"
            + " confirmed (restart, health check, measurement); deploy again with a longer"
            + " window or expiry";
        step(inFlight.rollingBack(ReasonCode.ORDER_VALIDITY, why));
        rollBack(order, lastGood, previousBefore, before, ReasonCode.ORDER_VALIDITY, why);
        return;
      }
      // DONE (with the outcome, and its evidence) before installed.json: a recovery at DONE
      // completes the record and the loop sends the outcome, evidence and all.
      Feedback succeeded = new Feedback(order.orderId(), "succeeded", 100, List.of(), now,
          evidence);
      step(inFlight.done(succeeded));
      recordInstalled(now, x.slot(), order.orderId());
      retireReplaced(inFlight);
      if (config.healthCheck().isEmpty()) {
        log.event("installed", "orderId", order.orderId(), "slot", x.slot(), "healthChecked",
            false, "message", "no health.check configured: success is reported without a"
                + " health check");
      } else {
        log.event("installed", "orderId", order.orderId(), "slot", x.slot(), "healthChecked",
            true);
      }
      finish(succeeded);
    } catch (RefusalException e) {
      ReasonCode code = e.reasons().get(0).code();
      if (code == ReasonCode.SERVER_UNREACHABLE || code == ReasonCode.IO_ERROR) {
        keep = true;
        // Not a verdict on the package: try the order again at the next poll.
        throw new IOException(e.getMessage(), e);
      }
      refused(order, e.reasons().stream().map(ProblemReason::of).toList());
    } catch (IOException | RuntimeException e) {
      keep = true; // a transfer cut short: the next poll resumes the download (Range)
      interruptedAfterSwitch(e);
      throw e;
    } catch (DeviceApiException e) {
      if (e.status() > 0) {
        keep = true;
        interruptedAfterSwitch(e);
        throw e; // the server refused a request: try again at the next poll
      }
      refused(order, e.reasons()); // the client's own refusal: a digest or size mismatch
    } finally {
      current = null;
      inFlight = null;
      orderBundle = null;
      if (bundle != null && !keep) {
        Files.deleteIfExists(bundle);
      }
    }
  }

  /** ATT-3's verdict after the install: the evidence to report, or why it must roll back. */
  private record Attested(String evidence, ReasonCode code, String failure) {}

  /**
   * ATT-3 (c), (d): re-measures the activated, healthy NE and compares it with the measurement
   * before the install, the package's component replaced by the signed RIM. A difference (a file
   * changed, missing or added by the install scripts or by anyone during it), or a measurement
   * the agent cannot take, is a failure: the caller rolls back. A match is signed over the
   * order's nonce. A TPM or I/O error is thrown: after the switch that is rolled back as an
   * interruption (AGENT_INTERRUPTED), never reported as success.
   */
  private Attested attestAfter(String orderId, DeploymentOrder o, Manifest m,
      Measurements.Result measuredBefore) throws IOException {
    Measurements.Result after;
    List<org.neguard.attest.Expectation.Difference> diff;
    try {
      after = Measurements.measure(config);
      diff = Attester.differences(measuredBefore, m, after);
    } catch (RefusalException e) {
      log.event("measurement_mismatch", "orderId", orderId, "message", e.getMessage());
      return new Attested(null, e.reasons().get(0).code(), "ATT-3: the NE could not be"
          + " measured after installing " + m.name() + " " + m.version() + ": "
          + e.getMessage());
    }
    if (!diff.isEmpty()) {
      String what = Attester.describe(diff);
      log.event("measurement_mismatch", "orderId", orderId, "tim", after.tim(), "differences",
          what);
      return new Attested(null, ReasonCode.MEASUREMENT_MISMATCH, "ATT-3: after installing "
          + m.name() + " " + m.version()
          + " the NE is not what its signed RIM and the measurement before the install say: "
          + what + "; check what changed these files (install scripts, another process)"
          + " before deploying again");
    }
    String evidence;
    try {
      evidence = attester.sign(after, o.attestation().nonce(),
          client.identity().keyPair().getPrivate(), Instant.now());
    } catch (RefusalException e) { // the TPM refused: no evidence, so no success
      return new Attested(null, e.reasons().get(0).code(), "ATT-3: the evidence after"
          + " installing " + m.name() + " " + m.version() + " could not be made: "
          + e.getMessage());
    }
    log.event("attested", "orderId", orderId, "reason", "AFTER_UPDATE", "tim", after.tim(),
        "trustBase", attester.quotes() ? "TPM" : "SOFTWARE_KEY");
    return new Attested(evidence, null, null);
  }

  /** Whether {@code e} (or a cause) is the file system's "no space left" (ENOSPC, EDQUOT). */
  static boolean noSpace(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String m = t instanceof java.nio.file.FileSystemException f && f.getReason() != null
          ? f.getReason() : t.getMessage();
      if (m != null && (m.contains("No space left on device")
          || m.contains("Disk quota exceeded"))) {
        return true;
      }
    }
    return false;
  }

  private long usableSpace() {
    try {
      return Files.getFileStore(slots.root()).getUsableSpace();
    } catch (IOException e) {
      return -1;
    }
  }

  /**
   * Progress feedback. The server taking feedback forward only, an order carried out again after
   * a crash or an error finds it further along already (409): that is no reason to stop.
   */
  private void progress(String orderId, String status, int percent)
      throws IOException, DeviceApiException {
    try {
      client.feedback(new Feedback(orderId, status, percent, List.of(), null));
    } catch (DeviceApiException e) {
      if (e.status() != 409) {
        throw e;
      }
      log.event("progress_not_taken", "orderId", orderId, "status", status, "message",
          e.getMessage());
    }
  }

  /** Journals the next step before it starts; logs it (the {@code journal} event). */
  private void step(Journal.Entry e) throws IOException {
    journal.write(e);
    inFlight = e;
    log.event("journal", "orderId", e.orderId(), "phase", e.phase().name());
  }

  /**
   * The order's validity, by this NE's clock, with no tolerance: the verifier allows 5 minutes
   * of clock skew, but the server voids an order at its notAfter (and takes no feedback on it
   * after), so a step begun past it would install what the server counts as failed.
   */
  private static void stillValid(DeploymentOrder o) throws RefusalException {
    Instant now = Instant.now();
    if (!now.isBefore(o.notAfter())) {
      throw new RefusalException(ReasonCode.ORDER_VALIDITY, "the order expired at "
          + o.notAfter() + " and this NE's clock says " + now + "; nothing of it was installed:"
          + " deploy again for a new order");
    }
  }

  /**
   * An error after the switch (an I/O error on the links, say) inside this process: the same as a
   * crash at that point, recovered at once rather than at the next start.
   */
  private void interruptedAfterSwitch(Exception e) throws IOException, DeviceApiException {
    Journal.Entry j = inFlight;
    if (j != null && j.phase().afterSwitch()) {
      inFlight = null;
      rollBackInterrupted(j, "an error after the switch (" + e.getMessage() + ")");
    }
  }

  /**
   * Enforce mode (docs/AGENT.md): the agent's own nftables table drops what the server's
   * judgement names as undeclared, until the policy declares it. Without a policy nothing was
   * judged, so the table stays as it is (an empty list then is no reason to open anything).
   */
  private void enforce(InventoryVerdict v) {
    if (!config.enforcePorts()) {
      return;
    }
    Optional<java.util.Set<PortRef>> block = toBlock(v);
    if (block.isEmpty()) {
      return;
    }
    try {
      if (block.get().isEmpty()) {
        enforcer.clear();
      } else {
        enforcer.apply(block.get());
      }
      log.event("enforced", "blocked", block.get().stream().map(r -> r.protocol() + "/"
          + r.port() + (r.address() == null ? "" : " on " + r.address())).toList().toString());
    } catch (IOException | RuntimeException e) {
      log.event("enforce_error", "message", String.valueOf(e.getMessage()));
    }
  }

  /**
   * What the enforce mode blocks after {@code v}: empty when nothing was judged (no policy:
   * the table stays as it is), else the undeclared TCP, UDP and SCTP sockets, an IPv4-mapped
   * address as its IPv4 address (a dual-stack socket's IPv4 clients arrive as IPv4 packets), a
   * wildcard as any address, and a multi-homed SCTP endpoint on each of its addresses. When an
   * address list is cut short (the server names a great many by their first ones) or an
   * address is none this agent can write a rule for, the port is blocked on every address: one
   * odd socket must neither stop the enforcement nor leave its port open.
   */
  static Optional<java.util.Set<PortRef>> toBlock(InventoryVerdict v) {
    if (InventoryVerdict.NO_POLICY.equals(v.verdict())) {
      return Optional.empty();
    }
    java.util.Set<PortRef> block = new java.util.LinkedHashSet<>();
    for (ListeningPort p : v.undeclared()) {
      List<PortRef> each = new ArrayList<>();
      boolean whole = true;
      for (String a : p.address().split(" ")) {
        String address = a.startsWith("::ffff:") ? a.substring(7) : a;
        try {
          each.add(new PortRef(p.protocol(), p.port(), address));
        } catch (IllegalArgumentException e) {
          whole = false;
        }
      }
      if (whole) {
        block.addAll(each);
      } else {
        block.add(PortRef.of(p.protocol(), p.port()));
      }
    }
    return Optional.of(java.util.Set.copyOf(block));
  }

  /** What the restart and the health check are told: environment variables. */
  private record Env(String name, String version, Path slot) {
    Map<String, String> vars(Path installRoot) {
      return Map.of("NEGUARD_PACKAGE", name, "NEGUARD_VERSION", version, "NEGUARD_SLOT",
          slot.toString(), "NEGUARD_INSTALL_ROOT", installRoot.toString());
    }
  }

  /**
   * After a switch: {@code service.restart} (if configured), then {@code health.check} (if
   * configured), retried every second until it passes or {@code health.window} has passed
   * since the first attempt, each attempt killed at {@code health.timeout}.
   *
   * @return null when healthy (or nothing configured), otherwise what failed, with its output
   */
  private String restartAndCheck(String orderId, Env env) throws IOException {
    Map<String, String> vars = env.vars(slots.root());
    step(inFlight.at(Journal.Phase.RESTARTING));
    if (!config.serviceRestart().isEmpty()) {
      CommandRunner.Result r = runCommand(config.serviceRestart(), vars,
          config.restartTimeout());
      log.event("service_restarted", "orderId", orderId, "version", env.version(), "ok",
          r.ok(), "output", r.describe());
      if (!r.ok()) {
        return "the service restart failed: " + r.describe();
      }
    }
    if (config.healthCheck().isEmpty()) {
      return null;
    }
    step(inFlight.at(Journal.Phase.HEALTH_CHECKING));
    long end = System.nanoTime() + config.healthWindow().toNanos();
    int attempt = 0;
    while (true) {
      attempt++;
      CommandRunner.Result r = runCommand(config.healthCheck(), vars, config.healthTimeout());
      log.event("health_check", "orderId", orderId, "version", env.version(), "attempt",
          attempt, "ok", r.ok(), "output", r.describe());
      if (r.ok()) {
        return null;
      }
      if (System.nanoTime() + 1_000_000_000L > end || stopping.getCount() == 0) {
        return "the health check failed (" + attempt + (attempt == 1 ? " attempt" : " attempts")
            + "): " + r.describe();
      }
      try {
        Thread.sleep(1_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "the health check failed: " + r.describe();
      }
    }
  }

  private CommandRunner.Result runCommand(List<String> command, Map<String, String> vars,
      Duration timeout) {
    try {
      return CommandRunner.run(command, slots.root(), vars, timeout);
    } catch (IOException e) {
      return new CommandRunner.Result(-1, false, "cannot run " + command.get(0) + ": "
          + e.getMessage(), false);
    }
  }

  /**
   * The new version failed to restart, its health check, or ATT-3's measurement: {@code current}
   * back to last-known-good (removed on a first install) and {@code previous} as it was, the old
   * version restarted, installed.json untouched, {@code failed} reported with {@code code}
   * (HEALTH_CHECK_FAILED, MEASUREMENT_MISMATCH) and the output.
   */
  private void rollBack(DeviceOrder order, Optional<Path> lastGood, Optional<Path> previousBefore,
      Optional<InstalledPackage> before, ReasonCode code, String failure)
      throws IOException, DeviceApiException {
    slots.restore(lastGood, previousBefore);
    log.event("rolled_back", "orderId", order.orderId(), "to", lastGood.orElse(null),
        "output", failure);
    restartOld(order.orderId(), lastGood, before);
    String out = failure;
    if (out.length() > 2_000) {
      out = out.substring(0, 2_000) + " [...]";
    }
    String message = describeOld(lastGood, before) + ": " + out;
    refused(order.orderId(), List.of(ProblemReason.of(new Reason(code, message, null))));
  }

  /** "rolled back to NAME VERSION", or what a first install's rollback did. */
  private static String describeOld(Optional<Path> lastGood, Optional<InstalledPackage> before) {
    if (lastGood.isEmpty()) {
      return "no previous version: current removed";
    }
    return "rolled back to " + before.filter(b -> Slots.base(lastGood.get().getFileName()
        .toString()).equals(Slots.name(b.name(), b.version()))).map(b -> b.name() + " "
        + b.version())
        .orElse(lastGood.get().getFileName().toString());
  }

  /** service.restart for the last-known-good version, if there is one and a restart is set. */
  private void restartOld(String orderId, Optional<Path> lastGood,
      Optional<InstalledPackage> before) {
    if (lastGood.isPresent() && !config.serviceRestart().isEmpty()) {
      String version = before.map(InstalledPackage::version).orElse("");
      CommandRunner.Result r = runCommand(config.serviceRestart(), new Env(before.map(
          InstalledPackage::name).orElse(""), version, lastGood.get()).vars(slots.root()),
          config.restartTimeout());
      log.event("service_restarted", "orderId", orderId, "version", version, "ok",
          r.ok(), "output", r.describe());
    }
  }

  private void refused(DeviceOrder order, List<ProblemReason> reasons)
      throws IOException, DeviceApiException {
    refused(order.orderId(), reasons);
  }

  private void refused(String orderId, List<ProblemReason> reasons)
      throws IOException, DeviceApiException {
    log.event("refused", "orderId", orderId, "codes",
        String.join(",", reasons.stream().map(ProblemReason::code).toList()), "message",
        reasons.isEmpty() ? null : reasons.get(0).message());
    finish(new Feedback(orderId, "failed", null, reasons, null));
  }

  /**
   * The order's outcome: journaled (DONE, not yet acknowledged) and kept in last-result.json
   * first, then sent. Until the server takes it, it is sent again before every poll, across
   * restarts.
   */
  private void finish(Feedback f) throws IOException, DeviceApiException {
    settle(f);
    sendOutcome();
  }

  /**
   * Journals {@code f} as the order's outcome, writes last-result.json and removes the order's
   * downloaded bundle; sends nothing.
   */
  private void settle(Feedback f) throws IOException {
    Journal.Entry j = inFlight != null && inFlight.orderId().equals(f.orderId()) ? inFlight
        : journal.read().filter(e -> e.orderId().equals(f.orderId()))
            .orElse(new Journal.Entry(f.orderId(), null, null, Journal.Phase.DONE, null, null,
                null, null, null, null, null, false));
    if (j.phase() != Journal.Phase.DONE || j.outcome() == null
        || !j.outcome().status().equals(f.status())) {
      j = j.done(f);
      journal.write(j);
      inFlight = j;
      log.event("journal", "orderId", j.orderId(), "phase", j.phase().name(), "status",
          f.status());
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("orderId", f.orderId());
    r.put("status", f.status());
    r.put("at", Instant.now().toString());
    List<Map<String, Object>> reasons = new ArrayList<>();
    for (ProblemReason p : f.reasons()) {
      Map<String, Object> reason = new LinkedHashMap<>();
      reason.put("code", p.code());
      reason.put("message", p.message());
      reason.put("subject", p.subject());
      reasons.add(reason);
    }
    r.put("reasons", reasons);
    Journal.writeSynced(config.stateDir().resolve(LAST_RESULT), StateJson.write(r));
    // An order with an outcome needs its bundle no more (it comes again with the next order). It
    // goes before the server hears the outcome, so that what the server shows is what the NE
    // holds, the space of a full disk freed included, whether the send succeeds or not.
    if (orderBundle != null) {
      Files.deleteIfExists(orderBundle);
      orderBundle = null;
    }
  }

  /**
   * Sends the journaled outcome if the server has not taken it. The server's own refusal of it
   * (an order it has voided, cancelled or finished meanwhile: a 4xx) is its final word: the
   * outcome is then not sent again, and the log says what the server answered.
   */
  private void sendOutcome() throws IOException, DeviceApiException {
    Optional<Journal.Entry> j = journal.read();
    if (j.isEmpty() || j.get().phase() != Journal.Phase.DONE || j.get().acked()
        || j.get().outcome() == null) {
      return;
    }
    Feedback f = j.get().outcome();
    try {
      client.feedback(f);
      log.event("reported", "orderId", f.orderId(), "status", f.status());
    } catch (DeviceApiException e) {
      if (e.status() < 400 || e.status() >= 500) {
        throw e; // not an answer on this outcome: send it again at the next poll
      }
      log.event("report_refused", "orderId", f.orderId(), "status", f.status(), "httpStatus",
          e.status(), "code", e.code(), "message", e.getMessage());
    }
    Journal.Entry acked = j.get().ack();
    journal.write(acked);
    if (inFlight != null && inFlight.orderId().equals(acked.orderId())) {
      inFlight = acked;
    }
  }

  // --- recovery after a crash (docs/AGENT.md "Crash safety: the journal") ---------------------

  /**
   * At start-up, before the first poll, puts the NE back on exactly one whole version: the step
   * the journal names may have been cut short by a crash (kill -9, power). Works without the
   * server; what must be told to it is journaled and sent by the loop.
   */
  private void recover() throws IOException {
    // A hook the killed agent left running goes first: it must not act on what is restored.
    CommandRunner.killLeftover(hooks.pidFile()).ifPresent(what -> log.event("recovery_killed",
        "message", what));
    for (Path p : slots.removeLeftovers()) {
      // A slot path that exists was put back (set aside when a crash cut its replacement).
      log.event(Files.isDirectory(p) ? "recovery_restored" : "recovery_removed", "path", p);
    }
    Optional<Journal.Entry> found = journal.read();
    if (found.isEmpty()) {
      return;
    }
    Journal.Entry j = found.get();
    log.event("recovering", "orderId", j.orderId(), "phase", j.phase().name(), "acked",
        j.acked());
    if (j.phase() == Journal.Phase.DONE) {
      completeRecord(j);
      removeDownloads(null); // the order is over: a bundle the crash left is of no use
      return;
    }
    if (j.phase().afterSwitch()) {
      rollBackInterrupted(j, "the agent was interrupted");
      removeDownloads(null);
      return;
    }
    // Before the switch: nothing active changed. A complete slot that was never switched to
    // goes (it is extracted again, from a verified bundle, if the order comes back); a partial
    // download of this order's bundle stays (the download resumes and is re-hashed in full).
    if (j.slot() != null) {
      Path slot = Path.of(j.slot());
      if (Files.isDirectory(slot) && !slot.equals(slots.active().orElse(null))
          && !slot.equals(slots.previous().orElse(null))) {
        org.neguard.io.FileTrees.deleteTree(slot);
        log.event("recovery_removed", "path", slot);
      }
    }
    removeDownloads(j.order() == null ? null : j.order().bundleSha256());
    log.event("order_interrupted", "orderId", j.orderId(), "phase", j.phase().name(),
        "message", "interrupted before the switch: nothing was activated; the order is carried"
            + " out again, from its verification, when the server sends it again");
    expireInterrupted();
  }

  /**
   * An order interrupted before the switch and past its validity is never resumed: its
   * download goes, and it is reported failed ORDER_VALIDITY (the server voided it at notAfter).
   */
  private void expireInterrupted() throws IOException {
    Optional<Journal.Entry> found = journal.read();
    if (found.isEmpty() || found.get().phase() == Journal.Phase.DONE
        || found.get().phase().afterSwitch() || !found.get().expiredAt(Instant.now())) {
      return;
    }
    Journal.Entry j = found.get();
    removeDownloads(null);
    String message = "the order expired at " + j.order().notAfter() + " while it was"
        + " interrupted (" + j.phase().name().toLowerCase(java.util.Locale.ROOT) + "); an order"
        + " is never carried out past its validity: nothing of it was installed; deploy again"
        + " for a new order";
    log.event("refused", "orderId", j.orderId(), "codes", ReasonCode.ORDER_VALIDITY.name(),
        "message", message);
    inFlight = j;
    try {
      settle(new Feedback(j.orderId(), "failed", null, List.of(ProblemReason.of(new Reason(
          ReasonCode.ORDER_VALIDITY, message, null))), null));
    } finally {
      inFlight = null;
    }
  }

  /** Removes downloads other than the bundle {@code keepSha256} (none kept when null). */
  private void removeDownloads(String keepSha256) throws IOException {
    Path download = config.stateDir().resolve(DOWNLOAD_DIR);
    if (!Files.isDirectory(download)) {
      return;
    }
    try (var s = Files.list(download)) {
      for (Path p : s.toList()) {
        if (keepSha256 == null || !p.getFileName().toString().equals(keepSha256 + ".ngp")) {
          Files.deleteIfExists(p);
          log.event("recovery_removed", "path", p);
        }
      }
    }
  }

  /** DONE: a success whose installed.json was not yet written gets it now. */
  private void completeRecord(Journal.Entry j) throws IOException {
    Feedback f = j.outcome();
    if (f == null || !"succeeded".equals(f.status()) || f.installed() == null
        || j.slot() == null) {
      return;
    }
    Optional<InstalledPackage> now = installed();
    if (now.isEmpty() || !now.get().equals(f.installed())) {
      recordInstalled(f.installed(), Path.of(j.slot()), j.orderId());
      log.event("recovery_recorded", "orderId", j.orderId(), "version",
          f.installed().version());
    }
    retireReplaced(j);
  }

  /**
   * After a confirmed reinstall (the order's version was the active one, so it went to the
   * slot's other generation): the replaced tree is not last-known-good (it is the one being
   * repaired), so {@code previous} goes back to what it named before, and the replaced slot and
   * its kept manifest are removed. Idempotent: a recovery at DONE runs it again.
   */
  private void retireReplaced(Journal.Entry j) throws IOException {
    if (j == null || j.lastGood() == null || j.slot() == null) {
      return;
    }
    Path replaced = Path.of(j.lastGood());
    Path slot = Path.of(j.slot());
    if (replaced.equals(slot) || !Slots.base(replaced.getFileName().toString())
        .equals(Slots.base(slot.getFileName().toString()))) {
      return; // an upgrade or a downgrade: the old version stays last-known-good
    }
    Optional<Path> previousBefore = Optional.ofNullable(j.previousBefore()).map(Path::of)
        .filter(p -> !p.equals(slot) && !p.equals(replaced));
    slots.restorePrevious(previousBefore);
    if (Files.exists(replaced, java.nio.file.LinkOption.NOFOLLOW_LINKS)
        && !replaced.equals(slots.active().orElse(null))) {
      org.neguard.io.FileTrees.deleteTree(replaced);
      log.event("reinstalled", "orderId", j.orderId(), "slot", slot, "removed", replaced);
    }
    try {
      manifests.forget(replaced.getFileName().toString());
    } catch (RefusalException e) {
      log.event("recovery_error", "message", e.getMessage());
    }
  }

  /** A slot extracted for an order that stops before the switch: removed, unless in use. */
  private void removeUnswitched(Path slot) throws IOException {
    if (Files.isDirectory(slot, java.nio.file.LinkOption.NOFOLLOW_LINKS)
        && !slot.equals(slots.active().orElse(null))
        && !slot.equals(slots.previous().orElse(null))) {
      org.neguard.io.FileTrees.deleteTree(slot);
      log.event("slot_removed", "path", slot);
    }
  }

  /** A hook that failed, hung, or was refused before it ran: the code and what to report. */
  private record HookFailure(ReasonCode code, String message) {}

  private static boolean hasHook(Manifest m, String hook) {
    return m.files().stream().anyMatch(f -> f.path().equals(hook));
  }

  /** The whole environment of a hook (with NEGUARD_HOOK and PATH, set by PackageHooks). */
  private static Map<String, String> hookEnv(Manifest m, Path slot,
      Optional<InstalledPackage> before) {
    return Map.of("NEGUARD_PACKAGE", m.name(), "NEGUARD_VERSION", m.version(),
        "NEGUARD_PREVIOUS_VERSION", before.filter(b -> b.name().equals(m.name()))
            .map(InstalledPackage::version).orElse(""), "NEGUARD_SLOT", slot.toString());
  }

  /** Runs a hook of the new slot: null when it passed or the package has none. */
  private HookFailure runHook(String orderId, String hook, Path slot, Manifest m,
      Map<String, String> env) {
    String what = "the " + PackageHooks.name(hook) + " hook of " + m.name() + " " + m.version();
    try {
      Optional<CommandRunner.Result> r = hooks.run(hook, slot, m, env);
      if (r.isEmpty()) {
        return null;
      }
      log.event("hook", "orderId", orderId, "hook", PackageHooks.name(hook), "version",
          m.version(), "ok", r.get().ok(), "output", r.get().describe());
      return r.get().ok() ? null : new HookFailure(ReasonCode.HOOK_FAILED, what + " failed: "
          + r.get().describe());
    } catch (RefusalException e) {
      log.event("hook", "orderId", orderId, "hook", PackageHooks.name(hook), "version",
          m.version(), "ok", false, "output", e.getMessage());
      return new HookFailure(e.reasons().get(0).code(), what + " was not run: "
          + e.getMessage());
    } catch (IOException e) {
      log.event("hook", "orderId", orderId, "hook", PackageHooks.name(hook), "version",
          m.version(), "ok", false, "output", e.getMessage());
      return new HookFailure(ReasonCode.HOOK_FAILED, what + " could not be run: "
          + e.getMessage());
    }
  }

  /**
   * Between the switch and a confirmed health check the new version is not known good: the
   * links go back to what they were (current to last-known-good, previous as before),
   * installed.json to what it was, the old version is restarted, and the order fails with
   * AGENT_INTERRUPTED (or HEALTH_CHECK_FAILED when the check had failed already). Re-running
   * the health check instead would confirm a version whose restart we did not see finish.
   */
  private void rollBackInterrupted(Journal.Entry j, String what) throws IOException {
    Optional<Path> lastGood = Optional.ofNullable(j.lastGood()).map(Path::of);
    Optional<Path> previousBefore = Optional.ofNullable(j.previousBefore()).map(Path::of);
    slots.restore(lastGood, previousBefore);
    Path installedFile = config.stateDir().resolve(INSTALLED);
    if (j.installedBefore() == null) {
      Files.deleteIfExists(installedFile);
    } else {
      Journal.writeSynced(installedFile, j.installedBefore().getBytes(
          java.nio.charset.StandardCharsets.UTF_8));
    }
    Optional<InstalledPackage> before = installed();
    log.event("rolled_back", "orderId", j.orderId(), "to", lastGood.orElse(null), "phase",
        j.phase().name());
    restartOld(j.orderId(), lastGood, before);
    String newVersion = j.order() == null ? "the new version"
        : j.order().packageName() + " " + j.order().packageVersion();
    Reason reason;
    if (j.failure() != null) {
      String out = j.failure().length() > 2_000 ? j.failure().substring(0, 2_000) + " [...]"
          : j.failure();
      reason = new Reason(j.failureReason(), describeOld(lastGood, before) + ": " + out, null);
    } else {
      reason = new Reason(ReasonCode.AGENT_INTERRUPTED, what + " after the switch to "
          + newVersion + " (" + j.phase().name().toLowerCase(java.util.Locale.ROOT) + "), before"
          + " the new version was confirmed healthy: " + describeOld(lastGood, before)
          + "; deploy again to retry", null);
    }
    log.event("refused", "orderId", j.orderId(), "codes", reason.code().name(), "message",
        reason.message());
    inFlight = j;
    try {
      settle(new Feedback(j.orderId(), "failed", null, List.of(ProblemReason.of(reason)), null));
    } finally {
      inFlight = null;
    }
  }

  /**
   * The TUF client, made at the first order: the configured root ({@code tuf.root}) must parse
   * and carry its own threshold of signatures, and be the root the state directory trusts or one
   * it has not seen ({@link TufClient#bootstrap}). Checked here rather than at start because its
   * reader is Jackson's data binding, 540 classes an idle agent would otherwise keep
   * (docs/AGENT.md "Footprint"); at start the file need only be readable. A root that fails is
   * this order's refusal, with its reason, and the next order checks it again.
   */
  private TufClient tuf() throws RefusalException {
    if (tuf == null) {
      TufClient.bootstrap(tufConfig.stateDir(), tufRoot);
      tuf = new TufClient(tufConfig);
      try {
        // The trusted root.json pins it from now on.
        Files.deleteIfExists(tufConfig.stateDir().resolve(PINNED_ROOT));
      } catch (IOException e) {
        log.event("tuf_pin_left", "message", e.getMessage());
      }
    }
    return tuf;
  }

  /**
   * The configured trusted root's bytes, read once at start, so that the file changing later
   * changes nothing before a restart; and, until the first order has checked and trusted a root
   * (the state directory's {@value TufClient#ROOT_FILE}), pinned by its bytes in {@value
   * #PINNED_ROOT}: a later start with other bytes is a CONFLICT, as it was when the root was
   * trusted at the first start. Once a root is trusted, {@link TufClient#bootstrap} judges the
   * configured one at the first order (the same bytes, or a root the chain has since left
   * behind).
   *
   * @throws IOException the file is missing, unreadable, not a regular file or larger than a
   *     root may be
   * @throws RefusalException CONFLICT: other bytes than the pinned root's
   */
  private static byte[] pinnedRoot(Path tufDir, Path file) throws IOException, RefusalException {
    // Read bounded rather than sized first: a file that grows between the two is still cut.
    byte[] root = Files.isRegularFile(file)
        ? BoundedRead.atMost(file, (int) ClientConfig.DEFAULT_MAX_ROOT_BYTES) : null;
    if (root == null || root.length > ClientConfig.DEFAULT_MAX_ROOT_BYTES) {
      throw new IOException(file + " is not a regular file of at most "
          + ClientConfig.DEFAULT_MAX_ROOT_BYTES + " bytes");
    }
    if (Files.exists(tufDir.resolve(TufClient.ROOT_FILE))) {
      return root;
    }
    Path pinned = tufDir.resolve(PINNED_ROOT);
    if (Files.exists(pinned)) {
      if (!Arrays.equals(Files.readAllBytes(pinned), root)) {
        throw RefusalException.about(ReasonCode.CONFLICT, file.toString(), file + " is not the"
            + " trusted TUF root this agent first started with (" + pinned + "): put that one"
            + " back, or delete " + tufDir + " to trust the new one");
      }
    } else {
      Files.createDirectories(tufDir);
      AtomicFiles.write(pinned, root);
    }
    return root;
  }

  /**
   * TUF: refresh the whole chain, then the target of the order's package, whose length and
   * SHA-256 must be the order's (REPO_MISMATCH otherwise): the server's order and the signed
   * repository must name the same bytes.
   */
  private TargetFile tufTarget(DeploymentOrder o) throws RefusalException {
    TufClient tuf = tuf();
    tuf.refresh();
    String name = o.packageName() + "-" + o.packageVersion() + ".ngp";
    TargetFile t = tuf.targetInfo(name).orElseThrow(() -> RefusalException.about(
        ReasonCode.REPO_MISMATCH, name, "the TUF repository has no target " + name));
    if (!t.sha256().equals(o.bundleSha256()) || t.length() != o.bundleLength()) {
      throw RefusalException.about(ReasonCode.REPO_MISMATCH, name, "the order names bundle "
          + o.bundleSha256() + " (" + o.bundleLength() + " bytes), the TUF target " + name
          + " is " + t.sha256() + " (" + t.length() + " bytes); nothing was downloaded");
    }
    Optional<NeguardCustom> custom = t.neguard();
    if (custom.isPresent() && !custom.get().neType().equals(config.neType())) {
      throw RefusalException.about(ReasonCode.NE_TYPE_MISMATCH, name, "the TUF target is for"
          + " NE type " + custom.get().neType() + ", this NE is " + config.neType());
    }
    return t;
  }

  /**
   * The checks on the verified manifest (run inside the bundle verifier, after the vendor's
   * signature, every file digest and the scan reports): the package the order names, this NE
   * type, no security downgrade unless the order is a rollback, no path escaping a slot.
   */
  private void judge(Manifest m) throws RefusalException, IOException {
    DeploymentOrder o = current;
    if (o == null) {
      throw new IllegalStateException("no order being carried out");
    }
    judge(m, o, config.neType(), installed());
    Slots.checkPaths(slots.slot(m.name(), m.version()), m);
    // The last check of the verification: what follows is the extraction.
    step(inFlight.at(Journal.Phase.EXTRACTING));
  }

  /** The manifest rules, apart from where its files land (static: unit-tested alone). */
  static void judge(Manifest m, DeploymentOrder o, String neType,
      Optional<InstalledPackage> now) throws RefusalException {
    if (!m.name().equals(o.packageName()) || !m.version().equals(o.packageVersion())) {
      throw new RefusalException(ReasonCode.BAD_INPUT, "the bundle is " + m.name() + " "
          + m.version() + ", the order names " + o.packageName() + " " + o.packageVersion());
    }
    if (!m.neType().equals(neType)) {
      throw RefusalException.about(ReasonCode.NE_TYPE_MISMATCH, m.name(), "the package is for"
          + " NE type " + m.neType() + ", this NE is " + neType);
    }
    if (now.isPresent() && now.get().name().equals(m.name())
        && m.securityVersion() < now.get().securityVersion() && !o.rollback()) {
      throw RefusalException.about(ReasonCode.ROLLBACK_REFUSED, m.name(), "security version "
          + m.securityVersion() + " is below the installed " + now.get().securityVersion()
          + " and the order is not a rollback");
    }
    PackageHooks.check(m); // hooks at their fixed paths only, executable
    Attester.checkRim(m, o.attestation()); // ATT-3 (a): before anything is extracted
  }

  /** The installed package as recorded in the state directory. */
  Optional<InstalledPackage> installed() throws IOException {
    Path f = config.stateDir().resolve(INSTALLED);
    if (!Files.exists(f)) {
      return Optional.empty();
    }
    try {
      Map<String, Object> n = StateJson.read(Files.readAllBytes(f));
      return Optional.of(new InstalledPackage(StateJson.requiredText(n, "name"),
          StateJson.requiredText(n, "version"), StateJson.number(n, "securityVersion")));
    } catch (IOException e) {
      throw new IOException(f + " is unreadable (" + e.getMessage() + "): it says which package"
          + " is installed and its security version; restore it from install.root/current or"
          + " remove it only if nothing is installed", e);
    }
  }

  private void recordInstalled(InstalledPackage p, Path slot, String orderId)
      throws IOException {
    Map<String, Object> n = new LinkedHashMap<>();
    n.put("name", p.name());
    n.put("version", p.version());
    n.put("securityVersion", p.securityVersion());
    n.put("slot", slot.toString());
    n.put("orderId", orderId);
    n.put("installedAt", Instant.now().toString());
    Journal.writeSynced(config.stateDir().resolve(INSTALLED), StateJson.write(n));
  }

  /** The main class for a process of its own: {@code java org.neguard.agent.Agent CONFIG}. */
  public static void main(String[] args) {
    if (args.length != 1) {
      System.err.println("usage: java org.neguard.agent.Agent CONFIG.properties");
      System.exit(EXIT_CONFIG);
    }
    NoDefaultTls.install(); // this process only: not the JDK's CAs on the heap (NoDefaultTls)
    System.exit(run(Path.of(args[0]), System.out));
  }
}
