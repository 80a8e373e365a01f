package org.neguard.harden.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** HRD-3: the sweep's connect window on its own (nmap-like congestion control). */
class ConnectWindowTest {
  @Test
  @DisplayName("HRD-3: the window starts at the ceiling the user set and prompt answers never take it past it")
  void answered_firstSyns_neverAboveCeiling() {
    ConnectWindow w = new ConnectWindow(8, 64);
    assertThat(w.size()).isEqualTo(64);
    for (int i = 0; i < 1000; i++) {
      w.answered(false, i, i + 1);
    }
    assertThat(w.size()).isEqualTo(64);
    assertThat(w.shrinks()).isZero();
  }

  @Test
  @DisplayName("HRD-3: an answered retry (a SYN was lost) halves the window, once per flight")
  void answered_retries_halveOncePerFlight() {
    ConnectWindow w = new ConnectWindow(8, 64);
    w.answered(true, 100, 200); // a retry sent at 100 answered at 200: halve
    assertThat(w.size()).isEqualTo(32);
    w.answered(true, 150, 210); // sent before the halving: same flight of losses
    w.answered(true, 200, 220); // sent at the very moment of it: still the same flight
    assertThat(w.size()).isEqualTo(32);
    w.answered(true, 201, 300); // sent after: a new loss, halve again
    assertThat(w.size()).isEqualTo(16);
    assertThat(w.shrinks()).isEqualTo(2);
    assertThat(w.smallest()).isEqualTo(16);
  }

  @Test
  @DisplayName("HRD-3: losses never take the window below its floor; prompt answers grow it back by one each")
  void shrinkThenGrow_floorAndRecovery() {
    ConnectWindow w = new ConnectWindow(8, 64);
    long t = losses(w, 10);
    assertThat(w.size()).isEqualTo(8);
    assertThat(w.shrinks()).isEqualTo(3); // 64 -> 32 -> 16 -> 8, then the floor holds
    for (int i = 0; i < 10; i++) {
      w.answered(false, t, t + 1);
    }
    assertThat(w.size()).isEqualTo(18);
    for (int i = 0; i < 100; i++) {
      w.answered(false, t, t + 1);
    }
    assertThat(w.size()).isEqualTo(64);
    assertThat(w.smallest()).isEqualTo(8);
  }

  @Test
  @DisplayName("HRD-3: nanoTime values that wrap past Long.MAX_VALUE still order the flights")
  void answered_nanoTimeWrap_comparedByDifference() {
    ConnectWindow w = new ConnectWindow(1, 16);
    long before = Long.MAX_VALUE - 5;
    w.answered(true, before, before + 1);
    assertThat(w.size()).isEqualTo(8);
    w.answered(true, before + 3, before + 10); // sent before the halving (at before + 1)? no: after it
    assertThat(w.size()).isEqualTo(4);
    w.answered(true, before + 2, before + 20); // sent before the last halving (before + 10, wrapped)
    assertThat(w.size()).isEqualTo(4);
  }

  @Test
  void upTo_floorIsAnEighth_atLeastFour_atMostTheCeiling() {
    assertThat(drain(ConnectWindow.upTo(256))).isEqualTo(32);
    assertThat(drain(ConnectWindow.upTo(16))).isEqualTo(4);
    assertThat(drain(ConnectWindow.upTo(2))).isEqualTo(2);
    assertThat(drain(ConnectWindow.upTo(1))).isEqualTo(1);
  }

  @Test
  void bounds_outOfOrder_refusedNamingThem() {
    assertThatThrownBy(() -> new ConnectWindow(0, 8)).hasMessageContaining("0..8");
    assertThatThrownBy(() -> new ConnectWindow(9, 8)).hasMessageContaining("9..8");
  }

  private static int drain(ConnectWindow w) {
    losses(w, 64);
    return w.size();
  }

  /** {@code n} answered retries, each sent after the previous one's halving; returns the last time. */
  private static long losses(ConnectWindow w, int n) {
    long t = 0;
    for (int i = 0; i < n; i++) {
      t += 10;
      w.answered(true, t, t + 1);
    }
    return t;
  }
}
