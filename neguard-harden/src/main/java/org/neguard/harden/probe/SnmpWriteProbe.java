package org.neguard.harden.probe;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.neguard.harden.SnmpAccess;
import org.snmp4j.CommunityTarget;
import org.snmp4j.PDU;
import org.snmp4j.Snmp;
import org.snmp4j.event.ResponseEvent;
import org.snmp4j.mp.SnmpConstants;
import org.snmp4j.smi.Integer32;
import org.snmp4j.smi.OID;
import org.neguard.harden.Transport;
import org.snmp4j.smi.Address;
import org.snmp4j.smi.OctetString;
import org.snmp4j.smi.Variable;
import org.snmp4j.smi.VariableBinding;

/**
 * The SNMP write probe (HRD-5: SNMPv1 and SNMPv2c with write permission are forbidden), with
 * SNMP4J.
 *
 * <p>For each community, SNMPv2c first: a GET of sysContact.0, sysLocation.0 and sysName.0 tells
 * whether the community can read at all (a wrong community gets no answer). On a readable
 * community each object is then SET to a value of the wrong type (an integer for a text object),
 * which no agent stores: the agent's access check comes before the type check, so the answer
 * tells the cases apart without changing anything, and without writing back a value read
 * earlier (which would undo another manager's change made in between). In v2c,
 * {@code wrongType} (or another value error) means the community passed the access check: write
 * access; {@code noAccess} means the community is read-only; {@code notWritable} means the agent
 * pins that object in its configuration (net-snmp's {@code syscontact}): the probe then tries the
 * next object, and never concludes "no write access" from a pinned one.
 *
 * <p>SNMPv1 translates {@code wrongType} to {@code badValue} (RFC 3584): write access. It answers
 * {@code noSuchName} (or {@code readOnly}) to both read-only and pinned, so such a refusal is
 * judged with what v2c learnt: on an object v2c showed writable through another community it
 * means read-only; on objects never shown writable it leaves the question open
 * ({@link SnmpAccess.Access#READ_WRITE_UNKNOWN}).
 *
 * <p>An agent that accepted the wrong type anyway has changed the object: the value read before
 * is written back at once, and a value that cannot be restored is reported in {@link #notes()}.
 *
 * <p>Over TCP (RFC 3430), the same requests over one bounded connection ({@link SnmpChannel}); a
 * connection that cannot be made probes nothing (no result, which the evaluation never takes for
 * "no write access"), and a GET left unanswered by a connection that went wrong says why.
 *
 * <p>Not thread-safe: one probe run per instance.
 */
final class SnmpWriteProbe {
  static final OID SYS_CONTACT = new OID("1.3.6.1.2.1.1.4.0");
  static final OID SYS_NAME = new OID("1.3.6.1.2.1.1.5.0");
  static final OID SYS_LOCATION = new OID("1.3.6.1.2.1.1.6.0");
  private static final List<OID> CANDIDATES = List.of(SYS_CONTACT, SYS_LOCATION, SYS_NAME);
  /** The candidates are DisplayStrings: no agent stores an integer in one. */
  private static final Variable WRONG_TYPE = new Integer32(0);
  /** v2c errors about the value itself: raised only after the access check passed. */
  private static final Set<Integer> VALUE_ERRORS = Set.of(PDU.wrongType, PDU.wrongLength,
      PDU.wrongEncoding, PDU.wrongValue, PDU.inconsistentValue, PDU.badValue);

  private final InetAddress target;
  private final int port;
  private final Duration timeout;
  private final int retries;
  private final List<String> notes = new ArrayList<>();
  /** Objects some community could write through v2c: v1 refusals on them mean read-only. */
  private final Set<OID> provenWritable = new LinkedHashSet<>();
  private final Set<OID> pinned = new LinkedHashSet<>();
  private final Transport transport;
  private final Duration connectTimeout;
  private SnmpChannel channel;

  SnmpWriteProbe(InetAddress target, int port, Duration timeout, int retries) {
    this(target, Transport.UDP, port, timeout, retries, timeout);
  }

  /** Over {@code transport} (UDP or TCP); {@code connectTimeout} bounds the TCP connection. */
  SnmpWriteProbe(InetAddress target, Transport transport, int port, Duration timeout, int retries,
      Duration connectTimeout) {
    this.target = target;
    this.port = port;
    this.timeout = timeout;
    this.retries = retries;
    this.transport = transport;
    this.connectTimeout = connectTimeout;
  }

  List<String> notes() {
    return List.copyOf(notes);
  }

  /** Probes every community, v2c for all first, then v1; one result per version and community. */
  List<SnmpAccess> probe(List<String> communities) throws IOException {
    List<SnmpAccess> out = new ArrayList<>();
    channel = SnmpChannel.open(transport, target, port, connectTimeout);
    if (channel.unreachable().isPresent()) {
      notes.add("SNMP write probe on " + transport.name().toLowerCase(java.util.Locale.ROOT) + "/"
          + port + " not run: " + channel.unreachable().get());
      return out;
    }
    Snmp snmp = new Snmp(channel.mapping());
    channel.watch(snmp.getMessageDispatcher());
    try {
      channel.mapping().listen();
      for (String c : communities) {
        out.add(probeOne(snmp, c, SnmpConstants.version2c));
      }
      for (String c : communities) {
        out.add(probeOne(snmp, c, SnmpConstants.version1));
      }
    } finally {
      snmp.close();
    }
    return out;
  }

  private SnmpAccess probeOne(Snmp snmp, String community, int version) throws IOException {
    String v = version == SnmpConstants.version1 ? "v1" : "v2c";
    CommunityTarget<Address> t = new CommunityTarget<>(channel.address(), new OctetString(community));
    t.setVersion(version);
    t.setTimeout(timeout.toMillis());
    t.setRetries(retries);
    List<VariableBinding> values = new ArrayList<>();
    for (OID oid : CANDIDATES) {
      PDU get = new PDU();
      get.setType(PDU.GET);
      get.add(new VariableBinding(oid));
      PDU r = send(snmp, get, t);
      if (r == null) {
        if (values.isEmpty()) {
          return new SnmpAccess(v, community, SnmpAccess.Access.NONE,
              channel.silence("no answer to a GET (wrong community or no " + v + ")"));
        }
        continue;
      }
      if (r.getErrorStatus() == PDU.noError && r.size() == 1 && !r.get(0).getVariable().isException()) {
        values.add(r.get(0));
      }
    }
    if (values.isEmpty()) {
      return new SnmpAccess(v, community, SnmpAccess.Access.READ, "answers, but none of sysContact, sysLocation, sysName is readable");
    }
    List<String> refusals = new ArrayList<>();
    boolean refusedOnProvenWritable = false;
    for (VariableBinding vb : values) {
      OID oid = vb.getOid();
      PDU set = new PDU();
      set.setType(PDU.SET);
      set.add(new VariableBinding(oid, WRONG_TYPE));
      PDU r = send(snmp, set, t);
      if (r == null) {
        refusals.add(name(oid) + ": no answer to SET");
        continue;
      }
      int status = r.getErrorStatus();
      String statusText = statusName(status);
      if (status == PDU.noError) {
        if (version != SnmpConstants.version1) {
          provenWritable.add(oid);
        }
        restore(snmp, t, oid, vb.getVariable());
        return new SnmpAccess(v, community, SnmpAccess.Access.WRITE,
            "SET of " + name(oid) + " accepted even with a value of the wrong type");
      }
      boolean valueRefused = version == SnmpConstants.version1
          ? status == PDU.badValue
          : VALUE_ERRORS.contains(status);
      if (valueRefused) {
        if (version != SnmpConstants.version1) {
          provenWritable.add(oid);
        }
        return new SnmpAccess(v, community, SnmpAccess.Access.WRITE,
            "SET of " + name(oid) + " with a value of the wrong type answered " + statusText
                + ": the community passed the access check (nothing was changed)");
      }
      refusals.add(name(oid) + ": " + statusText);
      if (version != SnmpConstants.version1) {
        if (status == PDU.noAccess || status == PDU.authorizationError) {
          // VACM refuses the community before looking at the object: read-only, whatever object.
          return new SnmpAccess(v, community, SnmpAccess.Access.READ,
              "SET of " + name(oid) + " refused with " + statusText + ": the community is read-only");
        }
        if (status == PDU.notWritable) {
          pinned.add(oid); // pinned in the agent's configuration: says nothing, try the next
        }
      } else if (provenWritable.contains(oid)) {
        refusedOnProvenWritable = true;
      }
    }
    if (refusedOnProvenWritable) {
      return new SnmpAccess(v, community, SnmpAccess.Access.READ,
          "SET refused (" + String.join("; ", refusals) + ") on an object that accepts SET through v2c: read-only");
    }
    return new SnmpAccess(v, community, SnmpAccess.Access.READ_WRITE_UNKNOWN,
        "readable, but no object could test writing (" + String.join("; ", refusals) + ")"
            + (version == SnmpConstants.version1 ? ": v1 answers noSuchName both for read-only and for pinned objects" : ""));
  }

  /** Puts back a value an agent should never have taken; says so when it cannot. */
  private void restore(Snmp snmp, CommunityTarget<Address> t, OID oid, Variable original)
      throws IOException {
    PDU set = new PDU();
    set.setType(PDU.SET);
    set.add(new VariableBinding(oid, original));
    PDU restored = send(snmp, set, t);
    if (restored == null || restored.getErrorStatus() != PDU.noError) {
      notes.add("SNMP: " + name(oid) + " took a value of the wrong type and could not be restored"
          + " to '" + original + "': check it on " + target.getHostAddress());
    } else {
      notes.add("SNMP: " + name(oid) + " took a value of the wrong type; restored to '" + original
          + "'");
    }
  }

  private static PDU send(Snmp snmp, PDU pdu, CommunityTarget<Address> t) throws IOException {
    ResponseEvent<Address> e = snmp.send(pdu, t);
    return e == null ? null : e.getResponse();
  }

  private static final String[] STATUS = {
    "noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr", "noAccess", "wrongType",
    "wrongLength", "wrongEncoding", "wrongValue", "noCreation", "inconsistentValue",
    "resourceUnavailable", "commitFailed", "undoFailed", "authorizationError", "notWritable",
    "inconsistentName"
  };

  /** The RFC 3416 name of an error status, as the evidence quotes it. */
  static String statusName(int status) {
    return status >= 0 && status < STATUS.length ? STATUS[status] + "(" + status + ")" : "error-status " + status;
  }

  static String name(OID oid) {
    if (oid.equals(SYS_CONTACT)) {
      return "sysContact.0";
    }
    if (oid.equals(SYS_LOCATION)) {
      return "sysLocation.0";
    }
    if (oid.equals(SYS_NAME)) {
      return "sysName.0";
    }
    return oid.toDottedString();
  }
}
