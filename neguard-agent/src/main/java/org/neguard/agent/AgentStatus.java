package org.neguard.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.agent.client.DeviceClient;
import org.neguard.agent.client.DeviceIdentity;

/**
 * What {@code neguard agent status} shows, read from the agent's configuration, state directory
 * and install root, plus one real mutual-TLS request to the server with the device identity
 * (the order keys: a read that changes nothing on the server). Reads only; never fails on a
 * missing or unreadable file: it says so in the field instead.
 */
public final class AgentStatus {
  /** The crash journal: shown while an order is under way or its final report not taken. */
  static final String JOURNAL = Journal.FILE;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MAX_FILE = 1 << 20;

  private AgentStatus() {}

  /**
   * The status of the agent configured by {@code config}, as ordered maps, lists and plain
   * values: {@code deviceId}, {@code neType}, {@code installed} (installed.json or null), {@code
   * current} and {@code previous} (slot names or null), {@code versions} (slots on disk), {@code
   * lastResult}, {@code journal} (null when none), {@code server} ({@code url}, {@code
   * reachable}, {@code detail}: "unreachable: why" when not).
   *
   * @param timeout the bound of the server request's connect and read
   */
  public static Map<String, Object> collect(AgentConfig config, Duration timeout) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("deviceId", config.deviceId());
    s.put("neType", config.neType());
    s.put("stateDir", config.stateDir().toString());
    s.put("installRoot", config.installRoot().toString());
    Path state = config.stateDir();
    s.put("installed", readJson(state.resolve(Agent.INSTALLED)));
    Slots slots = new Slots(config.installRoot());
    s.put("current", slotName(slots, true));
    s.put("previous", slotName(slots, false));
    s.put("versions", versions(slots));
    s.put("lastResult", readJson(state.resolve(Agent.LAST_RESULT)));
    s.put("journal", underWay(readJson(state.resolve(JOURNAL))));
    s.put("server", reach(config, timeout));
    return s;
  }

  private static Object slotName(Slots slots, boolean current) {
    try {
      Optional<Path> p = current ? slots.active() : slots.previous();
      return p.map(x -> x.getFileName().toString()).orElse(null);
    } catch (IOException e) {
      return "unreadable: " + e.getMessage();
    }
  }

  private static List<String> versions(Slots slots) {
    Path dir = slots.root().resolve(Slots.VERSIONS);
    List<String> out = new ArrayList<>();
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return out;
    }
    try (Stream<Path> list = Files.list(dir)) {
      // Hidden names are extractions under way or left by a crash, not versions.
      list.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted()
          .forEach(out::add);
    } catch (IOException e) {
      out.add("unreadable: " + e.getMessage());
    }
    return out;
  }

  /** A JSON file of the state directory as a map, null when absent, a note when unreadable. */
  /**
   * The journal's order, unless it is finished: DONE with its final report taken by the server
   * is nothing under way (the journal keeps the last record until the next order).
   */
  private static Object underWay(Object journal) {
    if (journal instanceof java.util.Map<?, ?> j && "DONE".equals(j.get("phase"))
        && Boolean.TRUE.equals(j.get("acked"))) {
      return null;
    }
    return journal;
  }

  private static Object readJson(Path f) {
    if (!Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
      return null;
    }
    try {
      if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS) || Files.size(f) > MAX_FILE) {
        return "unreadable: " + f + " is not a regular file of at most " + MAX_FILE + " bytes";
      }
      return JSON.readValue(Files.readAllBytes(f), Object.class);
    } catch (IOException e) {
      return "unreadable: " + f + ": " + e.getMessage();
    }
  }

  /**
   * The device identity; a TPM-held key through the TPM, as the agent loads it, tpm2-tools'
   * files in {@code work} (the running agent works in the identity directory).
   */
  private static DeviceIdentity loadIdentity(AgentConfig config, Path idDir, Path work)
      throws IOException {
    return config.tpmDeviceKey()
        ? DeviceIdentity.load(idDir, TpmDeviceKey.of(config.tpmTcti(), idDir, work, null))
        : DeviceIdentity.load(idDir);
  }

  private static Map<String, Object> reach(AgentConfig config, Duration timeout) {
    Path work = null;
    try {
      work = Files.createTempDirectory("neguard-agent-status-");
      return reach(config, timeout, work);
    } catch (IOException e) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("url", config.serverUrl().toString());
      r.put("reachable", false);
      r.put("detail", "unreachable: cannot make a working directory: " + e.getMessage());
      return r;
    } finally {
      if (work != null) {
        try {
          org.neguard.io.FileTrees.deleteTree(work);
        } catch (IOException ignored) {
          // a temporary directory
        }
      }
    }
  }

  private static Map<String, Object> reach(AgentConfig config, Duration timeout, Path work) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("url", config.serverUrl().toString());
    Path idDir = config.stateDir().resolve(Agent.IDENTITY_DIR);
    DeviceIdentity id;
    try {
      id = loadIdentity(config, idDir, work);
    } catch (IOException | RuntimeException e) {
      r.put("reachable", false);
      r.put("detail", "unreachable: no usable device identity in " + idDir + " ("
          + e.getMessage() + "); the agent has not enrolled yet, or lost its identity");
      return r;
    }
    try {
      int keys = DeviceClient.of(config.serverUrl(), id, timeout).orderKeys().size();
      r.put("reachable", true);
      r.put("detail", "reachable: mutual TLS as " + id.deviceId() + " (certificate serial "
          + id.serial() + "), " + keys + " order key(s)");
    } catch (DeviceApiException e) {
      if (e.status() == 0) { // the client's own refusal of the answer: no usable server
        r.put("reachable", false);
        r.put("detail", "unreachable: " + e.code() + ": " + e.getMessage());
        return r;
      }
      // The TLS handshake went through: the server answered, and refused this device.
      r.put("reachable", true);
      r.put("detail", "reachable, but the server refuses this device: HTTP " + e.status() + " "
          + e.code() + ": " + e.getMessage());
    } catch (IOException | RuntimeException e) {
      r.put("reachable", false);
      r.put("detail", "unreachable: " + e);
    }
    return r;
  }
}
