package org.neguard.server.attest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.neguard.api.device.AttestationChallenge.KnownComponent;
import org.junit.jupiter.api.Test;

class KnownListsTest {
  private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");
  private final AtomicInteger reads = new AtomicInteger();

  private Supplier<List<KnownComponent>> read(String nonce) {
    return () -> {
      reads.incrementAndGet();
      return List.of(KnownComponent.of(nonce, "app", "ab".repeat(32)));
    };
  }

  @Test
  void get_sameNonce_computesOnce() {
    KnownLists lists = new KnownLists(10);
    List<KnownComponent> first = lists.get("n1", NOW.plusSeconds(60), NOW, read("n1"));
    for (int i = 0; i < 5; i++) {
      assertThat(lists.get("n1", NOW.plusSeconds(60), NOW, read("n1"))).isEqualTo(first);
    }
    assertThat(reads).hasValue(1);
    lists.get("n2", NOW.plusSeconds(60), NOW, read("n2"));
    assertThat(reads).as("another challenge, another read").hasValue(2);
  }

  @Test
  void get_readFailed_nullNotKept() {
    KnownLists lists = new KnownLists(10);
    assertThat(lists.get("n1", NOW.plusSeconds(60), NOW, () -> {
      reads.incrementAndGet();
      return null;
    })).isNull();
    assertThat(lists.get("n1", NOW.plusSeconds(60), NOW, read("n1"))).hasSize(1);
    assertThat(reads).as("the failure is tried again").hasValue(2);
  }

  @Test
  void forget_answeredChallenge_readAgain() {
    KnownLists lists = new KnownLists(10);
    lists.get("n1", NOW.plusSeconds(60), NOW, read("n1"));
    lists.forget("n1");
    assertThat(lists.size()).isZero();
    lists.get("n1", NOW.plusSeconds(60), NOW, read("n1"));
    assertThat(reads).hasValue(2);
  }

  @Test
  void get_full_dropsExpiredThenStopsKeeping() {
    KnownLists lists = new KnownLists(2);
    lists.get("old", NOW.minusSeconds(1), NOW.minusSeconds(30), read("old"));
    lists.get("live", NOW.plusSeconds(60), NOW, read("live"));
    assertThat(lists.size()).isEqualTo(2);
    lists.get("new", NOW.plusSeconds(60), NOW, read("new"));
    assertThat(lists.size()).as("the expired one made room").isEqualTo(2);
    // Full of live challenges: computed, answered, not kept; memory stays bounded.
    assertThat(lists.get("more", NOW.plusSeconds(60), NOW, read("more"))).hasSize(1);
    assertThat(lists.size()).isEqualTo(2);
    lists.get("more", NOW.plusSeconds(60), NOW, read("more"));
    assertThat(reads).hasValue(5);
  }

  @Test
  void get_everySweepEvery_dropsExpiredBeforeTheBound() {
    // Lists of challenges answered through another replica are never forgotten here: they
    // expire, and are dropped long before the bound.
    KnownLists lists = new KnownLists(1 << 20);
    for (int i = 0; i < KnownLists.SWEEP_EVERY - 1; i++) {
      lists.get("old" + i, NOW.minusSeconds(1), NOW.minusSeconds(60), read("old" + i));
    }
    assertThat(lists.size()).isEqualTo(KnownLists.SWEEP_EVERY - 1);
    lists.get("live", NOW.plusSeconds(60), NOW, read("live"));
    assertThat(lists.size()).as("only the live one left").isEqualTo(1);
  }

  @Test
  void constructor_maxBelowOne_refused() {
    assertThatThrownBy(() -> new KnownLists(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("max < 1: 0");
  }
}
