package org.neguard.server.console;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.neguard.server.TestServer;
import org.neguard.testing.RequiredProgram;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's Chromium, headless, driven through Debian's chromedriver (issue 18): a browser for a
 * console test, with its own profile (so its own cookies). Both programs are required: a test
 * fails in CI when either is missing.
 */
public final class Browser implements AutoCloseable {
  /** Where each page's screenshot is kept as a test artefact. */
  public static final Path SCREENSHOTS = Path.of("target", "console-screenshots");

  public final ChromeDriver driver;
  private final URI base;
  private final Path profile;

  private Browser(ChromeDriver driver, URI base, Path profile) {
    this.driver = driver;
    this.base = base;
    this.profile = profile;
  }

  public static Browser start(URI base) throws IOException {
    Path chromium = RequiredProgram.require("chromium");
    Path chromedriver = RequiredProgram.require("chromedriver");
    Path profile = Files.createTempDirectory("neguard-console-browser-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toFile());
    // --no-sandbox: the tests run as root in CI, where Chromium's sandbox refuses to start.
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu",
        "--disable-dev-shm-usage", "--window-size=1280,1000", "--no-first-run",
        "--disable-extensions", "--user-data-dir=" + profile);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(chromedriver.toFile()).usingAnyFreePort().build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    return new Browser(driver, base, profile);
  }

  /** Opens a path of the server. */
  public Browser open(String path) {
    driver.get(base.resolve(path).toString());
    return this;
  }

  /** Logs in through the console's form; returns the page reached. */
  public String login(String user, String password) {
    open("/console/login");
    driver.findElement(By.id("username")).sendKeys(user);
    driver.findElement(By.id("password")).sendKeys(password);
    String before = driver.getCurrentUrl();
    driver.findElement(By.id("login")).click();
    // The form's answer is a redirect: wait for it rather than read the old page's address.
    new WebDriverWait(driver, Duration.ofSeconds(20))
        .until(d -> !d.getCurrentUrl().equals(before));
    return driver.getCurrentUrl();
  }

  public void logout() {
    driver.findElement(By.id("logout")).click();
    new WebDriverWait(driver, Duration.ofSeconds(20))
        .until(d -> d.getCurrentUrl().contains("/console/login?logout"));
  }

  public String path() {
    return URI.create(driver.getCurrentUrl()).getPath();
  }

  /**
   * The path once it starts with {@code prefix}: a form's answer is a redirect, and the old
   * page's address may still be current right after the click.
   */
  public String waitForPath(String prefix, Duration timeout) {
    new WebDriverWait(driver, timeout).until(d -> path().startsWith(prefix));
    return path();
  }

  /** The text of element {@code id}, read again when a live part replaced it meanwhile. */
  public String text(String id) {
    for (int i = 0; ; i++) {
      try {
        return driver.findElement(By.id(id)).getText();
      } catch (org.openqa.selenium.StaleElementReferenceException e) {
        if (i == 5) {
          throw e;
        }
      }
    }
  }

  public boolean has(String id) {
    return !driver.findElements(By.id(id)).isEmpty();
  }

  public WebElement element(String id) {
    return driver.findElement(By.id(id));
  }

  public void click(String id) {
    driver.findElement(By.id(id)).click();
  }

  /** Waits until the element {@code id} shows {@code text}. */
  public void waitForText(String id, String text, Duration timeout) {
    // The live parts are swapped whole: an element found may be replaced before it is read.
    new WebDriverWait(driver, timeout)
        .ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(d -> {
      var found = d.findElements(By.id(id));
      return !found.isEmpty() && found.get(0).getText().contains(text);
    });
  }

  /** Saves the current page as target/console-screenshots/{name}.png. */
  public void screenshot(String name) {
    try {
      Files.createDirectories(SCREENSHOTS);
      Files.write(SCREENSHOTS.resolve(name + ".png"), driver.getScreenshotAs(OutputType.BYTES));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      driver.quit();
    } finally {
      TestServer.delete(profile);
    }
  }
}
