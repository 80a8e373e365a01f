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
import org.neguard.attest.Evidence;
import org.neguard.attest.TpmPublic;
import org.neguard.attest.TpmQuote;
import org.neguard.measure.PlatformTim;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The agent's {@link Quoter} on a TPM 2.0, driven by tpm2-tools (docs/MEASUREMENT.md, "TPM
 * quotes"): resets the PCR, extends each component digest into it in chain order (so the TPM
 * itself computes the platform TIM), and quotes it over the nonce with the attestation key bound
 * at enrollment ({@link TpmEnrollment}). Before answering it verifies its own quote with the
 * bound AK's public key, as the validation entity will: a TPM that quotes with another key, or a
 * PCR someone extended in between, is found here, with a message, rather than as a failed
 * attestation.
 *
 * <p>This first version uses PCR {@value #PCR}, the debug PCR that software may reset: the chain
 * is extended from zero for each quote. On an NE in production the PCR must not be resettable
 * (docs/MEASUREMENT.md says what the agent keeps instead). Thread-safe: one quote at a time.
 */
public final class TpmQuoter implements Quoter {
  /** The SHA-256 PCR the measurements are extended into; the server binds the same. */
  public static final int PCR = 16;

  private final TpmTools tpm;
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
    List<PlatformTim.Component> sorted = PlatformTim.sorted(chain);
    tpm.run("tpm2_pcrreset", String.valueOf(PCR));
    for (PlatformTim.Component c : sorted) {
      tpm.run("tpm2_pcrextend", PCR + ":sha256=" + c.digest());
    }
    Path msg = dir.resolve("quote.msg");
    Path sig = dir.resolve("quote.sig");
    Files.deleteIfExists(msg);
    Files.deleteIfExists(sig);
    tpm.run("tpm2_quote", "-c", "ak.tr", "-l", "sha256:" + PCR, "-q",
        HexFormat.of().formatHex(nonce), "-m", "quote.msg", "-s", "quote.sig", "-f", "plain",
        "-g", "sha256");
    byte[] attest = Files.readAllBytes(msg);
    byte[] signature = Files.readAllBytes(sig);
    List<String> steps = PlatformTim.replay(sorted);
    try {
      TpmQuote.verify(attest, signature, ak.key(), nonce,
          Map.of(PCR, HexFormat.of().parseHex(steps.get(steps.size() - 1))));
    } catch (RefusalException e) {
      throw new RefusalException(e.code(), "the TPM's quote does not verify with the bound"
          + " attestation key (" + e.getMessage() + "): the key at ak.tr is not the bound one,"
          + " or PCR " + PCR + " was changed while the agent extended it");
    }
    return new Evidence.Quote(PCR, attest, signature);
  }
}
