package org.neguard.server.tpm;

import java.util.Optional;
import org.neguard.attest.TpmBinding;
import org.neguard.attest.TpmPublic;
import org.neguard.verdict.RefusalException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

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
}
