package org.neguard.cli.support;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C for a command that runs until something happens ({@code deploy status --watch},
 * {@code sim agents}): the JVM's shutdown hook interrupts the thread that opened this and waits
 * (a few seconds at most) until it has closed it, so the command ends its own way (clears its
 * bars, prints its summary) before the process exits. Open it with try-with-resources.
 */
public final class StopSignal implements AutoCloseable {
  private static final long GRACE_SECONDS = 5;

  private final CountDownLatch closed = new CountDownLatch(1);
  private final Thread hook;
  private volatile boolean signalled;

  private StopSignal(Thread owner) {
    this.hook = new Thread(() -> {
      signalled = true;
      owner.interrupt();
      try {
        closed.await(GRACE_SECONDS, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "neguard-stop");
  }

  /** Watches for Ctrl-C on behalf of the calling thread. */
  public static StopSignal install() {
    StopSignal s = new StopSignal(Thread.currentThread());
    Runtime.getRuntime().addShutdownHook(s.hook);
    return s;
  }

  /** Whether Ctrl-C (or another shutdown) was signalled. */
  public boolean signalled() {
    return signalled;
  }

  /** Lets a waiting shutdown go on, or, when there was none, removes the hook. */
  @Override
  public void close() {
    closed.countDown();
    if (!signalled) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // the JVM is shutting down already; the hook runs and finds the latch open
      }
    }
  }
}
