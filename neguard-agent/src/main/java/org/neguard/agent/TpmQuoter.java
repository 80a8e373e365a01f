package org.neguard.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.agent.client.DeviceClient;
import org.neguard.api.attest.TpmBound;
import org.neguard.attest.EventLog;
import org.neguard.attest.Evidence;
import org.neguard.attest.TpmPublic;
import org.neguard.attest.TpmQuote;
import org.neguard.measure.PlatformTim;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The agent's {@link Quoter} on a TPM 2.0, driven by tpm2-tools (docs/MEASUREMENT.md, "TPM
 * quotes" and "The event log"): extends each component whose digest changed since its last
 * extend into the PCR the server bound (never reset: a non-resettable PCR, 14 by default),
 * logging each extend first in its append-only event log ({@link TpmEventLog}), and quotes the
 * PCR over the nonce with the attestation key bound at enrollment ({@link TpmEnrollment}); the
 * log travels with the quote. Before answering it verifies its own quote with the bound AK's
 * public key and its log's replay, as the validation entity will: a TPM that quotes with
 * another key, or a PCR someone extended in between, is found here, with a message, rather than
 * as a failed attestation. Thread-safe: one quote at a time.
 */
public final class TpmQuoter implements Quoter {
  private final TpmTools tpm;
  private final TpmEventLog events;
  /** Binds the AK when it is not bound yet; null: quote only (the test's, or bound already). */
  private final DeviceClient client;
  private final AgentLog log;

  TpmQuoter(TpmTools tpm) {
    this(tpm, null, null);
  }

  private TpmQuoter(TpmTools tpm, DeviceClient client, AgentLog log) {
    this.tpm = tpm;
    this.client = client;
    this.log = log;
    this.events = new TpmEventLog(tpm, log);
  }

  /**
   * The agent's quoter: empty without {@code tpm.tcti}; else the TPM's AK is bound now when it
   * is not yet ({@link TpmEnrollment#bind}, logged {@code tpm_bound}), and when that fails
   * (the server unreachable: logged {@code tpm_bind_failed}) again before the first quote, so
   * that no evidence leaves before the server knows the device's AK: evidence from a device
   * without a binding rests on its software key alone.
   */
  public static Optional<Quoter> fromConfig(AgentConfig config, Path stateDir,
      DeviceClient client, AgentLog log) throws IOException {
    if (config.tpmTcti() == null) {
      return Optional.empty();
    }
    TpmQuoter q = of(config.tpmTcti(), stateDir, client, log);
    try {
      q.bindIfNeeded();
    } catch (IOException | RefusalException e) {
      log.event("tpm_bind_failed", "message", e.getMessage());
    }
    return Optional.of(q);
  }

  /** A quoter that binds the AK through {@code client} first when it is not bound. */
  public static TpmQuoter of(String tcti, Path stateDir, DeviceClient client, AgentLog log)
      throws IOException {
    return new TpmQuoter(new TpmTools(tcti, TpmEnrollment.dir(stateDir)),
        java.util.Objects.requireNonNull(client, "client"),
        java.util.Objects.requireNonNull(log, "log"));
  }

  private void bindIfNeeded() throws IOException, RefusalException {
    if (client == null || Files.exists(tpm.dir().resolve(TpmEnrollment.BOUND))) {
      return;
    }
    try {
      TpmBound b = new TpmEnrollment(tpm).bind(client);
      log.event("tpm_bound", "pcr", b.pcr(), "akName", b.akName(), "ekPublicSha256",
          b.ekPublicSha256());
    } catch (DeviceApiException e) {
      throw new IOException("the server refused to bind the TPM attestation key (" + e.status()
          + " " + e.code() + ": " + e.getMessage() + ")" + (e.status() == 409
          ? "; if the device's TPM state was lost or the TPM replaced, an operator releases"
          + " the old binding (DELETE /api/devices/{id}/tpm-binding)" : ""), e);
    }
  }

  /**
   * The quoter of the TPM the configuration names ({@code tpm.tcti}), its keys in {@code
   * stateDir}; empty when the agent has no TPM. It quotes only once the AK is bound ({@link
   * TpmEnrollment#bindIfConfigured}); before, {@link #quote} fails with an IOException that says
   * so.
   */
  public static Optional<Quoter> fromConfig(AgentConfig config, Path stateDir)
      throws IOException {
    if (config.tpmTcti() == null) {
      return Optional.empty();
    }
    return Optional.of(new TpmQuoter(new TpmTools(config.tpmTcti(), TpmEnrollment.dir(stateDir))));
  }

  /** The quoter of the TPM behind {@code tcti}, its keys under {@code stateDir}. */
  public static TpmQuoter of(String tcti, Path stateDir) throws IOException {
    return new TpmQuoter(new TpmTools(tcti, TpmEnrollment.dir(stateDir)));
  }

  @Override
  public synchronized Evidence.Quote quote(byte[] nonce, List<PlatformTim.Component> chain)
      throws IOException, RefusalException {
    if (nonce.length < 16 || nonce.length > 64) {
      throw new IllegalArgumentException("a nonce of " + nonce.length + " bytes: 16 to 64");
    }
    bindIfNeeded();
    Path dir = tpm.dir();
    if (!Files.exists(dir.resolve(TpmEnrollment.BOUND)) || !Files.exists(dir.resolve("ak.tr"))) {
      throw new IOException("the TPM attestation key is not bound to the server yet ("
          + dir.resolve(TpmEnrollment.BOUND) + " missing): the agent binds it after enrollment;"
          + " see its tpm_bind events");
    }
    TpmPublic ak = TpmPublic.attestationKey(Files.readAllBytes(dir.resolve("ak.pub")));
    int pcr = new TpmEnrollment(tpm).bound().orElseThrow().pcr();
    EventLog log = events.current(pcr);
    List<EventLog.Event> changes = log.changesTo(chain);
    // Checked before anything is logged or extended: an extend the log cannot record leaves
    // the non-resettable PCR at a value no log the server reads replays to, until a reboot.
    if (log.events().size() + changes.size() > EventLog.MAX_EVENTS) {
      throw new RefusalException(ReasonCode.SIZE_LIMIT, "the agent's event log ("
          + events.file() + ") holds " + log.events().size() + " events and this quote would"
          + " add " + changes.size() + ": at most " + EventLog.MAX_EVENTS + " in one TPM boot."
          + " Nothing was logged or extended; the NE attests its platform as last extended"
          + " but cannot attest a change until its TPM starts afresh: reboot the NE (the"
          + " TPM's reset zeroes PCR " + pcr + " and the agent starts a new log)");
    }
    // Logged (and synced) before extended: a crash in between leaves an event the next
    // quote finds unextended and completes (TpmEventLog.current).
    for (EventLog.Event e : changes) {
      events.append(e);
      tpm.run("tpm2_pcrextend", pcr + ":sha256=" + HexFormat.of().formatHex(e.extended()));
      log = log.append(e);
    }
    Path msg = dir.resolve("quote.msg");
    Path sig = dir.resolve("quote.sig");
    Files.deleteIfExists(msg);
    Files.deleteIfExists(sig);
    tpm.run("tpm2_quote", "-c", "ak.tr", "-l", "sha256:" + pcr, "-q",
        HexFormat.of().formatHex(nonce), "-m", "quote.msg", "-s", "quote.sig", "-f", "plain",
        "-g", "sha256");
    byte[] attest = Files.readAllBytes(msg);
    byte[] signature = Files.readAllBytes(sig);
    try {
      TpmQuote.verify(attest, signature, ak.key(), nonce, Map.of(pcr, log.replay()));
    } catch (RefusalException e) {
      throw new RefusalException(e.code(), "the TPM's quote does not verify with the bound"
          + " attestation key and the agent's event log (" + e.getMessage() + "): the key at"
          + " ak.tr is not the bound one, or PCR " + pcr + " was extended by someone else"
          + " while the agent extended it");
    }
    return new Evidence.Quote(pcr, attest, signature, log.bytes());
  }
}
