package org.neguard.server.repo;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.neguard.server.ServerConfig;
import org.neguard.server.access.CurrentUser;
import org.neguard.server.pkg.PackageStored;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * When the repository is published: at once after a package upload commits (in the upload's
 * thread, so that its answer comes after its target is signed), and every {@code
 * repo.renewInterval} on every replica, which publishes whatever is due (a package the upload's
 * publication missed, a role in the second half of its lifetime). A round finding another
 * replica publishing skips: that replica does the work. Thread-safe.
 */
@Component
final class RepoSchedule implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RepoSchedule.class);
  /** The actor of scheduled publications in the audit log. */
  static final String SYSTEM = "system";

  private final Publisher publisher;
  private final Duration interval;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
      r -> {
        Thread t = new Thread(r, "neguard-repo-publisher");
        t.setDaemon(true);
        return t;
      });

  RepoSchedule(Publisher publisher, ServerConfig config) {
    this.publisher = publisher;
    this.interval = config.repo().renewInterval();
  }

  /** Starts the timer once the server serves (the schema is migrated by then). */
  @EventListener(ApplicationReadyEvent.class)
  void start() {
    long ms = interval.toMillis();
    timer.scheduleWithFixedDelay(this::tick, 0, ms, TimeUnit.MILLISECONDS);
  }

  /** A package was stored: publish it now, as its uploader (the audit row names them). */
  @EventListener
  void stored(PackageStored p) {
    try {
      publisher.publish(CurrentUser.current() == null ? SYSTEM : CurrentUser.actorName());
    } catch (RuntimeException e) {
      // The package is stored; the next round publishes it.
      LOG.error("package {} {} is stored but not yet in the repository ({}); the next round"
          + " retries", p.name(), p.version(), e.toString(), e);
    }
  }

  private void tick() {
    try {
      publisher.publishIfFree(SYSTEM);
    } catch (RuntimeException e) {
      // The next round tries again; one failed round must not stop the schedule.
      LOG.error("repository publication round failed: {}", e.toString(), e);
    }
  }

  /**
   * Stops the rounds and waits for one in progress: it must not outlive the database, which
   * Spring closes after this. No interrupt: inside H2's file I/O it closes the file channel.
   */
  @Override
  public void close() throws InterruptedException {
    timer.shutdown();
    timer.awaitTermination(30, TimeUnit.SECONDS);
  }
}
