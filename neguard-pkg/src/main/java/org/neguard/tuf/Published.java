package org.neguard.tuf;

import org.neguard.verdict.RefusalException;

/** What one publication produced: the signed targets, snapshot and timestamp. */
public record Published(Metadata targets, Metadata snapshot, Metadata timestamp) {
  public byte[] targetsBytes() {
    throw new UnsupportedOperationException("todo");
  }

  public byte[] snapshotBytes() {
    throw new UnsupportedOperationException("todo");
  }

  public byte[] timestampBytes() {
    throw new UnsupportedOperationException("todo");
  }

  public String targetsFileName() {
    throw new UnsupportedOperationException("todo");
  }

  public String snapshotFileName() {
    throw new UnsupportedOperationException("todo");
  }

  public Versions versions() {
    throw new UnsupportedOperationException("todo");
  }

  public static Published parse(byte[] targets, byte[] snapshot, byte[] timestamp)
      throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }
}
