package org.neguard.tuf;

/** What the client trusts after a refresh. */
public record TrustedMetadata(RootMetadata root, TimestampMetadata timestamp,
    SnapshotMetadata snapshot, TargetsMetadata targets) {}
