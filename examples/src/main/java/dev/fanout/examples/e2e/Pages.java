package dev.fanout.examples.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads a post page and the version marker it prints ({@code data-version="n"}). */
final class Pages {
  private static final Pattern VERSION = Pattern.compile("data-version=\"(\\d+)\"");

  /** One read: status (0 when nothing answered), version (-1 without a marker), cache header. */
  record Page(int status, long version, String cache) {
    boolean is(long v) {
      return status == 200 && version == v;
    }

    @Override
    public String toString() {
      return status == 0 ? "no answer" : status != 200 ? "HTTP " + status
          : "v" + version + (cache == null ? "" : " " + cache);
    }
  }

  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2))
      .followRedirects(HttpClient.Redirect.NEVER)
      .build();

  /** GET http://ip:port/path. A pooled connection to a replica that died is retried once. */
  Page get(String ip, int port, String path) {
    HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + ip + ":" + port + path))
        .timeout(Duration.ofSeconds(10)).build();
    for (int attempt = 1; ; attempt++) {
      try {
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        Matcher m = VERSION.matcher(r.body());
        String cache = r.headers().firstValue("x-cache")
            .or(() -> r.headers().firstValue("x-nextjs-cache")).orElse(null);
        return new Page(r.statusCode(), m.find() ? Long.parseLong(m.group(1)) : -1, cache);
      } catch (IOException e) {
        if (attempt == 2) {
          return new Page(0, -1, null);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new Page(0, -1, null);
      }
    }
  }
}
