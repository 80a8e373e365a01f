package org.neguard.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.neguard.attest.EventLog;
import org.neguard.io.AtomicFiles;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The agent's append-only event log of its extends into the bound, non-resettable PCR
 * ({@link EventLog}, docs/MEASUREMENT.md "The event log"), in {@code <state.dir>/tpm/eventlog}:
 * each event appended and synced before its extend. Before each quote the log is reconciled
 * with the PCR the TPM holds ({@link #current}): the same boot and the same value, it goes on;
 * the PCR at zero (the TPM was reset: a reboot), a new log starts; anything else (the log lost
 * or the PCR extended by someone else) and the agent cannot attest until the TPM starts afresh.
 * Not thread-safe: {@link TpmQuoter} calls it one quote at a time.
 */
final class TpmEventLog {
  static final String FILE = "eventlog";
  private static final Pattern RESET = Pattern.compile("(?m)^\\s*reset_count:\\s*(\\d+)\\s*$");
  private static final Pattern RESTART =
      Pattern.compile("(?m)^\\s*restart_count:\\s*(\\d+)\\s*$");

  private final TpmTools tpm;
  private final AgentLog log;

  TpmEventLog(TpmTools tpm, AgentLog log) {
    this.tpm = tpm;
    this.log = log;
  }

  /** The TPM's clockInfo counters: which boot (reset) and restart the TPM is in. */
  record Boot(long resetCount, long restartCount) {}

  Path file() {
    return tpm.dir().resolve(FILE);
  }

  /**
   * The log that accounts for what PCR {@code pcr} holds now.
   *
   * @throws RefusalException MEASUREMENT_MISMATCH: the PCR holds a value the log does not
   *     replay to, and is not zero: the log was lost (or extended outside the agent); the agent
   *     cannot attest with this TPM until the NE is rebooted (or its TPM re-enrolled)
   */
  EventLog current(int pcr) throws IOException, RefusalException {
    byte[] value = readPcr(pcr);
    Boot boot = boot();
    Optional<EventLog> stored = stored();
    if (stored.isPresent()) {
      EventLog l = stored.get();
      if (l.pcr() == pcr && l.resetCount() == boot.resetCount()) {
        if (Arrays.equals(l.replay(), value)) {
          return l;
        }
        List<EventLog.Event> ev = l.events();
        if (!ev.isEmpty() && Arrays.equals(new EventLog(l.pcr(), l.resetCount(),
            l.restartCount(), ev.subList(0, ev.size() - 1)).replay(), value)) {
          // The agent stopped between logging an event and extending it: finish the extend.
          EventLog.Event last = ev.get(ev.size() - 1);
          tpm.run("tpm2_pcrextend", pcr + ":sha256=" + HexFormat.of().formatHex(
              last.extended()));
          event("tpm_eventlog_completed", "sequence", last.sequence());
          return l;
        }
      }
    }
    if (Arrays.equals(value, new byte[32])) {
      // A new TPM boot, or the first quote: the PCR starts from zero, and so does the log.
      EventLog fresh = EventLog.start(pcr, boot.resetCount(), boot.restartCount());
      AtomicFiles.write(file(), fresh.header());
      event("tpm_eventlog_started", "pcr", pcr, "resetCount", boot.resetCount(),
          "restartCount", boot.restartCount());
      return fresh;
    }
    throw new RefusalException(ReasonCode.MEASUREMENT_MISMATCH, "PCR " + pcr + " holds "
        + HexFormat.of().formatHex(value) + ", which the agent's event log (" + file()
        + (stored.isPresent() ? ", " + stored.get().events().size() + " events" : ": missing")
        + ") does not account for: the log was lost, or something else extended the PCR. The"
        + " PCR cannot be reset, so this NE cannot attest with its TPM until it starts afresh:"
        + " reboot the NE (the TPM's reset zeroes the PCR and the agent starts a new log), or"
        + " have an operator release its TPM binding and re-enroll the TPM");
  }

  /** Appends {@code e} to the log file and syncs it, before the extend. */
  void append(EventLog.Event e) throws IOException {
    try (FileChannel ch = FileChannel.open(file(), StandardOpenOption.WRITE,
        StandardOpenOption.APPEND)) {
      ByteBuffer b = ByteBuffer.wrap(EventLog.bytes(e));
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
  }

  private Optional<EventLog> stored() throws IOException {
    Path f = file();
    if (!Files.exists(f)) {
      return Optional.empty();
    }
    try {
      EventLog.checkLength(Files.size(f)); // before reading it
      return Optional.of(EventLog.parse(Files.readAllBytes(f)));
    } catch (RefusalException unreadable) {
      // A torn or altered file is no log: the PCR decides below whether to start afresh.
      event("tpm_eventlog_unreadable", "message", unreadable.getMessage());
      return Optional.empty();
    }
  }

  private byte[] readPcr(int pcr) throws IOException {
    Path out = tpm.dir().resolve("pcr.bin");
    Files.deleteIfExists(out);
    tpm.run("tpm2_pcrread", "sha256:" + pcr, "-o", "pcr.bin");
    byte[] value = Files.readAllBytes(out);
    Files.deleteIfExists(out);
    if (value.length != 32) {
      throw new IOException("tpm2_pcrread gave " + value.length + " bytes for PCR " + pcr
          + ", not a SHA-256 value: is the TPM's SHA-256 bank active?");
    }
    return value;
  }

  private Boot boot() throws IOException {
    String out = tpm.run("tpm2_readclock");
    Matcher reset = RESET.matcher(out);
    Matcher restart = RESTART.matcher(out);
    if (!reset.find() || !restart.find()) {
      throw new IOException("tpm2_readclock did not give reset_count and restart_count: "
          + out);
    }
    return new Boot(Long.parseLong(reset.group(1)), Long.parseLong(restart.group(1)));
  }

  private void event(String name, Object... fields) {
    if (log != null) {
      log.event(name, fields);
    }
  }
}
