/**
 * Deployments (SRC-1, REC-2, OBJ-1; docs/DEPLOYMENTS.md): four-eyes approval, the wave engine
 * that issues signed orders, and the deployment half of the agents' API (poll, bundle download,
 * feedback). Every state change happens in one transaction holding the deployment's row lock.
 */
package org.neguard.server.deploy;
