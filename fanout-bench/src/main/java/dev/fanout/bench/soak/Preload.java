package dev.fanout.bench.soak;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Loads every class of a package tree from the class path's directories before the run. Run from
 * {@code target/classes} (as {@code exec:exec} does), the JVM opens a file for each class it loads
 * the first time, so a class first needed while the process is out of file descriptors would fail
 * with {@code NoClassDefFoundError}, breaking whichever code path needed it; a JVM that loads from
 * jars keeps them open and never meets this. Preloading makes the soak measure the library, not
 * the layout of its class path.
 */
final class Preload {
  private Preload() {}

  /**
   * Loads (without initializing) every class under {@code prefix}, e.g. {@code dev/fanout/}, found
   * in the class path's directories.
   *
   * @param prefix a package path ending in {@code /}
   * @return how many classes were loaded
   */
  static int classes(String prefix) {
    int loaded = 0;
    ClassLoader loader = Preload.class.getClassLoader();
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      Path root = Path.of(entry);
      Path dir = root.resolve(prefix);
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
          String name = root.relativize(p).toString().replace(java.io.File.separatorChar, '.');
          try {
            Class.forName(name.substring(0, name.length() - ".class".length()), false, loader);
            loaded++;
          } catch (ClassNotFoundException | LinkageError e) {
            // not loadable on its own (e.g. a test-only class): the run does not need it
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return loaded;
  }
}
