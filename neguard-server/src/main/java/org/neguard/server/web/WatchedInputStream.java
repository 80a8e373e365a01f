package org.neguard.server.web;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import java.io.IOException;

/**
 * A request body read through a wrapper that sees every read: that one was tried, and how many
 * bytes it returned, to count or bound them ({@link BodyLimitFilter}, the console's upload form).
 * One place for the delegation, so that a wrapper cannot miss a read method.
 */
public abstract class WatchedInputStream extends ServletInputStream {
  private final ServletInputStream in;

  protected WatchedInputStream(ServletInputStream in) {
    this.in = in;
  }

  /** Before each read, whatever it returns (the first may send {@code 100 Continue}). */
  protected void reading() {}

  /**
   * After a read that returned {@code n > 0} bytes.
   *
   * @throws IOException to refuse the body there (the read then fails with it)
   */
  protected abstract void got(int n) throws IOException;

  @Override
  public int read() throws IOException {
    reading();
    int b = in.read();
    if (b >= 0) {
      got(1);
    }
    return b;
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    reading();
    int n = in.read(buf, off, len);
    if (n > 0) {
      got(n);
    }
    return n;
  }

  @Override
  public boolean isFinished() {
    return in.isFinished();
  }

  @Override
  public boolean isReady() {
    return in.isReady();
  }

  @Override
  public void setReadListener(ReadListener listener) {
    in.setReadListener(listener);
  }
}
