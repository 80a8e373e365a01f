package org.neguard.harden.nmap;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Deque;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import javax.xml.XMLConstants;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.neguard.harden.BoundedRead;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.Transport;
import org.neguard.harden.policy.AddressRange;
import org.neguard.harden.policy.PortKey;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Imports nmap's XML output ({@code nmap -oX FILE}) as an {@link Observation} (source {@code
 * nmap-xml}), so that an external tool's own scan can be judged and kept as evidence (HRD-3).
 *
 * <p>The file must be about the expected host: a file whose hosts are all others is refused
 * ({@code BAD_INPUT}), so evidence cannot be produced from the wrong NE's scan. Parsing is
 * hardened: no DTD is processed and no entity is expanded (nmap's own {@code <!DOCTYPE nmaprun>}
 * is the only document type accepted), size is bounded, and any XML error is {@code BAD_INPUT}.
 *
 * <p>What nmap did not examine is never taken for closed: each port of {@code mustCover} (the
 * policy's forbidden and declared ports) outside nmap's scanned ranges is listed as {@code
 * NOT_CHECKED}, and one that nmap grouped among "ignored" ports of an inconclusive state keeps
 * that state. Service names are kept only where nmap probed the service ({@code -sV}); a name
 * nmap merely looked up in its services table is shown in the evidence, not trusted.
 *
 * <p>Thread-safe (stateless).
 */
public final class NmapXmlImporter {
  /** The source name of imported observations. */
  public static final String SOURCE = "nmap-xml";

  /** Larger files are refused: one host's full scan with -sV is well below this. */
  public static final int MAX_BYTES = 64 << 20;

  private NmapXmlImporter() {}

  /**
   * Reads an nmap XML file.
   *
   * @throws RefusalException {@code BAD_INPUT} for a malformed file, a file that is not nmap's,
   *     or one without the expected host
   * @throws IOException when the file cannot be read
   */
  public static Observation read(Path file, String expectedHost, Set<PortKey> mustCover)
      throws RefusalException, IOException {
    byte[] xml = BoundedRead.atMost(file, MAX_BYTES);
    if (xml.length > MAX_BYTES) {
      throw bad(file + " is more than an nmap report of one host can be (" + MAX_BYTES
          + " bytes)");
    }
    return read(xml, expectedHost, mustCover);
  }

  /**
   * Reads nmap XML.
   *
   * @param xml the bytes of {@code nmap -oX} output
   * @param expectedHost the NE the evidence must be about: an IP literal or the name nmap was
   *     given on its command line
   * @param mustCover ports whose state must be accounted for (the policy's forbidden and
   *     declared ports): listed as NOT_CHECKED when nmap did not examine them
   * @throws RefusalException {@code BAD_INPUT} as above
   */
  public static Observation read(byte[] xml, String expectedHost, Set<PortKey> mustCover)
      throws RefusalException {
    Objects.requireNonNull(expectedHost, "expectedHost");
    if (expectedHost.isBlank()) {
      throw bad("the expected host is blank: name the NE the nmap scan must be about");
    }
    if (xml.length > MAX_BYTES) {
      throw bad("nmap XML of " + xml.length + " bytes is larger than " + MAX_BYTES);
    }
    Run run = parse(xml);
    Host host = run.hosts.stream().filter(h -> h.matches(expectedHost)).findFirst()
        .orElseThrow(() -> bad("the nmap XML is not about " + expectedHost + ": it holds "
            + (run.hosts.isEmpty() ? "no scanned host" + (run.hostsDown > 0
                ? " (nmap found " + run.hostsDown + " host(s) down and scanned no port; use -Pn)"
                : "")
                : String.join(", ", run.hosts.stream().map(Host::describe).toList()))
            + "; import the scan of the NE under test"));
    return observation(run, host, expectedHost, mustCover);
  }

  // ---------------------------------------------------------------------------------------
  // Parsing

  static final class Run {
    String scanner;
    String args;
    String version;
    String xmlOutputVersion;
    Long start;
    Long finished;
    String exit;
    String errorMessage;
    int hostsDown;
    final List<String> scanInfo = new ArrayList<>();
    final Map<Transport, BitSet> scanned = new EnumMap<>(Transport.class);
    final List<Host> hosts = new ArrayList<>();
    final List<String> ignored = new ArrayList<>();
  }

  static final class Host {
    Long start;
    Long end;
    String status;
    String statusReason;
    final List<String> addresses = new ArrayList<>();
    final List<String> userNames = new ArrayList<>();
    final List<String> otherNames = new ArrayList<>();
    final List<NmapPort> ports = new ArrayList<>();
    final List<Extra> extras = new ArrayList<>();

    boolean matches(String expected) {
      Optional<byte[]> ip = AddressRange.literal(expected);
      if (ip.isPresent()) {
        return addresses.stream().map(AddressRange::literal)
            .anyMatch(a -> a.isPresent() && Arrays.equals(a.get(), ip.get()));
      }
      return userNames.stream().anyMatch(n -> n.equalsIgnoreCase(expected));
    }

    String address() {
      return addresses.stream().filter(a -> AddressRange.literal(a).isPresent()).findFirst()
          .orElse(addresses.isEmpty() ? "unknown" : addresses.get(0));
    }

    String describe() {
      List<String> names = new ArrayList<>(userNames);
      names.addAll(otherNames);
      return String.join("/", addresses) + (names.isEmpty() ? "" : " (" + String.join(", ",
          names) + ")");
    }
  }

  static final class NmapPort {
    Transport transport;
    int port;
    String state;
    String reason;
    String serviceName;
    String method;
    String product;
    String version;
    String extraInfo;
    String tunnel;
    /** The {@code <cpe>} children of {@code <service>}, as nmap prints them (CPE 2.2 URIs). */
    final List<String> cpes = new ArrayList<>();
    StringBuilder cpeText;
  }

  /** At most this many CPEs of one service, each at most {@value #MAX_CPE} characters. */
  static final int MAX_CPES = 8;
  static final int MAX_CPE = 512;
  private static final java.util.regex.Pattern CPE = java.util.regex.Pattern.compile(
      "cpe:(/|2\\.3:)[aho]:[\\x21-\\x7e]{1,500}");

  /**
   * The product nmap identified, as the first application CPE it printed ({@code
   * cpe:/a:openbsd:openssh:9.2p1}), passed on as written: CPE matching reads the 2.2 URI form.
   * Only for a service nmap probed ({@code -sV}); a CPE it did not print in that form is not
   * guessed.
   */
  static String applicationCpe(NmapPort p) {
    if (!"probed".equals(p.method)) {
      return null;
    }
    return p.cpes.stream().filter(c -> CPE.matcher(c).matches())
        .filter(c -> c.startsWith("cpe:/a:") || c.startsWith("cpe:2.3:a:"))
        .filter(NmapXmlImporter::wellFormedCpe).findFirst().orElse(null);
  }

  /** Whether CPE matching can read it (NISTIR 7695, both bindings: org.neguard.vuln.Cpe). */
  private static boolean wellFormedCpe(String cpe) {
    try {
      org.neguard.vuln.Cpe.parse(cpe);
      return true;
    } catch (org.neguard.verdict.RefusalException e) {
      return false;
    }
  }

  /** A group of ports nmap did not list one by one ({@code <extraports>}). */
  static final class Extra {
    String state;
    int count;
    final Map<Transport, BitSet> ports = new EnumMap<>(Transport.class);
    final List<String> reasons = new ArrayList<>();
  }

  private static XMLInputFactory factory() {
    XMLInputFactory f = XMLInputFactory.newFactory();
    // No DTD processing and no entities at all: the only DOCTYPE accepted is nmap's bare one.
    f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    f.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, false);
    f.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
    f.setProperty(XMLInputFactory.IS_COALESCING, false);
    // Problems become exceptions with a position, never lines on standard error.
    f.setXMLReporter((message, type, info, location) -> { });
    return f;
  }

  static Run parse(byte[] xml) throws RefusalException {
    Run run = new Run();
    Deque<String> path = new ArrayDeque<>();
    Host host = null;
    NmapPort port = null;
    Extra extra = null;
    boolean sawRoot = false;
    XMLStreamReader r = null;
    try {
      // Decoded here, strictly: nmap writes UTF-8, and the XML parser's own decoder would print
      // its complaints on standard error.
      String text;
      try {
        text = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(xml)).toString();
      } catch (CharacterCodingException e) {
        throw bad("the nmap XML is not valid UTF-8 (nmap writes UTF-8): the file is damaged");
      }
      r = factory().createXMLStreamReader(new StringReader(text));
      while (r.hasNext()) {
        int ev = r.next();
        switch (ev) {
          case XMLStreamConstants.DTD -> {
            String dtd = r.getText().replaceAll("\\s+", " ").trim();
            if (!dtd.equals("<!DOCTYPE nmaprun>")) {
              throw bad("the nmap XML carries a document type other than nmap's own"
                  + " (<!DOCTYPE nmaprun>): DTDs and entities are refused");
            }
          }
          case XMLStreamConstants.ENTITY_REFERENCE -> throw bad("the nmap XML references entity '&"
              + r.getLocalName() + ";' at line " + r.getLocation().getLineNumber()
              + ": entities are refused");
          case XMLStreamConstants.START_ELEMENT -> {
            String name = r.getLocalName();
            String parent = path.peek();
            if (parent == null) {
              if (!name.equals("nmaprun")) {
                throw bad("not an nmap XML report: the root element is <" + name
                    + ">, expected <nmaprun> (nmap -oX FILE)");
              }
              sawRoot = true;
              run.scanner = attr(r, "scanner");
              run.args = attr(r, "args");
              run.version = attr(r, "version");
              run.xmlOutputVersion = attr(r, "xmloutputversion");
              run.start = epoch(r, "start");
            } else if (name.equals("scaninfo") && parent.equals("nmaprun")) {
              String proto = attr(r, "protocol");
              String services = attr(r, "services");
              run.scanInfo.add(attr(r, "type") + " scan of " + attr(r, "numservices") + " "
                  + proto + " port(s)");
              Transport t = transport(proto);
              if (t == null) {
                run.ignored.add("nmap " + attr(r, "type") + " scan over " + proto
                    + " is not imported");
              } else if (services != null) {
                run.scanned.computeIfAbsent(t, k -> new BitSet(65536))
                    .or(ports(services, r));
              }
            } else if (name.equals("host") && parent.equals("nmaprun")) {
              host = new Host();
              host.start = epoch(r, "starttime");
              host.end = epoch(r, "endtime");
              run.hosts.add(host);
            } else if (host != null && parent.equals("host")) {
              switch (name) {
                case "status" -> {
                  host.status = attr(r, "state");
                  host.statusReason = attr(r, "reason");
                }
                case "address" -> {
                  if (!"mac".equals(attr(r, "addrtype")) && attr(r, "addr") != null) {
                    host.addresses.add(attr(r, "addr"));
                  }
                }
                default -> { }
              }
            } else if (host != null && name.equals("hostname") && parent.equals("hostnames")) {
              String n = attr(r, "name");
              if (n != null) {
                ("user".equals(attr(r, "type")) ? host.userNames : host.otherNames).add(n);
              }
            } else if (host != null && name.equals("port") && parent.equals("ports")) {
              port = new NmapPort();
              port.transport = transport(attr(r, "protocol"));
              port.port = portNumber(attr(r, "portid"), r);
              if (port.transport != null) {
                host.ports.add(port);
              } else {
                run.ignored.add("nmap port " + attr(r, "portid") + "/" + attr(r, "protocol")
                    + " is not TCP, UDP or SCTP: not imported");
              }
            } else if (port != null && name.equals("state") && parent.equals("port")) {
              port.state = attr(r, "state");
              port.reason = attr(r, "reason");
            } else if (port != null && name.equals("service") && parent.equals("port")) {
              port.serviceName = attr(r, "name");
              port.method = attr(r, "method");
              port.product = attr(r, "product");
              port.version = attr(r, "version");
              port.extraInfo = attr(r, "extrainfo");
              port.tunnel = attr(r, "tunnel");
            } else if (port != null && name.equals("cpe") && parent.equals("service")) {
              port.cpeText = new StringBuilder();
            } else if (host != null && name.equals("extraports") && parent.equals("ports")) {
              extra = new Extra();
              extra.state = attr(r, "state");
              String count = attr(r, "count");
              extra.count = count != null && count.matches("\\d{1,6}")
                  ? Integer.parseInt(count) : 0;
              host.extras.add(extra);
            } else if (extra != null && name.equals("extrareasons")
                && parent.equals("extraports")) {
              extra.reasons.add(attr(r, "reason"));
              Transport t = transport(attr(r, "proto"));
              String ports = attr(r, "ports");
              if (t != null && ports != null) {
                extra.ports.computeIfAbsent(t, k -> new BitSet(65536)).or(ports(ports, r));
              }
            } else if (name.equals("finished") && parent.equals("runstats")) {
              run.finished = epoch(r, "time");
              run.exit = attr(r, "exit");
              run.errorMessage = attr(r, "errormsg");
            } else if (name.equals("hosts") && parent.equals("runstats")) {
              String down = attr(r, "down");
              run.hostsDown = down != null && down.matches("\\d{1,9}")
                  ? Integer.parseInt(down) : 0;
            }
            path.push(name);
          }
          case XMLStreamConstants.CHARACTERS -> {
            if (port != null && port.cpeText != null
                && port.cpeText.length() + r.getTextLength() <= MAX_CPE) {
              port.cpeText.append(r.getText());
            }
          }
          case XMLStreamConstants.END_ELEMENT -> {
            String name = path.pop();
            if (name.equals("cpe") && port != null && port.cpeText != null) {
              if (port.cpes.size() < MAX_CPES) {
                port.cpes.add(port.cpeText.toString().strip());
              }
              port.cpeText = null;
            }
            switch (name) {
              case "host" -> host = null;
              case "port" -> port = null;
              case "extraports" -> extra = null;
              default -> { }
            }
          }
          default -> { }
        }
      }
    } catch (XMLStreamException e) {
      String msg = String.valueOf(e.getMessage()).replaceAll("\\s+", " ").trim();
      msg = msg.replaceFirst("^ParseError at \\[row,col\\]:\\[(\\d+),(\\d+)\\] Message: ",
          "line $1, column $2: ");
      throw bad("the nmap XML is malformed (" + msg + "); an interrupted nmap leaves an"
          + " unfinished file: run the scan again to the end");
    } finally {
      if (r != null) {
        try {
          r.close();
        } catch (XMLStreamException ignored) {
          // Nothing was held open: the input is an array.
        }
      }
    }
    if (!sawRoot) {
      throw bad("the file holds no XML element: expected nmap -oX output");
    }
    if (!"nmap".equals(run.scanner)) {
      throw bad("the XML was written by '" + run.scanner + "', not nmap");
    }
    if (run.start == null) {
      throw bad("the nmap XML has no start time (nmaprun start)");
    }
    return run;
  }

  // ---------------------------------------------------------------------------------------
  // Building the observation

  private static Observation observation(
      Run run, Host host, String expectedHost, Set<PortKey> mustCover) {
    List<String> notes = new ArrayList<>(run.ignored);
    boolean complete = true;
    if (!"success".equals(run.exit)) {
      complete = false;
      notes.add(run.exit == null
          ? "nmap's run statistics are missing: the scan did not finish"
          : "nmap ended with exit='" + run.exit + "'"
              + (run.errorMessage == null ? "" : ": " + run.errorMessage));
    }
    if (!"up".equals(host.status)) {
      complete = false;
      notes.add("nmap reported the host " + host.status + " (" + host.statusReason + ")");
    }
    if (run.scanned.isEmpty()) {
      complete = false;
      notes.add("nmap ran no TCP, UDP or SCTP port scan (no scaninfo)");
    }
    BitSet tcp = run.scanned.get(Transport.TCP);
    if (tcp != null && tcp.cardinality() < 65535) {
      notes.add("nmap scanned " + tcp.cardinality() + " of 65535 TCP ports: ports outside its"
          + " range were not examined (TS 33.117 §4.4.2 asks for all of them: -p-)");
    }
    String address = host.address();
    List<ObservedPort> ports = new ArrayList<>();
    Set<PortKey> listed = new TreeSet<>();
    for (NmapPort p : host.ports) {
      PortState state = state(p.state);
      if (state == null) {
        complete = false;
        notes.add("port " + p.transport + "/" + p.port + " has an unknown nmap state '" + p.state
            + "': not imported");
        continue;
      }
      if (!listed.add(new PortKey(p.transport, p.port))) {
        continue;
      }
      ports.add(new ObservedPort(p.transport, address, p.port, state,
          "probed".equals(p.method) ? p.serviceName : null, evidence(p), null, List.of(),
          state == PortState.OPEN ? applicationCpe(p) : null));
    }
    for (PortKey k : new TreeSet<>(mustCover)) {
      if (listed.contains(k)) {
        continue;
      }
      BitSet scanned = run.scanned.get(k.transport());
      if (scanned == null || !scanned.get(k.port())) {
        ports.add(new ObservedPort(k.transport(), address, k.port(), PortState.NOT_CHECKED, null,
            "not in the ports nmap scanned"
                + (scanned == null ? " (no " + k.transport().name().toLowerCase(Locale.ROOT)
                    + " scan)" : ""), null, List.of()));
        continue;
      }
      Extra group = group(host, k);
      if (group == null) {
        // Scanned, not listed, and every unlisted port of this scan was closed.
        continue;
      }
      PortState state = state(group.state);
      if (state == null || state == PortState.CLOSED) {
        continue;
      }
      ports.add(new ObservedPort(k.transport(), address, k.port(), state, null,
          "nmap: " + group.state + " (one of " + group.count + " ports not listed one by one"
              + (group.reasons.isEmpty() ? "" : ", " + String.join(", ", group.reasons)) + ")",
          null, List.of()));
    }
    Map<String, String> params = new LinkedHashMap<>();
    params.put("command", run.args == null ? "not recorded" : run.args);
    params.put("nmap version", String.valueOf(run.version));
    params.put("xml output version", String.valueOf(run.xmlOutputVersion));
    for (int i = 0; i < run.scanInfo.size(); i++) {
      params.put(run.scanInfo.size() == 1 ? "scan" : "scan " + (i + 1), run.scanInfo.get(i));
    }
    params.put("host address", address);
    params.put("host status", host.status + " (" + host.statusReason + ")");
    Instant started = Instant.ofEpochSecond(host.start != null ? host.start : run.start);
    long endSeconds = host.end != null ? host.end : run.finished != null ? run.finished
        : started.getEpochSecond();
    Instant finished = Instant.ofEpochSecond(Math.max(endSeconds, started.getEpochSecond()));
    return new Observation(SOURCE, expectedHost, null,
        "nmap " + (run.version == null ? "(version not recorded)" : run.version), started,
        finished, complete, params, ports, notes);
  }

  /** The unlisted-port group a port belongs to, or null when all unlisted ports were closed. */
  private static Extra group(Host host, PortKey k) {
    for (Extra e : host.extras) {
      BitSet b = e.ports.get(k.transport());
      if (b != null && b.get(k.port())) {
        return e;
      }
    }
    // Older nmap lists no ports per group: if any group is not closed, assume the worst.
    boolean anyListed = host.extras.stream().anyMatch(e -> !e.ports.isEmpty());
    if (anyListed) {
      return null;
    }
    return host.extras.stream().filter(e -> state(e.state) != PortState.CLOSED).findFirst()
        .orElse(null);
  }

  private static String evidence(NmapPort p) {
    StringBuilder sb = new StringBuilder("nmap: ").append(p.state);
    if (p.reason != null) {
      sb.append(" (").append(p.reason).append(')');
    }
    if (p.serviceName != null) {
      if ("probed".equals(p.method)) {
        sb.append("; -sV: ").append(p.serviceName);
        for (String s : new String[] {p.product, p.version, p.extraInfo}) {
          if (s != null && !s.isBlank()) {
            sb.append(' ').append(s);
          }
        }
        if (p.tunnel != null) {
          sb.append(" over ").append(p.tunnel);
        }
      } else {
        sb.append("; services table suggests '").append(p.serviceName)
            .append("' (not probed)");
      }
    }
    return sb.toString();
  }

  private static PortState state(String nmapState) {
    if (nmapState == null) {
      return null;
    }
    return switch (nmapState) {
      case "open" -> PortState.OPEN;
      case "closed" -> PortState.CLOSED;
      case "filtered", "closed|filtered" -> PortState.FILTERED;
      case "open|filtered" -> PortState.OPEN_FILTERED;
      // An ACK scan's "unfiltered" says nothing about open or closed.
      case "unfiltered" -> PortState.NOT_CHECKED;
      default -> null;
    };
  }

  private static Transport transport(String proto) {
    if (proto == null) {
      return null;
    }
    return switch (proto) {
      case "tcp" -> Transport.TCP;
      case "udp" -> Transport.UDP;
      case "sctp" -> Transport.SCTP;
      default -> null;
    };
  }

  /** Parses nmap's port list ({@code 1,3-4,6-7}). */
  static BitSet ports(String spec, XMLStreamReader r) throws RefusalException {
    BitSet b = new BitSet(65536);
    if (spec.isBlank()) {
      return b;
    }
    for (String part : spec.split(",")) {
      String p = part.trim();
      int dash = p.indexOf('-');
      int lo = portNumber(dash < 0 ? p : p.substring(0, dash), r);
      int hi = dash < 0 ? lo : portNumber(p.substring(dash + 1), r);
      if (hi < lo) {
        throw bad("port range '" + p + "' is reversed at line " + line(r));
      }
      b.set(lo, hi + 1);
    }
    return b;
  }

  private static int portNumber(String s, XMLStreamReader r) throws RefusalException {
    if (s == null || !s.matches("\\d{1,5}") || Integer.parseInt(s) > 65535) {
      throw bad("port '" + s + "' at line " + line(r) + " is not a number 0..65535");
    }
    int p = Integer.parseInt(s);
    if (p == 0) {
      throw bad("port 0 at line " + line(r) + " cannot be judged");
    }
    return p;
  }

  private static Long epoch(XMLStreamReader r, String name) throws RefusalException {
    String v = attr(r, name);
    if (v == null) {
      return null;
    }
    if (!v.matches("\\d{1,12}")) {
      throw bad(name + "='" + v + "' at line " + line(r) + " is not a time in seconds");
    }
    return Long.parseLong(v);
  }

  private static String attr(XMLStreamReader r, String name) {
    return r.getAttributeValue(null, name);
  }

  private static int line(XMLStreamReader r) {
    return r.getLocation() == null ? 0 : r.getLocation().getLineNumber();
  }

  private static RefusalException bad(String message) {
    return new RefusalException(ReasonCode.BAD_INPUT, message);
  }
}
