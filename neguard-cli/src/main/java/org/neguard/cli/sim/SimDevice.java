package org.neguard.cli.sim;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.neguard.api.device.DeviceOrder;
import org.neguard.api.device.Feedback;
import org.neguard.api.device.InstalledPackage;
import org.neguard.api.problem.ProblemReason;
import org.neguard.order.DeploymentOrder;
import org.neguard.order.OrderVerifier;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * One simulated device after enrollment: each {@link #step} is one poll (with the last ETag) and,
 * when the poll brings an order not yet handled, the whole order: verify the JWS against the
 * order keys received at enrollment, download the bundle by the hash the signed order names
 * (never by the unsigned URL beside it), check its SHA-256 and length, report {@code succeeded}
 * with what is installed now, or {@code failed} with reason codes. Nothing is installed. Steps of
 * one device never overlap (the pool runs the next one after this one ends).
 */
final class SimDevice {
  /** How a simulated install fails, for the devices {@link #failsByIndex} picks. */
  static final String SIMULATED_FAILURE = "simulated install failure (sim agents --fail-rate)";

  private final int index;
  private final String id;
  private final DeviceLink link;
  private final OrderVerifier verifier;
  private final boolean fails;
  private final SimStats stats;
  private final SecurityVersions versions;
  private final Set<String> handled = ConcurrentHashMap.newKeySet();
  private String etag;
  private volatile boolean busy;

  /** The security version of a package, as the server stores it (the order does not say). */
  @FunctionalInterface
  interface SecurityVersions {
    long of(String name, String version) throws IOException, RefusalException;
  }

  SimDevice(int index, String id, DeviceLink link, OrderVerifier verifier, boolean fails,
      SimStats stats, SecurityVersions versions) {
    this.index = index;
    this.id = id;
    this.link = link;
    this.verifier = verifier;
    this.fails = fails;
    this.stats = stats;
    this.versions = versions;
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
    return id;
  }

  int index() {
    return index;
  }

  /** Whether an order is being carried out right now. */
  boolean busy() {
    return busy;
  }

  /** One poll, and the order it brings. */
  void step() throws InterruptedIOException {
    DeviceLink.PollAnswer answer;
    long t0 = System.nanoTime();
    try {
      answer = link.poll(etag);
    } catch (InterruptedIOException e) {
      throw e;
    } catch (IOException | RefusalException | RuntimeException e) {
      stats.pollErrors.incrementAndGet();
      return;
    }
    stats.poll(System.nanoTime() - t0, answer.notModified());
    if (answer.notModified()) {
      return;
    }
    etag = answer.etag();
    DeviceOrder order = answer.poll() == null ? null : answer.poll().order();
    if (order != null && handled.add(order.orderId())) {
      busy = true;
      try {
        carryOut(order);
      } finally {
        busy = false;
      }
    }
  }

  private void carryOut(DeviceOrder order) throws InterruptedIOException {
    stats.orders.incrementAndGet();
    DeploymentOrder o;
    try {
      o = verifier.verify(order.jws());
    } catch (RefusalException e) {
      stats.unverified.incrementAndGet();
      finish(order.orderId(), false, e.reasons(), null);
      return;
    }
    try {
      feedback(new Feedback(order.orderId(), "downloading", 0, List.of(), null));
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      long length;
      try (CountingSink sink = new CountingSink(o.bundleLength());
          DigestOutputStream out = new DigestOutputStream(sink, sha)) {
        link.download(o.bundleSha256(), out);
        length = sink.count;
      }
      stats.downloadedBytes.addAndGet(length);
      String actual = HexFormat.of().formatHex(sha.digest());
      if (length != o.bundleLength() || !actual.equals(o.bundleSha256())) {
        finish(order.orderId(), false, List.of(Reason.about(ReasonCode.DIGEST_MISMATCH,
            o.bundleSha256(), "the bundle downloaded has " + length + " bytes and SHA-256 "
                + actual + ", the signed order names " + o.bundleLength() + " bytes and "
                + o.bundleSha256())), null);
        return;
      }
      feedback(new Feedback(order.orderId(), "installing", 100, List.of(), null));
      if (fails) {
        finish(order.orderId(), false,
            List.of(Reason.of(ReasonCode.IO_ERROR, SIMULATED_FAILURE)), null);
        return;
      }
      finish(order.orderId(), true, List.of(), new InstalledPackage(o.packageName(),
          o.packageVersion(), versions.of(o.packageName(), o.packageVersion())));
    } catch (InterruptedIOException e) {
      throw e;
    } catch (RefusalException e) {
      finish(order.orderId(), false, e.reasons(), null);
    } catch (IOException | NoSuchAlgorithmException | RuntimeException e) {
      finish(order.orderId(), false, List.of(Reason.of(ReasonCode.IO_ERROR,
          "the order could not be carried out: " + e.getMessage())), null);
    }
  }

  /** The final status; counted whether or not the server took it. */
  private void finish(String orderId, boolean ok, List<Reason> reasons,
      InstalledPackage installed) throws InterruptedIOException {
    (ok ? stats.succeeded : stats.failed).incrementAndGet();
    feedback(new Feedback(orderId, ok ? "succeeded" : "failed", ok ? 100 : null,
        reasons.stream().map(ProblemReason::of).toList(), installed));
  }

  private void feedback(Feedback f) throws InterruptedIOException {
    try {
      link.feedback(f);
    } catch (InterruptedIOException e) {
      throw e;
    } catch (IOException | RefusalException | RuntimeException e) {
      stats.feedbackErrors.incrementAndGet();
    }
  }

  /** Counts the bundle's bytes and refuses more than the order's length (a server that lies). */
  private static final class CountingSink extends OutputStream {
    private final long limit;
    long count;

    CountingSink(long limit) {
      this.limit = limit;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      count += len;
      if (count > limit) {
        throw new IOException("the bundle is longer than the " + limit
            + " bytes the signed order names");
      }
    }
  }
}
