package org.neguard.server.console;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.neguard.server.web.WatchedInputStream;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Lets a browser read the upload form's refusal (issue 18, SRC-1). A browser sends a form's
 * whole body before it reads the answer; when the server answers a refused upload (a bundle over
 * the size limit above all) and closes the connection while the body is still coming, the
 * browser shows a dropped connection, not the page saying why. So once {@link
 * PackageUploadForm} has refused (it marks the request {@link #REFUSED}) and its page is
 * rendered, this filter sends the page, then reads and drops what is left of the body, so that
 * the browser finishes sending and reads the page.
 *
 * <p>Bounded: all the body the server ever reads of a refused form, what the handler read and
 * what is dropped here, is at most what an accepted upload may send (the size limit and the
 * form's {@link PackageUploadForm#ENVELOPE}) and {@link #DRAIN_MAX} more. A declared length past
 * that is not read at all (its end would never be reached: the page goes out and the connection
 * is closed at once, as before); a body without a length is dropped up to the bound and the
 * connection is then closed (Tomcat reads at most {@code NeguardServer.MAX_SWALLOW_BYTES} more),
 * so a client sending 10 GiB holds a thread for the bound's bytes only. Nothing dropped is kept
 * or parsed. Only the handler's refusals are drained, so only for a signed-in publisher (the
 * role is checked before the handler); an anonymous or other-role request keeps Tomcat's small
 * swallow bound. A client that sent {@code Expect: 100-continue} and whose body was never read
 * (a declared length refused before the body) never got {@code 100 Continue} ({@code
 * TomcatTuning}): it sends no body, so none is waited for; the refusal is its final answer.
 */
final class RefusedUploadDrain extends OncePerRequestFilter {
  /** The most of a refused form's body read and dropped beyond what an accepted one may send. */
  static final long DRAIN_MAX = 64L << 20;
  /** The request attribute by which the form's handler says that it refused the upload. */
  static final String REFUSED = RefusedUploadDrain.class.getName() + ".refused";

  /** All the body of a refused form the server reads, the handler's part included. */
  private final long bound;

  RefusedUploadDrain(long maxUploadBytes) {
    this.bound = maxUploadBytes + PackageUploadForm.ENVELOPE + DRAIN_MAX;
  }

  /** Ahead of the security chain, so that its headers and the session are final when it drains. */
  @Configuration(proxyBeanMethods = false)
  static class Registration {
    @Bean
    FilterRegistrationBean<RefusedUploadDrain> refusedUploadDrain(
        @Value("${neguard.max-upload-bytes}") long maxUploadBytes) {
      FilterRegistrationBean<RefusedUploadDrain> b =
          new FilterRegistrationBean<>(new RefusedUploadDrain(maxUploadBytes));
      // After web.BodyLimitFilter (first), which marks a refusal Connection: close.
      b.setOrder(Ordered.HIGHEST_PRECEDENCE + 1);
      b.addUrlPatterns(PackageUploadForm.PATH);
      return b;
    }
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response,
      FilterChain chain) throws ServletException, IOException {
    if (!ConsoleSecurity.UPLOAD.matches(request)) {
      chain.doFilter(request, response);
      return;
    }
    Counted counted = new Counted(request);
    chain.doFilter(counted, response);
    if (request.getAttribute(REFUSED) == null) {
      return;
    }
    long left = toDrain(request, counted);
    if (left <= 0) {
      return;
    }
    // The page first: a client that reads while it sends (curl) has it at once.
    response.flushBuffer();
    drain(counted.getInputStream(), left);
  }

  /** How much more of the body to read and drop: 0 when none is coming or its end is too far. */
  private long toDrain(HttpServletRequest request, Counted counted) {
    String expect = request.getHeader("Expect");
    if (expect != null && expect.equalsIgnoreCase("100-continue") && !counted.readFrom) {
      return 0;
    }
    if (request.getContentLengthLong() > bound) {
      return 0;
    }
    return bound - counted.read;
  }

  /** Reads and drops at most {@code most} bytes, or to the body's end, or until the client is gone. */
  private static void drain(ServletInputStream in, long most) {
    byte[] buf = new byte[64 * 1024];
    long left = most;
    try {
      while (left > 0) {
        int n = in.read(buf, 0, (int) Math.min(buf.length, left));
        if (n < 0) {
          return;
        }
        left -= n;
      }
    } catch (IOException e) {
      // The client went away, or broke the body off: nothing more to wait for.
    }
  }

  /** The request whose body's bytes are counted, and whether it was read from at all. */
  private static final class Counted extends HttpServletRequestWrapper {
    private ServletInputStream stream;
    private long read;
    private boolean readFrom;

    Counted(HttpServletRequest request) {
      super(request);
    }

    @Override
    public ServletInputStream getInputStream() throws IOException {
      if (stream == null) {
        stream = new WatchedInputStream(super.getInputStream()) {
          @Override
          protected void reading() {
            readFrom = true;
          }

          @Override
          protected void got(int n) {
            read += n;
          }
        };
      }
      return stream;
    }
  }
}
