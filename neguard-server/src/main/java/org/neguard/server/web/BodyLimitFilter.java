package org.neguard.server.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Bounds every request body but the package upload (which streams to disk under its own limit)
 * and the upload of targets signed offline (bounded by its controller)
 * to {@link #MAX_BYTES}, so that nobody, signed in or not, can make the server buffer a huge
 * JSON document in memory. And marks every refusal of a request that carries a body {@code
 * Connection: close}: the server then reads and drops at most {@code
 * NeguardServer.MAX_SWALLOW_BYTES} of what is left of it and closes the connection, so that an
 * anonymous client declaring a gigabyte is not read in full before its 401 or 413.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
final class BodyLimitFilter extends OncePerRequestFilter {
  static final long MAX_BYTES = 1 << 20;
  /**
   * A device's evidence (and the feedback that carries its completion evidence) lists every
   * measured file: up to 16 MiB, on the agents' port only, where the device is authenticated by
   * its certificate before a byte of the body is read.
   */
  static final long MAX_EVIDENCE_BYTES = 16L << 20;
  private static final java.util.Set<String> EVIDENCE_PATHS =
      java.util.Set.of("/api/device/v1/evidence", "/api/device/v1/feedback",
          // What an NE runs (issue 16): 20,000 packages are some MiB; the controller bounds it
          // to its own, smaller limit.
          "/api/device/v1/packages",
          // A socket inventory: its controller bounds it, and records a refused one as the
          // device's verdict (a refusal here would leave the device at its last PASS).
          "/api/device/v1/inventory");

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response,
      FilterChain chain) throws ServletException, IOException {
    if (hasBody(request)) {
      response = new CloseOnRefusal(response);
    }
    // The package upload (the API's and the console's form) streams to disk; a targets signed offline lists every package (some
    // MiB for ten thousand): each bounds its own body, after authentication.
    if ("POST".equals(request.getMethod()) && ("/api/packages".equals(request.getRequestURI())
        || ("/console/packages/upload".equals(request.getRequestURI())
            && String.valueOf(request.getContentType()).startsWith("multipart/form-data"))
        || "/api/repo/targets".equals(request.getRequestURI()))) {
      chain.doFilter(request, response);
      return;
    }
    long max = "POST".equals(request.getMethod())
        && EVIDENCE_PATHS.contains(request.getRequestURI()) ? MAX_EVIDENCE_BYTES : MAX_BYTES;
    if (request.getContentLengthLong() > max) {
      Problems.write(response, Reason.of(ReasonCode.SIZE_LIMIT,
          "the request body is larger than " + max + " bytes"));
      return;
    }
    chain.doFilter(new Bounded(request, max), response);
  }

  private static boolean hasBody(HttpServletRequest request) {
    return request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null;
  }

  /**
   * Adds {@code Connection: close} to an answer of 400 or above, whoever gives it (a filter, the
   * security chain, a handler), before anything is sent.
   */
  private static final class CloseOnRefusal extends HttpServletResponseWrapper {
    CloseOnRefusal(HttpServletResponse response) {
      super(response);
    }

    private void closeIfRefusal(int status) {
      if (status >= 400 && !isCommitted()) {
        setHeader("Connection", "close");
      }
    }

    @Override
    public void setStatus(int sc) {
      closeIfRefusal(sc);
      super.setStatus(sc);
    }

    @Override
    public void sendError(int sc) throws IOException {
      closeIfRefusal(sc);
      super.sendError(sc);
    }

    @Override
    public void sendError(int sc, String msg) throws IOException {
      closeIfRefusal(sc);
      super.sendError(sc, msg);
    }
  }

  /** A body without a Content-Length (chunked) that passed the limit: 413, not "broke off". */
  static final class TooLarge extends IOException {
    private static final long serialVersionUID = 1L;

    TooLarge(long max) {
      super("the request body is larger than " + max + " bytes");
    }
  }

  /** Stops reading a body without a Content-Length (chunked) at the limit. */
  private static final class Bounded extends HttpServletRequestWrapper {
    private final long max;
    private ServletInputStream stream;

    Bounded(HttpServletRequest request, long max) {
      super(request);
      this.max = max;
    }

    @Override
    public ServletInputStream getInputStream() throws IOException {
      if (stream == null) {
        stream = new WatchedInputStream(super.getInputStream()) {
          private long read;

          @Override
          protected void got(int n) throws IOException {
            read += n;
            if (read > max) {
              throw new TooLarge(max);
            }
          }
        };
      }
      return stream;
    }
  }
}
