package org.neguard.server.tpm;

import java.util.Objects;
import java.util.Optional;
import org.neguard.attest.EventLog;
import org.neguard.attest.Evidence;
import org.neguard.attest.TpmBinding;
import org.neguard.attest.TpmPublic;
import org.neguard.attest.TpmQuote;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The validation entity's view of the TPM bindings: the attestation key and PCR a device's
 * quotes are verified with ({@link org.neguard.attest.EvidenceVerifier#verify}'s {@code tpm}).
 * A device with a binding must answer with a quote; one without has only its software key.
 * Thread-safe; reads the database each time (a binding released by an operator counts at once).
 */
@Component
public final class TpmBindings {
  private final JdbcClient jdbc;

  TpmBindings(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  /**
   * The binding of {@code deviceId}, empty when its TPM was never bound (or was released).
   *
   * @throws IllegalStateException when the stored public area no longer reads as an AK (it was
   *     checked when bound: the database was changed behind the server)
   */
  public Optional<TpmBinding> binding(String deviceId) {
    return jdbc.sql("SELECT ak_public, pcr FROM device_tpm_bindings WHERE device_id = ?")
        .param(deviceId)
        .query((rs, i) -> {
          try {
            return new TpmBinding(TpmPublic.attestationKey(rs.getBytes(1)).key(), rs.getInt(2));
          } catch (RefusalException e) {
            throw new IllegalStateException("device " + deviceId + "'s bound attestation key"
                + " does not read: " + e.getMessage(), e);
          }
        })
        .optional();
  }

  /**
   * Checks a verified TPM evidence's quote against the last one accepted from {@code deviceId}
   * and records it, in the caller's transaction, with the binding's row locked from the read to
   * the commit: the TPM's resetCount never goes back (a lower one is a TPM cleared or its state
   * rolled back: re-enroll); within one resetCount the restartCount never goes back (a lower
   * one is the TPM's saved state rolled back); within one boot (the same resetCount and
   * restartCount) the event log only grows. A higher resetCount is a TPM reset (a reboot): its
   * log started afresh, and that is accepted.
   *
   * @throws RefusalException MEASUREMENT_MISMATCH as above
   * @throws IllegalStateException when called outside a transaction (the row lock would end
   *     with the read, and two submissions could both pass on the same last values)
   */
  public void accept(String deviceId, Evidence evidence) throws RefusalException {
    if (evidence.quote().isEmpty()) {
      return;
    }
    if (!TransactionSynchronizationManager.isActualTransactionActive()) {
      throw new IllegalStateException("TpmBindings.accept for device " + deviceId + " outside"
          + " a transaction: call it in the transaction that judges the evidence");
    }
    TpmQuote q = TpmQuote.parse(evidence.quote().get().attest());
    int events = EventLog.parse(evidence.quote().get().eventLog()).events().size();
    long reset = Integer.toUnsignedLong(q.resetCount());
    long restart = Integer.toUnsignedLong(q.restartCount());
    // The row locked even before a first quote was accepted (the counters still null): a
    // concurrent submission waits here for this one's commit and compares with what it wrote.
    Optional<long[]> last = jdbc.sql("SELECT last_reset_count, last_restart_count,"
            + " last_log_events FROM device_tpm_bindings WHERE device_id = ? FOR UPDATE")
        .param(deviceId)
        .query((rs, i) -> rs.getObject(1) == null ? null
            : new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)})
        .list().stream().filter(Objects::nonNull).findFirst();
    if (last.isPresent()) {
      long[] l = last.get();
      if (reset < l[0]) {
        throw new RefusalException(ReasonCode.MEASUREMENT_MISMATCH, "the TPM's resetCount"
            + " went back from " + l[0] + " to " + reset + ": the TPM was cleared or its state"
            + " rolled back; an operator releases the TPM binding and the NE re-enrolls it");
      }
      if (reset == l[0] && restart < l[1]) {
        throw new RefusalException(ReasonCode.MEASUREMENT_MISMATCH, "the TPM's restartCount"
            + " went back from " + l[1] + " to " + restart + " within resetCount " + reset
            + ": the TPM's saved state was rolled back; an operator releases the TPM binding"
            + " and the NE re-enrolls it");
      }
      if (reset == l[0] && restart == l[1] && events < l[2]) {
        throw new RefusalException(ReasonCode.MEASUREMENT_MISMATCH, "the event log has "
            + events + " events, " + l[2] + " were accepted before in the same TPM boot:"
            + " entries were dropped");
      }
    }
    jdbc.sql("UPDATE device_tpm_bindings SET last_reset_count = ?, last_restart_count = ?,"
            + " last_log_events = ? WHERE device_id = ?")
        .params(reset, restart, events, deviceId).update();
  }

  /** How the bound EK was trusted: CERTIFIED or UNVERIFIED; empty without a binding. */
  public Optional<String> ekTrust(String deviceId) {
    return jdbc.sql("SELECT ek_trust FROM device_tpm_bindings WHERE device_id = ?")
        .param(deviceId).query(String.class).optional();
  }
}
