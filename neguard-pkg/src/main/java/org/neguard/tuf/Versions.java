package org.neguard.tuf;

/** The current versions of targets, snapshot and timestamp; 0 = never published. */
public record Versions(int targets, int snapshot, int timestamp) {
  public static final Versions NONE = new Versions(0, 0, 0);
}
