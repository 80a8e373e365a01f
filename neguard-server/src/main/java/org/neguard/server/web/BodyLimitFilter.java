package org.neguard.server.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Bounds every request body but the package upload (which streams to disk under its own limit)
 * to {@link #MAX_BYTES}, so that nobody, signed in or not, can make the server buffer a huge
 * JSON document in memory.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
final class BodyLimitFilter extends OncePerRequestFilter {
  static final long MAX_BYTES = 1 << 20;

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response,
      FilterChain chain) throws ServletException, IOException {
    if ("POST".equals(request.getMethod()) && "/api/packages".equals(request.getRequestURI())) {
      chain.doFilter(request, response);
      return;
    }
    if (request.getContentLengthLong() > MAX_BYTES) {
      Problems.write(response, 413, Reason.of(ReasonCode.SIZE_LIMIT,
          "the request body is larger than " + MAX_BYTES + " bytes"));
      return;
    }
    chain.doFilter(new Bounded(request), response);
  }

  /** Stops reading a body without a Content-Length (chunked) at the limit. */
  private static final class Bounded extends HttpServletRequestWrapper {
    private ServletInputStream stream;

    Bounded(HttpServletRequest request) {
      super(request);
    }

    @Override
    public ServletInputStream getInputStream() throws IOException {
      if (stream == null) {
        ServletInputStream in = super.getInputStream();
        stream = new ServletInputStream() {
          private long read;

          @Override
          public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
              count(1);
            }
            return b;
          }

          @Override
          public int read(byte[] buf, int off, int len) throws IOException {
            int n = in.read(buf, off, len);
            if (n > 0) {
              count(n);
            }
            return n;
          }

          private void count(int n) throws IOException {
            read += n;
            if (read > MAX_BYTES) {
              throw new IOException("request body larger than " + MAX_BYTES + " bytes");
            }
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
        };
      }
      return stream;
    }
  }
}
