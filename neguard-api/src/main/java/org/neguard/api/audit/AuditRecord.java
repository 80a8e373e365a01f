package org.neguard.api.audit;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One row of the audit log (SRC-3).
 *
 * @param seq position in the chain, from 1, without gaps
 * @param occurredAt ISO-8601 UTC time, millisecond precision
 * @param actor who acted: a user name, {@code anonymous}, or {@code system}
 * @param action what was done, upper case ({@code LOGIN}, {@code PACKAGE_UPLOAD}...)
 * @param target what it was done to (a user, a package, a token, a path)
 * @param outcome {@code success}, {@code failure} (refused on its merits) or {@code denied}
 *     (not authenticated or not authorized)
 * @param detail reason codes and details
 * @param remote the client's address, or {@code -}
 * @param prevHash the previous row's hash (64 zeros for row 1)
 * @param hash SHA-256 over this row's fields, computed by the server's audit chain
 */
@JsonPropertyOrder({
  "seq", "occurredAt", "actor", "action", "target", "outcome", "detail", "remote", "prevHash",
  "hash"
})
public record AuditRecord(
    long seq,
    String occurredAt,
    String actor,
    String action,
    String target,
    String outcome,
    String detail,
    String remote,
    String prevHash,
    String hash) {}
