package org.neguard.progress;

/**
 * Told how far a long operation has come. Called from worker threads: implementations must be
 * thread-safe and quick.
 */
@FunctionalInterface
public interface ProgressListener {
  /** Does nothing. */
  ProgressListener NONE = (done, total) -> {};

  /**
   * @param doneBytes bytes processed so far
   * @param totalBytes bytes to process in all
   */
  void progress(long doneBytes, long totalBytes);
}
