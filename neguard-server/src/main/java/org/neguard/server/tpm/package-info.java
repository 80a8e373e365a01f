/**
 * The TPM trust base on the server (docs/MEASUREMENT.md, "Binding the attestation key to the
 * TPM"): a device's attestation key is bound once, by credential activation against its
 * endorsement key, and {@link org.neguard.server.tpm.TpmBindings} gives the validation entity the
 * bound key and PCR its quotes are verified with.
 */
package org.neguard.server.tpm;
