/**
 * Platform integrity validation and recovery (ATT-1 to ATT-4, OBJ-2, REC-1 to REC-4;
 * docs/ATTESTATION.md): the bodies of the validation entity's API for devices (evidence) and for
 * users (attestations, trust states, baselines, policies, recovery).
 */
package org.neguard.api.attest;
