package org.neguard.harden.eval;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.ProcessInfo;
import org.neguard.harden.SnmpAccess;
import org.neguard.harden.Transport;

/** Builds observations for tests of the evaluation and the evidence. */
public final class Observations {
  public static final Instant START = Instant.parse("2026-11-23T10:00:00Z");

  private final List<ObservedPort> ports = new ArrayList<>();
  private String source = "inventory";
  private boolean complete = true;
  private final List<String> notes = new ArrayList<>();
  private final Map<String, String> params = new java.util.LinkedHashMap<>(Map.of("ports", "1-65535"));

  public static Observations inventory() {
    return new Observations();
  }

  public static Observations scan() {
    Observations o = new Observations();
    o.source = "scan";
    return o;
  }

  public Observations source(String s) {
    source = s;
    return this;
  }

  public Observations param(String key, String value) {
    params.put(key, value);
    return this;
  }

  public Observations incomplete(String note) {
    complete = false;
    notes.add(note);
    return this;
  }

  public Observations open(Transport t, int port, String service) {
    return port(t, "0.0.0.0", port, PortState.OPEN, service);
  }

  public Observations port(Transport t, String address, int port, PortState s, String service) {
    ports.add(new ObservedPort(t, address, port, s, service,
        s == PortState.OPEN ? null : "no reply", null, List.of()));
    return this;
  }

  public Observations process(Transport t, int port, String service, String exe, String user) {
    ports.add(new ObservedPort(t, "0.0.0.0", port, PortState.OPEN, service, null,
        new ProcessInfo(4242, exe.substring(exe.lastIndexOf('/') + 1), exe, user), List.of()));
    return this;
  }

  public Observations snmp(int port, SnmpAccess... access) {
    ports.add(new ObservedPort(Transport.UDP, "0.0.0.0", port, PortState.OPEN, "snmp",
        "sysDescr answered", null, List.of(access)));
    return this;
  }

  public Observation build() {
    return new Observation(source, "ne-1.example", "tester.example", "NEGuard test", START,
        START.plusSeconds(5), complete, params, ports, notes);
  }
}
