package org.neguard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PeriodicTaskTest {
  @Test
  void start_runsAgainAfterEachDelay_untilStopped() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    CountDownLatch three = new CountDownLatch(3);
    PeriodicTask task = new PeriodicTask("test-periodic", Duration.ZERO, Duration.ofMillis(10),
        () -> {
          runs.incrementAndGet();
          three.countDown();
        });
    task.start();
    assertThat(task.isRunning()).isTrue();
    assertThat(three.await(10, TimeUnit.SECONDS)).isTrue();
    task.stop();
    assertThat(task.isRunning()).isFalse();
    int after = runs.get();
    Thread.sleep(100);
    assertThat(runs.get()).isEqualTo(after);
  }

  /** An interrupt inside H2's file I/O closes the database's file: a run is let finish. */
  @Test
  void stop_duringARun_waitsForItWithoutInterrupting() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    AtomicBoolean interrupted = new AtomicBoolean();
    AtomicBoolean finished = new AtomicBoolean();
    PeriodicTask task = new PeriodicTask("test-periodic", Duration.ZERO, Duration.ofHours(1),
        () -> {
          started.countDown();
          long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
          while (System.nanoTime() < end) {
            if (Thread.currentThread().isInterrupted()) {
              interrupted.set(true);
            }
          }
          finished.set(true);
        });
    task.start();
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    task.stop();
    assertThat(finished).isTrue();
    assertThat(interrupted).isFalse();
  }

  @Test
  void start_aRunThrows_theScheduleGoesOn() throws Exception {
    CountDownLatch three = new CountDownLatch(3);
    PeriodicTask task = new PeriodicTask("test-periodic", Duration.ZERO, Duration.ofMillis(10),
        () -> {
          three.countDown();
          throw new IllegalStateException("a run that fails");
        });
    task.start();
    try {
      assertThat(three.await(10, TimeUnit.SECONDS)).isTrue();
    } finally {
      task.stop();
    }
  }

  @Test
  void new_nonPositiveDelay_refusedNamingIt() {
    assertThatThrownBy(() -> new PeriodicTask("t", Duration.ZERO, Duration.ZERO, () -> { }))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("delay < 1 ms: PT0S");
    assertThatThrownBy(
        () -> new PeriodicTask("t", Duration.ofMillis(-1), Duration.ofSeconds(1), () -> { }))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("initialDelay < 0: PT-0.001S");
    // Scheduled in whole milliseconds: half of one would be 0 at start().
    assertThatThrownBy(() -> new PeriodicTask("t", Duration.ZERO, Duration.ofNanos(500_000),
        () -> { })).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("delay < 1 ms");
  }
}
