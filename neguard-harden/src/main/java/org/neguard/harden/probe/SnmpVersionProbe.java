package org.neguard.harden.probe;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.neguard.harden.ProtocolProbe;
import org.neguard.harden.ProtocolProbe.Result;
import org.neguard.harden.SnmpAccess;
import org.neguard.harden.Transport;
import org.snmp4j.CommunityTarget;
import org.snmp4j.MessageDispatcherImpl;
import org.snmp4j.PDU;
import org.snmp4j.Snmp;
import org.snmp4j.event.ResponseEvent;
import org.snmp4j.event.ResponseListener;
import org.snmp4j.mp.MPv1;
import org.snmp4j.mp.MPv2c;
import org.snmp4j.mp.MPv3;
import org.snmp4j.mp.SnmpConstants;
import org.snmp4j.security.SecurityProtocols;
import org.snmp4j.security.USM;
import org.snmp4j.smi.Integer32;
import org.snmp4j.smi.OID;
import org.snmp4j.smi.Address;
import org.snmp4j.smi.OctetString;
import org.snmp4j.smi.VariableBinding;

/**
 * Which SNMP versions an agent answers (a policy's {@code snmp} with {@code versions: [v3]}),
 * with SNMP4J.
 *
 * <p>SNMPv1 and SNMPv2c: for each community (always {@code public} and {@code private}, then the
 * scan's), a GET of sysDescr.0; when it gets no answer, a SET of sysContact.0 to a value of the
 * wrong type (an integer for a text object), which no agent stores, so that a community that may
 * only write is found too. Any answer at all, even an error, proves the version is served. An
 * agent drops a message with a community it does not know in silence, so silence is only worth
 * something next to a version that answers: that judgement is the evaluation's.
 *
 * <p>SNMPv3: an engine-ID discovery (RFC 3414 section 4: a request with no user and no engine
 * ID), which an SNMPv3 agent answers with a REPORT carrying usmStatsUnknownEngineIDs and its
 * engine ID, without any credentials: proof that v3 is served.
 *
 * <p>Requests go out together (one datagram each, answered or timed out in parallel), so the probe
 * takes about {@code timeout × (retries + 1)} whatever the number of communities.
 *
 * <p>Over TCP (RFC 3430) the same requests go over one connection ({@link SnmpChannel}: connect
 * timeout, capped message size); a request left unanswered on a connection where something went
 * wrong (refused, closed mid-message, an oversize or undecodable message) is {@code UNDECIDED}
 * with that reason, never {@code SILENT}: only a peer that says nothing is silent.
 */
final class SnmpVersionProbe {
  static final OID SYS_DESCR = new OID("1.3.6.1.2.1.1.1.0");
  /** The communities every SNMP tool tries first; always probed, whatever the scan's list. */
  static final List<String> DEFAULTS = List.of("public", "private");

  private final InetAddress target;
  private final int port;
  private final Duration timeout;
  private final int retries;
  private final Transport transport;
  private final Duration connectTimeout;

  SnmpVersionProbe(InetAddress target, int port, Duration timeout, int retries) {
    this(target, Transport.UDP, port, timeout, retries, timeout);
  }

  /** Over {@code transport} (UDP or TCP); {@code connectTimeout} bounds the TCP connection. */
  SnmpVersionProbe(InetAddress target, Transport transport, int port, Duration timeout,
      int retries, Duration connectTimeout) {
    this.target = target;
    this.port = port;
    this.timeout = timeout;
    this.retries = retries;
    this.transport = transport;
    this.connectTimeout = connectTimeout;
  }

  /** Probes v1 and v2c with {@link #DEFAULTS} and {@code communities}, then v3. */
  List<ProtocolProbe> probe(List<String> communities) throws IOException {
    Set<String> all = new LinkedHashSet<>(DEFAULTS);
    all.addAll(communities);
    SnmpChannel channel = SnmpChannel.open(transport, target, port, connectTimeout);
    if (channel.unreachable().isPresent()) {
      // Nothing can be asked: every version undecided, with why (never silent, never a pass).
      List<ProtocolProbe> out = new ArrayList<>();
      for (String v : List.of("v1", "v2c")) {
        for (String c : all) {
          out.add(new ProtocolProbe("snmp", transport, port, v, "GET sysDescr.0 with "
              + SnmpAccess.shown(c), Result.UNDECIDED, channel.unreachable().get()));
        }
      }
      out.add(new ProtocolProbe("snmp", transport, port, "v3", DISCOVERY, Result.UNDECIDED,
          channel.unreachable().get()));
      return out;
    }
    MessageDispatcherImpl dispatcher = new MessageDispatcherImpl();
    dispatcher.addMessageProcessingModel(new MPv1());
    dispatcher.addMessageProcessingModel(new MPv2c());
    // A USM of our own (no users): discovery needs none, and the global one stays untouched.
    USM usm = new USM(SecurityProtocols.getInstance(), new OctetString(MPv3.createLocalEngineID()), 0);
    dispatcher.addMessageProcessingModel(new MPv3(usm));
    channel.watch(dispatcher);
    Snmp snmp = new Snmp(dispatcher, channel.mapping());
    try {
      channel.mapping().listen();
      List<Pending> pending = new ArrayList<>();
      for (int version : List.of(SnmpConstants.version1, SnmpConstants.version2c)) {
        for (String c : all) {
          pending.add(send(snmp, channel, version, c, get()));
        }
      }
      CompletableFuture<byte[]> engine = CompletableFuture.supplyAsync(() ->
          snmp.discoverAuthoritativeEngineID(channel.address(),
              timeout.toMillis() * (retries + 1)));
      List<ProtocolProbe> out = new ArrayList<>();
      List<Pending> sets = new ArrayList<>();
      for (Pending p : pending) {
        ProtocolProbe r = p.result(channel);
        out.add(r);
        if (r.result() == Result.SILENT) {
          // A community may be write-only (a VACM view for SET alone): try writing, harmlessly.
          sets.add(send(snmp, channel, p.version(), p.community(), wrongTypeSet()));
        }
      }
      for (Pending p : sets) {
        out.add(p.result(channel));
      }
      out.add(v3(engine, channel));
      return out;
    } finally {
      snmp.close();
    }
  }

  private static final String DISCOVERY = "engine-ID discovery (RFC 3414 4): no user, no engine ID";

  private ProtocolProbe v3(CompletableFuture<byte[]> engine, SnmpChannel channel) {
    String request = DISCOVERY;
    byte[] id;
    try {
      id = engine.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new ProtocolProbe("snmp", transport, port, "v3", request, Result.UNDECIDED,
          "interrupted");
    } catch (ExecutionException e) {
      return new ProtocolProbe("snmp", transport, port, "v3", request, Result.UNDECIDED,
          "the discovery failed: " + e.getCause());
    }
    if (id == null || id.length == 0) {
      Optional<String> trouble = channel.trouble();
      return new ProtocolProbe("snmp", transport, port, "v3", request,
          trouble.isPresent() ? Result.UNDECIDED : Result.SILENT,
          channel.silence("no REPORT to " + (retries + 1) + " request(s)"));
    }
    return new ProtocolProbe("snmp", transport, port, "v3", request, Result.SERVED,
        "REPORT (usmStatsUnknownEngineIDs) with engine ID " + HexFormat.of().formatHex(id)
            + ": SNMPv3 is served");
  }

  private static PDU get() {
    PDU pdu = new PDU();
    pdu.setType(PDU.GET);
    pdu.add(new VariableBinding(SYS_DESCR));
    return pdu;
  }

  private static PDU wrongTypeSet() {
    PDU pdu = new PDU();
    pdu.setType(PDU.SET);
    // sysContact is a DisplayString: an integer is refused after the access check, never stored.
    pdu.add(new VariableBinding(SnmpWriteProbe.SYS_CONTACT, new Integer32(0)));
    return pdu;
  }

  /** One request in flight. */
  private record Pending(int version, String community, String request,
      CompletableFuture<PDU> answer, Transport transport, int port) {
    ProtocolProbe result(SnmpChannel channel) {
      String v = version == SnmpConstants.version1 ? "v1" : "v2c";
      PDU r;
      try {
        r = answer.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new ProtocolProbe("snmp", transport, port, v, request, Result.UNDECIDED,
            "interrupted");
      } catch (ExecutionException e) {
        return new ProtocolProbe("snmp", transport, port, v, request, Result.UNDECIDED,
            "not sent: " + e.getCause().getMessage());
      }
      if (r == null) {
        return new ProtocolProbe("snmp", transport, port, v, request,
            channel.trouble().isPresent() ? Result.UNDECIDED : Result.SILENT,
            channel.silence("no answer"));
      }
      return new ProtocolProbe("snmp", transport, port, v, request, Result.SERVED,
          "answered " + SnmpWriteProbe.statusName(r.getErrorStatus()) + ": SNMP" + v
              + " is served");
    }
  }

  private Pending send(Snmp snmp, SnmpChannel channel, int version, String community, PDU pdu) {
    String v = version == SnmpConstants.version1 ? "v1" : "v2c";
    String request = (pdu.getType() == PDU.GET ? "GET sysDescr.0" : "SET sysContact.0 to an"
        + " integer (wrong type, never stored)") + " with " + SnmpAccess.shown(community);
    CommunityTarget<Address> t = new CommunityTarget<>(channel.address(),
        new OctetString(community));
    t.setVersion(version);
    t.setTimeout(timeout.toMillis());
    t.setRetries(retries);
    CompletableFuture<PDU> answer = new CompletableFuture<>();
    ResponseListener listener = new ResponseListener() {
      @Override
      public <A extends org.snmp4j.smi.Address> void onResponse(ResponseEvent<A> event) {
        // SNMP4J keeps a request until it is cancelled: release it whatever the outcome.
        ((Snmp) event.getSource()).cancel(event.getRequest(), this);
        if (event.getError() != null) {
          answer.completeExceptionally(event.getError());
        } else {
          answer.complete(event.getResponse());
        }
      }
    };
    try {
      snmp.send(pdu, t, null, listener);
    } catch (IOException e) {
      answer.completeExceptionally(e);
    }
    return new Pending(version, community, request, answer, transport, port);
  }
}
