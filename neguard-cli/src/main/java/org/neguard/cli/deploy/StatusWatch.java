package org.neguard.cli.deploy;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.neguard.api.deploy.Deployment;
import org.neguard.api.deploy.Wave;
import org.neguard.cli.support.Output;
import org.neguard.cli.support.TerminalProgress;
import org.neguard.verdict.RefusalException;

/**
 * {@code deploy status --watch}: asks the server again every interval until the deployment has
 * ended, and shows each answer: on a terminal a block of bars redrawn in place (standard error,
 * like every progress bar), otherwise a line on standard output for each thing that changed, so a
 * log holds the history and no repeats. In JSON mode it shows nothing; the command prints the
 * final record. An interrupt (Ctrl-C, through {@link org.neguard.cli.support.StopSignal}) ends
 * the watch: the bars are cleared and the command says how to follow again.
 */
final class StatusWatch {
  private static final char[] MARKS = {'#', '!', '>'};
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("HH:mm:ss");

  /** One look at the deployment. */
  @FunctionalInterface
  interface Source {
    Deployment get() throws IOException, RefusalException;
  }

  private final Output out;
  private final boolean bars;
  private final Map<Integer, String> printedWaves = new HashMap<>();
  private String printedState;
  private int drawnLines;
  private Deployment latest;

  StatusWatch(Output out, boolean bars) {
    this.out = out;
    this.bars = bars && !out.json();
  }

  /**
   * Shows {@code first}, then what {@code source} answers every {@code interval}, until the
   * deployment has ended.
   *
   * @param timeout how long to follow at most; null for no limit
   * @return the deployment as it ended or as it was when {@code timeout} passed, or empty when
   *     the watch was stopped (Ctrl-C) first
   */
  Optional<Deployment> follow(Source source, Deployment first, Duration interval,
      Duration timeout) throws IOException, RefusalException {
    latest = first;
    long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
    try {
      show(first);
      while (!DeploymentText.isFinal(latest) && System.nanoTime() - deadline < 0) {
        Thread.sleep(interval.toMillis());
        latest = source.get();
        show(latest);
      }
      return Optional.of(latest);
    } catch (InterruptedException | InterruptedIOException e) {
      return Optional.empty();
    } finally {
      clear();
    }
  }

  /** The last answer seen. */
  Deployment latest() {
    return latest;
  }

  /** Whether bars were drawn (the final text is then the whole status, not one line). */
  boolean drewBars() {
    return bars;
  }

  private void show(Deployment d) {
    if (out.json()) {
      return;
    }
    if (bars) {
      draw(d);
    } else {
      appendChanges(d);
    }
  }

  private void appendChanges(Deployment d) {
    String stamp = STAMP.format(LocalTime.now(ZoneOffset.UTC)) + "Z  ";
    PrintWriter w = out.out();
    String state = "deployment " + d.id() + " " + DeploymentText.stateLine(d);
    if (!state.equals(printedState)) {
      w.println(stamp + state);
      printedState = state;
    }
    for (Wave wave : DeploymentText.waves(d)) {
      String line = DeploymentText.waveLine(wave);
      if (!line.equals(printedWaves.put(wave.number(), line))) {
        w.println(stamp + line);
      }
    }
    w.flush();
  }

  private void draw(Deployment d) {
    List<String> lines = new ArrayList<>();
    lines.add("deployment " + d.id() + " " + DeploymentText.stateLine(d));
    for (Wave w : DeploymentText.waves(d)) {
      lines.add(String.format("wave %-3d %-9s %s %d/%d succeeded, %d failed, %d refused,"
          + " %d in progress", w.number(), w.state(), TerminalProgress.bar(30, w.size(), MARKS,
              w.succeeded(), w.failed() + w.refused(), w.inProgress()), w.succeeded(), w.size(),
          w.failed(), w.refused(), w.inProgress()));
    }
    StringBuilder b = new StringBuilder();
    if (drawnLines > 0) {
      b.append("\033[").append(drawnLines).append('A'); // back to the block's first line
    }
    for (String line : lines) {
      b.append("\r\033[K").append(Output.printable(line)).append('\n');
    }
    b.append("\033[J"); // a block that shrank leaves nothing below
    PrintWriter err = out.err();
    synchronized (err) {
      err.print(b);
      err.flush();
    }
    drawnLines = lines.size();
  }

  private void clear() {
    if (drawnLines > 0) {
      PrintWriter err = out.err();
      synchronized (err) {
        err.print("\033[" + drawnLines + "A\r\033[J");
        err.flush();
      }
      drawnLines = 0;
    }
  }
}
