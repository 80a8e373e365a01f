/**
 * The platform validation entity (PVE; issue 15, docs/ATTESTATION.md): nonces, the devices'
 * evidence judged against vendor-signed RIMs and operator-approved baselines, trust states,
 * first contact (REC-3), the failure policy per NE type (REC-1), runtime re-attestation (OBJ-2)
 * and what deployments ask of it around each update (ATT-1 to ATT-4, {@link
 * org.neguard.server.attest.PlatformValidation}). In RFC 9334's terms the NE is the Attester,
 * this package the Verifier, the OAM server the Relying Party, the vendor the Reference Value
 * Provider.
 */
package org.neguard.server.attest;
