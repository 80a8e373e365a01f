/**
 * The agent's TPM trust base (docs/MEASUREMENT.md, "TPM quotes" and "Binding the attestation
 * key to the TPM"): tpm2-tools run as subprocesses, never through a shell. {@link
 * org.neguard.agent.tpm.TpmEnrollment} creates the endorsement and attestation keys and proves
 * to the server, by credential activation, that the AK lives in the TPM; {@link
 * org.neguard.agent.tpm.TpmQuoter} extends the components into the bound PCR and quotes it over
 * the validation entity's nonce.
 */
package org.neguard.agent.tpm;
