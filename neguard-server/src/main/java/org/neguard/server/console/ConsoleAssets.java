package org.neguard.server.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.ResourceHandlerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The console's static files, from the server's own jars: its style sheet and htmx (the webjar
 * fetched at build time), so that the pages load nothing from elsewhere and CSP can say 'self'.
 */
@Configuration(proxyBeanMethods = false)
class ConsoleAssets implements WebMvcConfigurer {
  /** The path of htmx, with the version of the webjar on the class path. */
  static final String HTMX = "/console/assets/htmx/" + htmxVersion() + "/dist/htmx.min.js";

  @Override
  public void addResourceHandlers(ResourceHandlerRegistry registry) {
    registry.addResourceHandler("/console/assets/htmx/**")
        .addResourceLocations("classpath:/META-INF/resources/webjars/htmx.org/");
    registry.addResourceHandler("/console/assets/*.css")
        .addResourceLocations("classpath:/console-assets/");
  }

  private static String htmxVersion() {
    try (InputStream in = ConsoleAssets.class.getResourceAsStream(
        "/META-INF/maven/org.webjars.npm/htmx.org/pom.properties")) {
      if (in == null) {
        throw new IllegalStateException("htmx (org.webjars.npm:htmx.org) is not on the class path");
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
