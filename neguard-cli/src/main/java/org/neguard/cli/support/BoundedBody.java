package org.neguard.cli.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A server's answer as text, read no further than a limit: a hostile server, or anyone on the
 * path of a plain-HTTP connection, could otherwise stream until the client runs out of memory.
 * The limit is applied as the bytes arrive, and the connection is cancelled past it.
 */
final class BoundedBody implements HttpResponse.BodySubscriber<String> {
  /** No answer of the server's API comes near this (lists are paged, bundles are streamed). */
  static final int MAX_BYTES = 16 << 20;

  /** Thrown (as the cause of the client's IOException) when an answer is past its limit. */
  static final class TooLarge extends IOException {
    private static final long serialVersionUID = 1L;

    TooLarge(long max) {
      super("the server's answer is larger than " + (max >> 20) + " MiB");
    }
  }

  private final long max;
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
  private final CompletableFuture<String> result = new CompletableFuture<>();
  private Flow.Subscription subscription;

  private BoundedBody(long max) {
    this.max = max;
  }

  /** Answers as UTF-8 text of at most {@code max} bytes. */
  static HttpResponse.BodyHandler<String> handler(long max) {
    if (max < 0) {
      throw new IllegalArgumentException("max < 0: " + max);
    }
    return info -> new BoundedBody(max);
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    s.request(Long.MAX_VALUE);
  }

  @Override
  public void onNext(List<ByteBuffer> items) {
    if (result.isDone()) {
      return;
    }
    for (ByteBuffer b : items) {
      if (buffer.size() + (long) b.remaining() > max) {
        subscription.cancel();
        result.completeExceptionally(new TooLarge(max));
        return;
      }
      byte[] bytes = new byte[b.remaining()];
      b.get(bytes);
      buffer.writeBytes(bytes);
    }
  }

  @Override
  public void onError(Throwable t) {
    result.completeExceptionally(t);
  }

  @Override
  public void onComplete() {
    result.complete(buffer.toString(StandardCharsets.UTF_8));
  }

  @Override
  public CompletionStage<String> getBody() {
    return result;
  }
}
