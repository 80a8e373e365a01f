package org.neguard.tuf;

import java.util.List;

/** A role's key ids and threshold, as root lists them. */
public record RoleKeys(List<String> keyids, int threshold) {}
