/**
 * The NE-side daemon (the agent issue): polls the OAM server, verifies orders and packages with
 * {@code org.neguard.pkg.BundleVerifier} on the NE itself (INT-3), installs into a new slot,
 * switches atomically, rolls back, measures and attests. No Spring: an H(e)NB is an embedded box.
 */
package org.neguard.agent;
