package dev.fanout.receiver;

import dev.fanout.Invalidation;
import dev.fanout.http.WebhookSigner;
import dev.fanout.internal.InvalidationJson;
import dev.fanout.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** Shared secrets, signed requests and a recording handler for the receiver tests. */
final class Fixtures {
  /** 32 random bytes, generated once for these tests. */
  static final String SECRET = "whsec_X7dyXZHZA5MIUxZAy2AKb6Rnne4pCbiofJq03v+GuzI=";
  /** The same key without the prefix. */
  static final String SECRET_PLAIN = SECRET.substring("whsec_".length());
  /** Another 32-byte key, the "old" one of a rotation. */
  static final String OLD_SECRET = "whsec_3ax85GIIcc38DL63TBpb1mSy41yPYxSvFY/26JWMHcM=";
  /** A third key nobody configured. */
  static final String OTHER_SECRET = "whsec_QmvUpCq4RwCd13Cbt35+PomfAlbvi0fR4R8c6VXbMxA=";

  private Fixtures() {}

  /** A request as the receiver sees it. */
  record Req(String method, Map<String, List<String>> headers, byte[] body) {
    Req with(String header, String... values) {
      Map<String, List<String>> h = new LinkedHashMap<>(headers);
      h.put(header, values.length == 0 ? null : List.of(values));
      return new Req(method, h, body);
    }

    Req without(String header) {
      Map<String, List<String>> h = new LinkedHashMap<>(headers);
      h.remove(header);
      return new Req(method, h, body);
    }

    Req method(String m) {
      return new Req(m, headers, body);
    }

    Req body(byte[] b) {
      return new Req(method, headers, b);
    }

    String header(String name) {
      return headers.get(name).get(0);
    }
  }

  /** Quotes a string as JSON, escaping everything outside printable ASCII as {@code \\uXXXX}. */
  static String jsonString(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20 || c > 0x7e) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Signs {@code body} with {@code secret} as {@code id} at {@code timestamp}. */
  static Req signed(String secret, String id, long timestamp, byte[] body) {
    Map<String, List<String>> h = new LinkedHashMap<>();
    h.put("content-type", List.of("application/json"));
    h.put("webhook-id", List.of(id));
    h.put("webhook-timestamp", List.of(Long.toString(timestamp)));
    h.put("webhook-signature", List.of(WebhookSigner.of(secret).sign(id, timestamp, body)));
    return new Req("POST", h, body);
  }

  /** Signs the wire form of {@code inv} with {@link #SECRET} at the clock's time. */
  static Req signed(Invalidation inv, ManualClock clock) {
    return signed(SECRET, inv.id(), clock.instant().getEpochSecond(), InvalidationJson.encode(inv));
  }

  /** Signs a raw JSON body with {@link #SECRET} at the clock's time. */
  static Req signedJson(String id, String json, ManualClock clock) {
    return signed(SECRET, id, clock.instant().getEpochSecond(), utf8(json));
  }

  /** Records every invalidation its handler receives. */
  static final class Recorder implements Consumer<Invalidation> {
    final List<Invalidation> seen = new CopyOnWriteArrayList<>();

    @Override
    public void accept(Invalidation inv) {
      seen.add(inv);
    }

    List<String> ids() {
      List<String> out = new ArrayList<>();
      seen.forEach(i -> out.add(i.id()));
      return out;
    }
  }

  static InvalidationReceiver.Response handle(InvalidationReceiver r, Req req) {
    return r.handle(req.method(), req.headers(), req.body());
  }
}
