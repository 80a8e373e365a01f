package org.neguard.tuf;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import org.neguard.verdict.RefusalException;

/** The signed envelope of a TUF metadata file. */
public record Metadata(ObjectNode signed, List<Signature> signatures) {
  public static final String SPEC_VERSION = "1.0.31";

  public static Metadata parse(byte[] bytes, long maxBytes) throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }

  public static Metadata unsigned(ObjectNode signed) {
    throw new UnsupportedOperationException("todo");
  }

  public Role role() {
    throw new UnsupportedOperationException("todo");
  }

  public int version() {
    throw new UnsupportedOperationException("todo");
  }

  public Instant expires() {
    throw new UnsupportedOperationException("todo");
  }

  public byte[] canonicalSigned() {
    throw new UnsupportedOperationException("todo");
  }

  public byte[] toBytes() {
    throw new UnsupportedOperationException("todo");
  }

  public Metadata sign(SigningKey key) {
    throw new UnsupportedOperationException("todo");
  }

  public RootMetadata root() throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }

  public TargetsMetadata targets() throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }

  public SnapshotMetadata snapshot() throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }

  public TimestampMetadata timestamp() throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }
}
