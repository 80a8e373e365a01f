package org.neguard.av;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The {@link MemberSizeCheck.Sniffer} that every byte sent to clamd passes (AV-1). */
class MemberSizeCheckTest {
  private static final byte[][] MAGICS = {
    {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0},
    {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3},
    {'B', 'Z', 'h', '9', 0x31, 0x41, 0x59, 0x26, 0x53, 0x59},
    {(byte) 0xfd, '7', 'z', 'X', 'Z', 0, 0, 4, (byte) 0xe6, (byte) 0xd6},
  };

  @Test
  @DisplayName("AV-1: every archive magic is found at its offset however the bytes are chunked")
  void sniffer_anyChunking_findsEveryMagicAtItsOffset() {
    byte[] data = new byte[4000];
    new Random(7).nextBytes(data);
    for (int i = 0; i < data.length; i++) {
      if (data[i] == 'P' || data[i] == 0x1f || data[i] == 'B' || data[i] == (byte) 0xfd) {
        data[i] = 'x'; // no accidental candidates
      }
    }
    List<Long> planted = new ArrayList<>();
    for (int at : new int[] {0, 12, 25, 60, 75, 1000, 2047, 3990}) {
      byte[] m = MAGICS[planted.size() % MAGICS.length];
      System.arraycopy(m, 0, data, at, m.length);
      planted.add((long) at);
    }
    for (int chunk : new int[] {1, 2, 3, 9, 10, 11, 17, 64, 4000}) {
      MemberSizeCheck.Sniffer s = new MemberSizeCheck.Sniffer();
      for (int off = 0; off < data.length; off += chunk) {
        s.update(data, off, Math.min(chunk, data.length - off));
      }
      s.finish();

      assertThat(Arrays.stream(s.offsets, 0, s.count).boxed().toList())
          .as("chunks of " + chunk).containsExactlyElementsOf(planted);
    }
  }

  @Test
  @DisplayName("AV-1: a ZIP header of a stored member and half a magic are not candidates")
  void sniffer_storedMemberOrCutMagic_notACandidate() {
    MemberSizeCheck.Sniffer s = new MemberSizeCheck.Sniffer();
    s.update(new byte[] {'P', 'K', 3, 4, 10, 0, 0, 0, 0, 0, 'x', 'x'}, 0, 12);
    s.update(new byte[] {'x', 0x1f, (byte) 0x8b, 8}, 0, 4);
    s.finish();

    assertThat(s.found()).isFalse();
  }

  @Test
  @DisplayName("AV-1: the sniffer finds exactly what a byte-by-byte search finds, magics at every"
      + " alignment, lead bytes and first pairs of magics everywhere")
  void sniffer_randomContentWithPlantedMagics_matchesByteByByteSearch() {
    Random random = new Random(17);
    for (int round = 0; round < 40; round++) {
      byte[] data = new byte[1 + random.nextInt(20_000)];
      random.nextBytes(data);
      for (int k = random.nextInt(200); k > 0; k--) {
        byte[] m = MAGICS[random.nextInt(MAGICS.length)];
        int at = random.nextInt(data.length);
        // A whole magic, or only its first two bytes or its lead byte: near misses to reject.
        int keep = new int[] {m.length, 2, 1}[random.nextInt(3)];
        System.arraycopy(m, 0, data, at, Math.min(keep, data.length - at));
      }
      List<Long> expected = new ArrayList<>();
      for (int i = 0; i < data.length; i++) {
        if (MemberSizeCheck.Magic.at(data, i, data.length) != MemberSizeCheck.Magic.NONE) {
          expected.add((long) i);
        }
      }
      int chunk = new int[] {1, 7, 10, 64, 4096, 65_536}[round % 6];
      MemberSizeCheck.Sniffer s = new MemberSizeCheck.Sniffer();
      for (int off = 0; off < data.length; off += chunk) {
        s.update(data, off, Math.min(chunk, data.length - off));
      }
      s.finish();

      assertThat(Arrays.stream(s.offsets, 0, s.count).boxed().toList())
          .as("round " + round + ", chunks of " + chunk).containsExactlyElementsOf(expected);
    }
  }

  @Test
  @DisplayName("AV-1: the eight-position pre-test flags every position where a magic's first two"
      + " bytes are")
  void leadPairs_everyPairAtEveryPosition_flagged() {
    for (byte[] m : MAGICS) {
      for (int j = 0; j < 8; j++) {
        byte[] b = new byte[16];
        Arrays.fill(b, (byte) 'x');
        b[j] = m[0];
        b[j + 1] = m[1];
        long w = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0);
        long next = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(1);

        assertThat(MemberSizeCheck.Sniffer.leadPairs(w, next) & (0x80L << (8 * j)))
            .as("magic %02x%02x at %d", m[0], m[1], j).isNotZero();
      }
    }
  }
}
