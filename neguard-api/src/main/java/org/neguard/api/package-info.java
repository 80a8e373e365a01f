/**
 * The wire contract of the server's REST API (docs/SERVER.md): every request and response body
 * as a record whose components are the JSON field names. The server writes these, its clients
 * bind them; a field renamed here changes the wire, so never rename one: add a field. Times are
 * ISO-8601 UTC instants as text ({@code 2026-12-04T03:31:25.123Z}), as the server has always sent
 * them, so that no client needs a date module to read them.
 */
package org.neguard.api;
