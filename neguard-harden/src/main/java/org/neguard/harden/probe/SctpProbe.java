package org.neguard.harden.probe;

import com.sun.nio.sctp.SctpChannel;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.neguard.harden.PortState;

/**
 * The SCTP association probe: an MME's own interfaces are SCTP (S1-MME 36412, SGs 29118). It
 * uses the JDK's SCTP channel ({@code jdk.sctp}, which loads Debian's libsctp1). An INIT answered
 * by INIT-ACK is open, by ABORT closed, by nothing filtered.
 *
 * <p>Where the JDK or the kernel has no SCTP ("Protocol not supported"), {@link #unavailable()}
 * says why and the ports are "not checked", never "closed".
 *
 * <p>Not thread-safe.
 */
final class SctpProbe {
  /** S1-MME, SGs, X2, NGAP, M3UA, Diameter over SCTP, SBc-AP, Iuh. */
  static final int[] COMMON_PORTS = {36412, 29118, 36422, 38412, 2905, 3868, 29168, 29169};

  /** Why SCTP cannot be probed from this host, or empty when it can. */
  static Optional<String> unavailable() {
    try (SctpChannel ch = SctpChannel.open()) {
      return Optional.empty();
    } catch (UnsupportedOperationException e) {
      // The JDK reports the kernel's EPROTONOSUPPORT this way too.
      String m = String.valueOf(e.getMessage());
      return Optional.of(m.contains("Protocol not supported")
          ? "the kernel has no SCTP: opening an SCTP socket failed with '" + m + "'"
          : "this JDK has no SCTP support (" + m + ")");
    } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
      return Optional.of("libsctp1 is missing (" + e.getMessage() + ")");
    } catch (IOException e) {
      return Optional.of("the kernel has no SCTP: opening an SCTP socket failed with '" + e.getMessage() + "'");
    }
  }

  /** One result. */
  record Outcome(PortState state, String evidence) {}

  static Map<Integer, Outcome> probe(InetAddress target, int[] ports, Duration timeout) throws IOException {
    Map<Integer, Outcome> out = new LinkedHashMap<>();
    for (int port : ports) {
      try (SctpChannel ch = SctpChannel.open(); Selector sel = Selector.open()) {
        ch.configureBlocking(false);
        try {
          if (ch.connect(new InetSocketAddress(target, port))) {
            out.put(port, new Outcome(PortState.OPEN, "association established"));
            continue;
          }
          ch.register(sel, SelectionKey.OP_CONNECT);
          if (sel.select(timeout.toMillis()) > 0 && ch.finishConnect()) {
            out.put(port, new Outcome(PortState.OPEN, "INIT answered with INIT-ACK: association established"));
          } else {
            out.put(port, new Outcome(PortState.FILTERED, "no answer to INIT within " + timeout.toMillis() + " ms"));
          }
        } catch (ConnectException e) {
          out.put(port, new Outcome(PortState.CLOSED, "INIT answered with ABORT (" + e.getMessage() + ")"));
        } catch (IOException e) {
          out.put(port, new Outcome(PortState.FILTERED, "association failed: " + e.getMessage()));
        }
      }
    }
    return out;
  }
}
