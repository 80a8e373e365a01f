package org.neguard.cli.sim;

import java.io.IOException;
import java.io.OutputStream;
import org.neguard.api.device.Feedback;
import org.neguard.api.device.Poll;
import org.neguard.verdict.RefusalException;

/** What a simulated device asks of the agents' API, over its own mutual-TLS identity. */
interface DeviceLink {
  /**
   * One poll's answer.
   *
   * @param notModified the server answered 304: nothing changed since {@code etag}
   * @param poll the answer's body, or null on 304
   * @param etag the answer's ETag, or null on 304
   */
  record PollAnswer(boolean notModified, Poll poll, String etag) {}

  /** {@code GET /poll}, with {@code If-None-Match: etag} when {@code etag} is not null. */
  PollAnswer poll(String etag) throws IOException, RefusalException;

  /** Streams the bundle {@code sha256} into {@code sink}, resuming with Range after a break. */
  void download(String sha256, OutputStream sink) throws IOException, RefusalException;

  /** {@code POST /feedback}. */
  void feedback(Feedback feedback) throws IOException, RefusalException;
}
