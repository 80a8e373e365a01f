/**
 * The TUF repository of the verified packages (OBJ-1, SRC-2, INT-4; docs/REPOSITORY.md): the
 * online keys, root publication, the publisher that signs targets, snapshot and timestamp in one
 * transaction holding one lock row, its schedule, targets signed offline by their own key
 * holders, and the repository's files on both ports.
 */
package org.neguard.server.repo;
