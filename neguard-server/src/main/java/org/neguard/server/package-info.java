/**
 * The operator's OAM server and platform validation entity (issue 4 onwards): accounts and roles,
 * verified package ingest, audit log, deployments, attestation. Packages by feature.
 */
package org.neguard.server;
