package org.neguard.harden.probe;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.neguard.harden.Transport;
import org.snmp4j.MessageDispatcher;
import org.snmp4j.TransportMapping;
import org.snmp4j.event.CounterEvent;
import org.snmp4j.event.CounterListener;
import org.snmp4j.mp.SnmpConstants;
import org.snmp4j.smi.Address;
import org.snmp4j.smi.TcpAddress;
import org.snmp4j.smi.UdpAddress;
import org.snmp4j.transport.DefaultTcpTransportMapping;
import org.snmp4j.transport.DefaultUdpTransportMapping;
import org.snmp4j.transport.MessageLength;
import org.snmp4j.transport.MessageLengthDecoder;
import org.snmp4j.transport.TransportStateEvent;

/**
 * The transport the SNMP probes speak: UDP (RFC 3417), or TCP (RFC 3430), where net-snmp serves
 * SNMP with {@code agentaddress tcp:161}, and an agent v3-only over UDP may still answer v1 and
 * v2c.
 *
 * <p>TCP is a stream the peer controls, so it is bounded here: the connection is tried first with
 * a connect timeout (SNMP4J's own connect has none); an inbound message may announce at most
 * {@link #MAX_TCP_MESSAGE} bytes in its BER header, and a larger announcement (a peer claiming a
 * 2 GiB message) drops the connection before anything of that size is allocated; what went wrong
 * on the connection (an oversize announcement, bytes that are no SNMP message, the peer closing)
 * is recorded, so that a request it left unanswered is {@code UNDECIDED} with that reason rather
 * than {@code SILENT}. Every request is bounded by its own timeout and retries.
 */
final class SnmpChannel {
  /**
   * The largest SNMP message over TCP this probe reads: SNMP4J's default, said here because the
   * check and the evidence depend on it. Answers to the probes' requests are a few hundred bytes.
   */
  static final int MAX_TCP_MESSAGE = 65_535;
  /** How long closing waits for SNMP4J's TCP thread to end. */
  private static final Duration GRACE = Duration.ofMillis(500);

  private final Transport transport;
  private final InetAddress target;
  private final int port;
  private final TransportMapping<? extends Address> mapping;
  /** Why the TCP connection could not be made; null when it could (or on UDP). */
  private final String unreachable;
  private final AtomicLong garbled = new AtomicLong();
  private final AtomicReference<String> oversize = new AtomicReference<>();
  private final AtomicReference<String> closed = new AtomicReference<>();

  private SnmpChannel(Transport transport, InetAddress target, int port,
      TransportMapping<? extends Address> mapping, String unreachable) {
    this.transport = transport;
    this.target = target;
    this.port = port;
    this.mapping = mapping;
    this.unreachable = unreachable;
  }

  /**
   * A channel to {@code target}:{@code port} over {@code transport} (UDP or TCP); for TCP, a
   * connection is tried first within {@code connectTimeout}.
   */
  static SnmpChannel open(Transport transport, InetAddress target, int port,
      Duration connectTimeout) throws IOException {
    if (transport == Transport.UDP) {
      return new SnmpChannel(transport, target, port, new DefaultUdpTransportMapping(), null);
    }
    if (transport != Transport.TCP) {
      throw new IllegalArgumentException("SNMP runs over UDP or TCP, not " + transport);
    }
    String unreachable = null;
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(target, port), (int) Math.max(1, connectTimeout.toMillis()));
    } catch (IOException e) {
      unreachable = "cannot connect to tcp/" + port + " within " + connectTimeout.toMillis()
          + " ms: " + e.getMessage();
    }
    // Client mode only (no server socket); the listen address is never bound then.
    DefaultTcpTransportMapping tcp = new DefaultTcpTransportMapping(
        new TcpAddress(new InetSocketAddress(0).getAddress(), 0), false);
    tcp.setMaxInboundMessageSize(MAX_TCP_MESSAGE);
    // No idle-connection timer thread: the probe closes everything when it is done.
    tcp.setConnectionTimeout(0);
    // SNMP4J 3.13.1's close() joins its I/O thread without a bound unless this is set, and that
    // thread, ending at the same moment, waits for the lock close() holds: a deadlock that hung
    // a scan here. With a bound, close() gives up waiting and stops the thread.
    tcp.setGracefulShutdownTimeoutMillis(GRACE.toMillis());
    SnmpChannel c = new SnmpChannel(transport, target, port, tcp, unreachable);
    tcp.setMessageLengthDecoder(c.new CappedLength(tcp.getMessageLengthDecoder()));
    tcp.addTransportStateListener(c::stateChanged);
    return c;
  }

  Transport transport() {
    return transport;
  }

  TransportMapping<? extends Address> mapping() {
    return mapping;
  }

  /** The agent's address in SNMP4J's type for this transport. */
  Address address() {
    return transport == Transport.TCP ? new TcpAddress(target, port) : new UdpAddress(target, port);
  }

  /** Why no request can be sent (TCP: the connection failed); empty when they can. */
  Optional<String> unreachable() {
    return Optional.ofNullable(unreachable);
  }

  /** Counts the messages the dispatcher could not decode: bytes from the peer that are no SNMP. */
  void watch(MessageDispatcher dispatcher) {
    dispatcher.addCounterListener(new CounterListener() {
      @Override
      public void incrementCounter(CounterEvent event) {
        if (SnmpConstants.snmpInASNParseErrs.equals(event.getOid())
            || SnmpConstants.snmpInBadVersions.equals(event.getOid())) {
          garbled.incrementAndGet();
        }
      }
    });
  }

  /**
   * What went wrong on the TCP connection, as the reason of a request it left unanswered; empty
   * on UDP and on a connection where the peer merely said nothing.
   */
  Optional<String> trouble() {
    List<String> t = new ArrayList<>();
    if (oversize.get() != null) {
      t.add(oversize.get());
    }
    if (garbled.get() > 0) {
      t.add(garbled.get() + " message(s) from the peer were not SNMP (undecodable)");
    }
    if (closed.get() != null) {
      t.add(closed.get());
    }
    return t.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", t));
  }

  /** The result of a request that got no answer: silent, or undecided with the trouble seen. */
  String silence(String quiet) {
    return trouble().map(t -> "no SNMP answer over tcp/" + port + ": " + t)
        .orElse(transport == Transport.TCP ? quiet + " (connected over TCP; nothing came back)"
            : quiet);
  }

  private void stateChanged(TransportStateEvent e) {
    if (e.getNewState() == TransportStateEvent.STATE_DISCONNECTED_REMOTELY
        || e.getNewState() == TransportStateEvent.STATE_CLOSED) {
      IOException cause = e.getCausingException();
      if (cause != null && cause.getMessage() != null
          && cause.getMessage().equals(oversize.get())) {
        return; // dropped by the cap, already said
      }
      closed.compareAndSet(null, "the connection was closed" + (cause == null
          ? " by the peer (possibly mid-message)" : ": " + cause.getMessage()));
    }
  }

  /**
   * SNMP4J's BER length decoder, with the announced length checked before SNMP4J sizes a buffer
   * by it: more than {@link #MAX_TCP_MESSAGE} bytes, or a length that is no length, drops the
   * connection and is recorded.
   */
  private final class CappedLength implements MessageLengthDecoder {
    private final MessageLengthDecoder ber;

    CappedLength(MessageLengthDecoder ber) {
      this.ber = ber;
    }

    @Override
    public int getMinHeaderLength() {
      return ber.getMinHeaderLength();
    }

    @Override
    public MessageLength getMessageLength(ByteBuffer buf) throws IOException {
      MessageLength m;
      try {
        m = ber.getMessageLength(buf);
      } catch (IOException | RuntimeException e) {
        garbled.incrementAndGet();
        throw new IOException("not a BER header: " + e.getMessage(), e);
      }
      long announced = (long) m.getHeaderLength() + m.getPayloadLength();
      if (m.getPayloadLength() < 0 || announced > MAX_TCP_MESSAGE) {
        String why = "the peer announced a message of " + (m.getPayloadLength() < 0
            ? "negative length " + m.getPayloadLength() : announced + " bytes")
            + ", over the " + MAX_TCP_MESSAGE + "-byte cap: connection dropped, nothing read";
        oversize.compareAndSet(null, why);
        throw new IOException(why);
      }
      return m;
    }
  }
}
