package dev.fanout.k8s;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * The service-account token, read from its file and read again once a minute and whenever the API
 * server answers 401, because the kubelet rotates bound tokens in place (about hourly). The token
 * never leaves this class except as an {@code Authorization} header value; {@link #toString()}
 * names only the file.
 *
 * <p>https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/ (bound
 * tokens: "re-read the token file periodically, once per minute is recommended").
 */
final class TokenSource {
  /** How long a read token is used before the file is read again. */
  static final Duration REREAD_AFTER = Duration.ofMinutes(1);

  /** Tokens are JWTs of a few KiB; a larger file is not a token. */
  private static final long MAX_TOKEN_BYTES = 64 * 1024;

  private final Path file;
  private final Clock clock;
  private String token;
  private Instant readAt;

  TokenSource(Path file, Clock clock) {
    this.file = file;
    this.clock = clock;
  }

  Path file() {
    return file;
  }

  /** Returns the header value {@code Bearer <token>}, re-reading the file when it is due. */
  synchronized String authorization() throws IOException {
    Instant now = clock.instant();
    if (token == null || !now.isBefore(readAt.plus(REREAD_AFTER))) {
      read(now);
    }
    return "Bearer " + token;
  }

  /** Reads the file again now (after a 401). */
  synchronized void refresh() throws IOException {
    read(clock.instant());
  }

  private void read(Instant now) throws IOException {
    if (Files.size(file) > MAX_TOKEN_BYTES) {
      throw new IOException("token file " + file + " is larger than " + MAX_TOKEN_BYTES + " bytes");
    }
    String t = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).strip();
    if (t.isEmpty()) {
      throw new IOException("token file " + file + " is empty");
    }
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        // Never echo the content: it is a credential, even when malformed.
        throw new IOException("token file " + file + " holds characters a header cannot carry");
      }
    }
    token = t;
    readAt = now;
  }

  @Override
  public String toString() {
    return "token from " + file;
  }
}
