package org.neguard.server;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A task run on a daemon thread of its own, again {@code delay} after each run ends, between
 * {@link #start()} and {@link #stop()}: the timer of the server's background work (last-seen
 * batches, the drift watch, the embedded database's housekeeping), which their {@code
 * SmartLifecycle} methods delegate to. Stopping waits up to 10 s for a run in progress and never
 * interrupts it: an interrupt inside H2's file I/O closes the database's file channel
 * (attest.AttestationScheduler). Thread-safe.
 */
public final class PeriodicTask {
  private static final Logger LOG = LoggerFactory.getLogger(PeriodicTask.class);
  private final String threadName;
  private final Duration initialDelay;
  private final Duration delay;
  private final Runnable task;
  private ScheduledExecutorService timer; // guarded by this

  /**
   * A task that runs {@code task} {@code initialDelay} after {@link #start()}, then {@code
   * delay} after each run's end, both in whole milliseconds. What a run throws is logged and the
   * schedule goes on; {@code task} catches what it expects, with a message of its own.
   *
   * @throws IllegalArgumentException if {@code delay} is under 1 ms or {@code initialDelay} is
   *     negative
   */
  public PeriodicTask(String threadName, Duration initialDelay, Duration delay, Runnable task) {
    if (delay.toMillis() < 1) {
      throw new IllegalArgumentException("delay < 1 ms: " + delay);
    }
    if (initialDelay.isNegative()) {
      throw new IllegalArgumentException("initialDelay < 0: " + initialDelay);
    }
    this.threadName = threadName;
    this.initialDelay = initialDelay;
    this.delay = delay;
    this.task = task;
  }

  /** Starts the schedule; does nothing if it runs. */
  public synchronized void start() {
    if (timer != null) {
      return;
    }
    timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, threadName);
      t.setDaemon(true);
      return t;
    });
    // A run that threw would end ScheduledExecutorService's schedule without a word.
    Runnable guarded = () -> {
      try {
        task.run();
      } catch (RuntimeException | Error e) {
        LOG.error("{}: a run failed; the next one is due in {}", threadName, delay, e);
      }
    };
    timer.scheduleWithFixedDelay(
        guarded, initialDelay.toMillis(), delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Stops the schedule and waits up to 10 s for a run in progress to end. */
  public void stop() {
    ScheduledExecutorService t;
    synchronized (this) {
      t = timer;
      timer = null;
    }
    if (t != null) {
      t.shutdown();
      try {
        if (!t.awaitTermination(10, TimeUnit.SECONDS)) {
          LOG.warn("{}: a run still goes on after 10 s; not waiting for it", threadName);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Whether the schedule runs. */
  public synchronized boolean isRunning() {
    return timer != null;
  }
}
