package org.neguard.harden.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/** The hardening requirements (REQUIREMENTS.md, seed 003), for reports. */
public final class Requirements {
  private static final Map<String, String> TITLES = new LinkedHashMap<>();

  static {
    TITLES.put("HRD-1", "The NE opens only the ports, and runs only the services, that its"
        + " operation needs.");
    TITLES.put("HRD-2", "A list of the open ports and their services is provided for the NE.");
    TITLES.put("HRD-3", "Open ports and running services are checked with port-scanning and"
        + " vulnerability-assessment tools.");
    TITLES.put("HRD-4", "Ports and services not on the list are found, reported and removed.");
    TITLES.put("HRD-5", "Forbidden on every NE: NFS (1025, 2049); FTP and TFTP (20, 21, 69);"
        + " SNMPv1 and SNMPv2c with write (SET) permission; Telnet (23, 107); rlogin, rsh,"
        + " remsh (513, 514); port 445; finger (79); time (37); echo (7).");
    TITLES.put("HRD-6", "Test case and evidence: obtain the list of open ports and services,"
        + " scan for unnecessary ones, check the forbidden ones; produce a document showing"
        + " which ports are open, which services run, and that the tests were performed.");
  }

  private Requirements() {}

  /** The requirement's text; the ID itself when unknown. */
  public static String title(String id) {
    return TITLES.getOrDefault(id, id);
  }

  /** HRD-1..HRD-6 with their texts, in order. */
  public static Map<String, String> all() {
    return java.util.Collections.unmodifiableMap(TITLES);
  }
}
