package org.neguard.tuf;

/**
 * What the client trusts: after a refresh, all four; read from a state directory without a
 * refresh, the roles it does not hold yet are null.
 */
public record TrustedMetadata(RootMetadata root, TimestampMetadata timestamp,
    SnapshotMetadata snapshot, TargetsMetadata targets) {}
