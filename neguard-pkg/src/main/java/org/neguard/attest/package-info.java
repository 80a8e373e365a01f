/**
 * Attestation evidence the platform validation entity checks (ATT-1, ATT-4, OBJ-2): TPM 2.0
 * quotes over the PCR that carries the platform TIM. Parsed and verified here in Java, strictly:
 * the TPM's own tools only produce the evidence, on the NE.
 */
package org.neguard.attest;
