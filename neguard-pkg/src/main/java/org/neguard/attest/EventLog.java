package org.neguard.attest;

import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.Sha256;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The agent's append-only log of what it extended into a non-resettable PCR since the TPM's
 * reset (docs/MEASUREMENT.md, "The event log", {@value #FORMAT}). The PCR accumulates every
 * extend since the TPM started, so a verifier replays the whole log from 32 zero bytes to the
 * quoted value; the platform is then the latest event of each component.
 *
 * <p>Bytes, big-endian, the same on disk and on the wire (one parser, {@link #parse}, for both):
 * <pre>
 * header  "NGEL" | u8 version=1 | u8 pcr | u16 0 | u32 resetCount | u32 restartCount
 * event   u32 sequence | u8 kind | u8 nameLength (1..128) | name (UTF-8) | digest (32 bytes)
 * </pre>
 * An event's extended value is SHA-256 over its bytes after the sequence (kind, length, name,
 * digest): the PCR binds the component's name and reference kind, not only its digest, so a
 * log whose names were swapped does not replay.
 *
 * @param pcr the SHA-256 PCR the events were extended into
 * @param resetCount the TPM's resetCount (clockInfo) when the log started: the boot it is of
 * @param restartCount the TPM's restartCount when the log started
 * @param events the events, sequence 0, 1, 2, ...
 */
public record EventLog(int pcr, long resetCount, long restartCount, List<Event> events) {
  public static final String FORMAT = "neguard-eventlog-v1";
  /** Events per log: the agent extends a component only when its digest changed. */
  public static final int MAX_EVENTS = 4096;
  static final int HEADER_BYTES = 16;
  static final int MAX_NAME_BYTES = 128;
  /** The largest log's bytes: a declared length above this is refused before it is read. */
  public static final int MAX_BYTES = HEADER_BYTES + MAX_EVENTS * (4 + 1 + 1 + MAX_NAME_BYTES
      + 32);
  private static final byte[] MAGIC = "NGEL".getBytes(StandardCharsets.US_ASCII);

  /** What an event says of its component. */
  public enum Kind {
    /** Measured; its reference is a vendor-signed RIM. */
    VENDOR_SIGNED(1),
    /** Measured; its reference is an operator-approved baseline. */
    OPERATOR_BASELINE(2),
    /** No longer on the NE (a package removed, a path no longer measured): digest all zero. */
    REMOVED(3);

    final int code;

    Kind(int code) {
      this.code = code;
    }

    static Kind of(PlatformTim.Reference r) {
      return r == PlatformTim.Reference.VENDOR_SIGNED ? VENDOR_SIGNED : OPERATOR_BASELINE;
    }
  }

  /**
   * One extend.
   *
   * @param sequence its place in the log, from 0
   * @param kind measured (and on which kind of reference) or removed
   * @param name the component's name ({@link PlatformTim.Component})
   * @param digest the component's tree digest, 64 lower-case hex digits (zeros when removed)
   */
  public record Event(long sequence, Kind kind, String name, String digest) {
    public Event {
      Objects.requireNonNull(kind, "kind");
      if (sequence < 0 || sequence > 0xffffffffL) {
        throw new IllegalArgumentException("sequence not a u32: " + sequence);
      }
      // The component rules for name and digest.
      new PlatformTim.Component(name, digest, PlatformTim.Reference.VENDOR_SIGNED);
      if (kind == Kind.REMOVED && !digest.equals("0".repeat(64))) {
        throw new IllegalArgumentException("a REMOVED event's digest is all zero: " + digest);
      }
    }

    /** The event for a measured component. */
    public static Event of(long sequence, PlatformTim.Component c) {
      return new Event(sequence, Kind.of(c.reference()), c.name(), c.digest());
    }

    /** The event saying {@code name} is no longer measured. */
    public static Event removed(long sequence, String name) {
      return new Event(sequence, Kind.REMOVED, name, "0".repeat(64));
    }

    /** The value extended into the PCR for this event. */
    public byte[] extended() {
      return Sha256.newDigest().digest(body());
    }

    private byte[] body() {
      byte[] n = name.getBytes(StandardCharsets.UTF_8);
      ByteBuffer b = ByteBuffer.allocate(2 + n.length + 32);
      b.put((byte) kind.code).put((byte) n.length).put(n).put(HexFormat.of().parseHex(digest));
      return b.array();
    }

    byte[] bytes() {
      byte[] body = body();
      return ByteBuffer.allocate(4 + body.length).putInt((int) sequence).put(body).array();
    }
  }

  public EventLog {
    if (pcr < 0 || pcr > 23) {
      throw new IllegalArgumentException("pcr not in 0..23: " + pcr);
    }
    if (resetCount < 0 || resetCount > 0xffffffffL || restartCount < 0
        || restartCount > 0xffffffffL) {
      throw new IllegalArgumentException("resetCount and restartCount are u32");
    }
    events = List.copyOf(events);
    if (events.size() > MAX_EVENTS) {
      throw new IllegalArgumentException(events.size() + " events: at most " + MAX_EVENTS);
    }
  }

  /** An empty log for the TPM boot {@code resetCount}/{@code restartCount}. */
  public static EventLog start(int pcr, long resetCount, long restartCount) {
    return new EventLog(pcr, resetCount, restartCount, List.of());
  }

  /** This log with {@code event} appended (its sequence must be the next). */
  public EventLog append(Event event) {
    if (event.sequence() != events.size()) {
      throw new IllegalArgumentException("event " + event.sequence() + " appended as number "
          + events.size());
    }
    List<Event> more = new ArrayList<>(events);
    more.add(event);
    return new EventLog(pcr, resetCount, restartCount, more);
  }

  /** The header's bytes (what a new log file starts with). */
  public byte[] header() {
    return ByteBuffer.allocate(HEADER_BYTES).put(MAGIC).put((byte) 1).put((byte) pcr)
        .putShort((short) 0).putInt((int) resetCount).putInt((int) restartCount).array();
  }

  /** The log's bytes: the header, then every event. */
  public byte[] bytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(header());
    for (Event e : events) {
      out.writeBytes(e.bytes());
    }
    return out.toByteArray();
  }

  /** One event's bytes, as appended to a log file. */
  public static byte[] bytes(Event e) {
    return e.bytes();
  }

  /**
   * Reads a log strictly: the header, then events numbered 0, 1, 2, ... with nothing left over.
   *
   * @throws RefusalException SIZE_LIMIT (more than {@link #MAX_BYTES} bytes or
   *     {@link #MAX_EVENTS} events), MALFORMED (not a log, a name or kind not allowed, a byte
   *     left over), MEASUREMENT_MISMATCH (a sequence number out of place: entries dropped or
   *     reordered)
   */
  public static EventLog parse(byte[] bytes) throws RefusalException {
    checkLength(bytes.length);
    ByteBuffer b = ByteBuffer.wrap(bytes);
    try {
      byte[] magic = new byte[4];
      b.get(magic);
      if (!MessageDigest.isEqual(magic, MAGIC)) {
        throw malformed("it does not start with NGEL");
      }
      int version = Byte.toUnsignedInt(b.get());
      if (version != 1) {
        throw new RefusalException(ReasonCode.FORMAT_VERSION, "event log version " + version
            + ", this verifier reads " + FORMAT);
      }
      int pcr = Byte.toUnsignedInt(b.get());
      if (pcr > 23 || b.getShort() != 0) {
        throw malformed("PCR " + pcr + " or a reserved field not zero");
      }
      long reset = Integer.toUnsignedLong(b.getInt());
      long restart = Integer.toUnsignedLong(b.getInt());
      List<Event> events = new ArrayList<>();
      while (b.hasRemaining()) {
        if (events.size() == MAX_EVENTS) {
          throw new RefusalException(ReasonCode.SIZE_LIMIT, "the event log has more than "
              + MAX_EVENTS + " events");
        }
        long seq = Integer.toUnsignedLong(b.getInt());
        if (seq != events.size()) {
          throw new RefusalException(ReasonCode.MEASUREMENT_MISMATCH, "the event log's entry"
              + " number " + events.size() + " carries sequence " + seq + ": entries were"
              + " dropped or reordered");
        }
        int kindCode = Byte.toUnsignedInt(b.get());
        Kind kind = null;
        for (Kind k : Kind.values()) {
          kind = k.code == kindCode ? k : kind;
        }
        if (kind == null) {
          throw malformed("event " + seq + " is of kind " + kindCode);
        }
        int len = Byte.toUnsignedInt(b.get());
        if (len < 1 || len > MAX_NAME_BYTES) {
          throw malformed("event " + seq + " has a name of " + len + " bytes");
        }
        byte[] name = new byte[len];
        b.get(name);
        byte[] digest = new byte[32];
        b.get(digest);
        try {
          events.add(new Event(seq, kind, new String(name, StandardCharsets.US_ASCII),
              HexFormat.of().formatHex(digest)));
        } catch (IllegalArgumentException e) {
          throw malformed("event " + seq + ": " + e.getMessage());
        }
      }
      return new EventLog(pcr, reset, restart, events);
    } catch (BufferUnderflowException e) {
      throw malformed("it ends inside a header or an event (" + bytes.length + " bytes)");
    }
  }

  /**
   * Refuses a declared length above {@link #MAX_BYTES}, before anything of that size is
   * allocated or read.
   */
  public static void checkLength(long declared) throws RefusalException {
    if (declared > MAX_BYTES) {
      throw new RefusalException(ReasonCode.SIZE_LIMIT, "an event log of " + declared
          + " bytes: at most " + MAX_BYTES + " (" + MAX_EVENTS + " events)");
    }
  }

  /** The PCR value after every event, extended from 32 zero bytes. */
  public byte[] replay() {
    byte[] pcrValue = new byte[32];
    for (Event e : events) {
      pcrValue = PlatformTim.extend(pcrValue, e.extended());
    }
    return pcrValue;
  }

  /** The latest event of each component still measured, in chain order. */
  public List<PlatformTim.Component> latest() {
    Map<String, Event> last = new LinkedHashMap<>();
    for (Event e : events) {
      last.put(e.name(), e);
    }
    List<PlatformTim.Component> out = new ArrayList<>();
    for (Event e : last.values()) {
      if (e.kind() != Kind.REMOVED) {
        out.add(new PlatformTim.Component(e.name(), e.digest(), e.kind() == Kind.VENDOR_SIGNED
            ? PlatformTim.Reference.VENDOR_SIGNED : PlatformTim.Reference.OPERATOR_BASELINE));
      }
    }
    return PlatformTim.sorted(out);
  }

  /**
   * The events that bring this log's latest components to {@code chain}: one per component
   * whose digest or reference changed or that is new, one {@link Kind#REMOVED} per component no
   * longer in it, numbered after this log's last.
   */
  public List<Event> changesTo(List<PlatformTim.Component> chain) {
    Map<String, PlatformTim.Component> now = new LinkedHashMap<>();
    for (PlatformTim.Component c : PlatformTim.sorted(chain)) {
      now.put(c.name(), c);
    }
    List<Event> out = new ArrayList<>();
    long seq = events.size();
    for (PlatformTim.Component had : latest()) {
      if (!now.containsKey(had.name())) {
        out.add(Event.removed(seq++, had.name()));
      }
    }
    List<PlatformTim.Component> before = latest();
    for (PlatformTim.Component c : now.values()) {
      if (!before.contains(c)) {
        out.add(Event.of(seq++, c));
      }
    }
    return out;
  }

  private static RefusalException malformed(String message) {
    return new RefusalException(ReasonCode.MALFORMED, "not a " + FORMAT + " event log: "
        + message);
  }
}
