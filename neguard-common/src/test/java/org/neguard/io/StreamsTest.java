package org.neguard.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import org.junit.jupiter.api.Test;

class StreamsTest {
  @Test
  void readOneGoesThroughTheArrayReadAndGivesUnsignedBytesThenEnd() throws Exception {
    int[] arrayReads = {0};
    ByteArrayInputStream in = new ByteArrayInputStream(new byte[] {(byte) 0xff, 7}) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        arrayReads[0]++;
        return super.read(b, off, len);
      }
    };

    assertThat(Streams.readOne(in)).isEqualTo(255);
    assertThat(Streams.readOne(in)).isEqualTo(7);
    assertThat(Streams.readOne(in)).isEqualTo(-1);
    assertThat(arrayReads[0]).isEqualTo(3);
  }
}
