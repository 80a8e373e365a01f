package org.neguard.server.attest;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.neguard.api.device.AttestationChallenge;

/**
 * The known components of each open challenge ({@link Pve#challenge}), computed once per nonce:
 * a poll answered in full (a changed ETag, or an NE that never sends {@code If-None-Match})
 * would otherwise read the device's references again each time, a few statements per poll
 * that a misbehaving NE could ask for at will.
 *
 * <p>A list kept for a challenge's life can be stale: a reference changed since names a digest
 * the NE no longer matches. That is safe: the NE omits the files only of a component at a
 * digest the list names, the judgement compares it with the reference of the moment, and a
 * difference is a mismatch either way (only the files it could have named are missing).
 *
 * <p>Bounded: every {@link #SWEEP_EVERY} lists kept, and whenever {@code max} are kept, the
 * expired ones are dropped (a challenge answered through another replica, or not at all, is
 * not {@link #forget forgotten} here: it expires); when none has expired the list is computed
 * and not kept. Per replica: another replica computes its own once. Thread-safe.
 */
final class KnownLists {
  /** Lists kept between two sweeps of the expired ones. */
  static final int SWEEP_EVERY = 1024;

  private final int max;
  private final Map<String, Entry> byNonce = new ConcurrentHashMap<>();
  private final AtomicInteger kept = new AtomicInteger();

  private record Entry(Instant expiresAt, List<AttestationChallenge.KnownComponent> known) {}

  /**
   * @throws IllegalArgumentException if {@code max < 1}
   */
  KnownLists(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max < 1: " + max);
    }
    this.max = max;
  }

  /**
   * The list for {@code nonce}, from {@code compute} at its first use; a null from it (the
   * references could not be read) is returned and not kept, so the next poll tries again.
   */
  List<AttestationChallenge.KnownComponent> get(String nonce, Instant expiresAt, Instant now,
      Supplier<List<AttestationChallenge.KnownComponent>> compute) {
    Entry e = byNonce.get(nonce);
    if (e != null) {
      return e.known();
    }
    List<AttestationChallenge.KnownComponent> known = compute.get();
    if (known == null) {
      return null;
    }
    if (byNonce.size() >= max || kept.incrementAndGet() % SWEEP_EVERY == 0) {
      byNonce.values().removeIf(x -> !x.expiresAt().isAfter(now));
    }
    if (byNonce.size() < max) {
      // Two polls at once may both compute; the lists are equal, the first kept.
      Entry kept = byNonce.putIfAbsent(nonce, new Entry(expiresAt, List.copyOf(known)));
      return kept == null ? known : kept.known();
    }
    return known;
  }

  /** Drops the list of an answered challenge: it is asked for no more. */
  void forget(String nonce) {
    byNonce.remove(nonce);
  }

  int size() {
    return byNonce.size();
  }
}
