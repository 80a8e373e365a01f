/**
 * Alerts to the operator's webhook ({@code --alert-webhook}): port drift, failed attestations,
 * quarantines. One place, so every alert has the same shape and the same delivery rules.
 */
package org.neguard.server.alert;
