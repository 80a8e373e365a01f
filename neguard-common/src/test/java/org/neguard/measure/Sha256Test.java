package org.neguard.measure;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Sha256Test {
  // FIPS 180-2 example "abc".
  static final String ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

  @Test
  void bytesStreamedDigestAndFileAllSpellTheSameLowerCaseHex(@TempDir Path dir) throws Exception {
    byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);
    var d = Sha256.newDigest();
    d.update(abc);
    Path file = Files.write(dir.resolve("abc"), abc);

    assertThat(Sha256.hex(abc)).isEqualTo(ABC);
    assertThat(Sha256.hex(d)).isEqualTo(ABC);
    assertThat(Sha256.hex(file)).isEqualTo(ABC);
  }

  @Test
  void aFileLargerThanTheReadBufferIsDigestedWhole(@TempDir Path dir) throws Exception {
    byte[] big = new byte[200_000];
    big[big.length - 1] = 1;
    Path file = Files.write(dir.resolve("big"), big);

    assertThat(Sha256.hex(file)).isEqualTo(Sha256.hex(big)).hasSize(64);
  }
}
