package org.neguard.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.testing.RequiredProgram;

/**
 * HRD-3: the machine id that proves an inventory to be this machine's (a host name cannot), read
 * strictly, and the same way by {@code harden inventory} and {@code harden check}.
 */
class MachineIdTest {
  private static final String ID = "3d1219c7c4c5404aaa1f6d2a48adfda4";

  @Test
  void local_isWhatSystemdSays() throws Exception {
    // HRD-3: systemd's own reading of /etc/machine-id, and its own app-specific derivation, are
    // the reference.
    Process p = new ProcessBuilder(RequiredProgram.require("systemd-id128").toString(),
        "machine-id", "--app-specific=" + MachineId.APP_ID).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();

    assertThat(MachineId.local()).contains(out);
    assertThat(MachineId.local()).as("never the raw id")
        .isNotEqualTo(MachineId.read(MachineId.ETC, MachineId.DBUS));
  }

  @Test
  void read_validFile_withOrWithoutOneNewline(@TempDir Path dir) throws Exception {
    // HRD-3
    assertThat(MachineId.read(Files.writeString(dir.resolve("a"), ID + "\n"), dir.resolve("x")))
        .contains(ID);
    assertThat(MachineId.read(Files.writeString(dir.resolve("b"), ID), dir.resolve("x")))
        .contains(ID);
  }

  @Test
  void read_malformedFile_noId(@TempDir Path dir) throws Exception {
    // HRD-3: anything but the 32 digits is no id, never a guess (fail closed).
    List<String> bad = List.of("", "\n", "uninitialized\n", ID.toUpperCase() + "\n",
        ID.substring(1) + "\n", ID + "0\n", "g" + ID.substring(1) + "\n", ID + "\n\n",
        ID + "\r\n", " " + ID + "\n", ID + " \n", "0".repeat(32) + "\n",
        ID.substring(0, 8) + "-" + ID.substring(8, 31) + "\n", ID + "\n" + ID + "\n",
        ID.substring(0, 31) + "\u00e9\n");
    int i = 0;
    for (String content : bad) {
      Path file = Files.write(dir.resolve("bad-" + i++),
          content.getBytes(StandardCharsets.UTF_8));
      assertThat(MachineId.read(file, dir.resolve("absent"))).as("%s", content.strip())
          .isEmpty();
      assertThat(MachineId.valid(content.endsWith("\n")
          ? content.substring(0, content.length() - 1) : content)).as(content).isFalse();
    }
    assertThat(MachineId.valid(null)).isFalse();
    assertThat(MachineId.valid(ID)).isTrue();
  }

  @Test
  void read_missingFile_fallsBackToDbus_presentInvalidFile_doesNot(@TempDir Path dir)
      throws Exception {
    // HRD-3: D-Bus's id only stands in for a missing /etc/machine-id; an empty or
    // 'uninitialized' one (systemd's first boot) leaves the machine without an id, since the
    // D-Bus file may be a copy from the image it was cloned from.
    Path dbus = Files.writeString(dir.resolve("dbus-machine-id"), ID + "\n");
    assertThat(MachineId.read(dir.resolve("absent"), dbus)).contains(ID);
    Path uninitialized = Files.writeString(dir.resolve("machine-id"), "uninitialized\n");
    assertThat(MachineId.read(uninitialized, dbus)).isEmpty();
    assertThat(MachineId.read(Files.writeString(dir.resolve("empty"), ""), dbus)).isEmpty();
    assertThat(MachineId.read(dir.resolve("absent"), dir.resolve("absent-too"))).isEmpty();
    assertThat(MachineId.read(Files.createDirectory(dir.resolve("a-directory")), dbus))
        .as("not a regular file").isEmpty();
  }

  @Test
  void read_fifo_noIdWithoutBlocking(@TempDir Path dir) throws Exception {
    // HRD-3: a FIFO at the path would block a reader forever; it is no id.
    Path fifo = dir.resolve("fifo");
    Process p = new ProcessBuilder(RequiredProgram.require("mkfifo").toString(),
        fifo.toString()).redirectErrorStream(true).start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();

    assertThat(MachineId.read(fifo, dir.resolve("absent"))).isEqualTo(Optional.empty());
  }

  @Test
  void read_danglingLink_noIdAndNoFallback(@TempDir Path dir) throws Exception {
    // HRD-3: a broken /etc/machine-id never sends the reader to D-Bus's (perhaps cloned) copy.
    Path link = Files.createSymbolicLink(dir.resolve("machine-id"), dir.resolve("gone"));
    Path dbus = Files.writeString(dir.resolve("dbus"), ID + "\n");
    assertThat(MachineId.read(link, dbus)).isEmpty();
  }
}
