package org.neguard.cli.sim;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.neguard.io.AtomicFiles;

/**
 * {@code --state-dir}: what lets a second run reuse the devices of the first instead of enrolling
 * again (a benchmark's 10,000 devices enroll once): {@code device-url} (the agents' API the
 * devices enrolled with) and {@code devices/ID/}, each device's identity as the agent keeps it
 * ({@link org.neguard.agent.client.DeviceIdentity#save}).
 */
final class SimState {
  private static final String DEVICE_URL = "device-url";

  private SimState() {}

  static Path deviceDir(Path stateDir, String deviceId) {
    return stateDir.resolve("devices").resolve(deviceId);
  }

  /** Whether a device's identity was saved here (the CA certificate is written last). */
  static boolean saved(Path stateDir, String deviceId) {
    return Files.isRegularFile(deviceDir(stateDir, deviceId).resolve("ca.crt"));
  }

  /** The agents' API URL the saved devices enrolled with, if any was saved. */
  static Optional<URI> deviceUrl(Path stateDir) throws IOException {
    Path f = stateDir.resolve(DEVICE_URL);
    return Files.isRegularFile(f) ? Optional.of(URI.create(Files.readString(f).strip()))
        : Optional.empty();
  }

  static synchronized void saveDeviceUrl(Path stateDir, String url) throws IOException {
    Files.createDirectories(stateDir);
    AtomicFiles.write(stateDir.resolve(DEVICE_URL),
        (url + "\n").getBytes(StandardCharsets.UTF_8));
  }
}
