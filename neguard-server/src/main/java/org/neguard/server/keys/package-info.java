/**
 * The server's own keys, kept in the database so that every replica uses the same ones: the
 * device CA (device certificates, the agents' port TLS certificate) and the order-signing keys.
 */
package org.neguard.server.keys;
