package dev.fanout.receiver;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/** An SLF4J logger with every level on that keeps each formatted line, with its throwable chain. */
final class CapturingLogger extends LegacyAbstractLogger {
  private static final long serialVersionUID = 1L;

  final transient List<String> lines = new CopyOnWriteArrayList<>();

  CapturingLogger() {
    this.name = "capture";
  }

  @Override
  protected String getFullyQualifiedCallerName() {
    return null;
  }

  @Override
  protected void handleNormalizedLoggingCall(
      Level level, Marker marker, String pattern, Object[] args, Throwable t) {
    StringBuilder sb = new StringBuilder(level.name()).append(' ')
        .append(MessageFormatter.basicArrayFormat(pattern, args));
    for (Throwable c = t; c != null; c = c.getCause()) {
      sb.append(" | ").append(c);
    }
    lines.add(sb.toString());
  }

  @Override
  public boolean isTraceEnabled() {
    return true;
  }

  @Override
  public boolean isDebugEnabled() {
    return true;
  }

  @Override
  public boolean isInfoEnabled() {
    return true;
  }

  @Override
  public boolean isWarnEnabled() {
    return true;
  }

  @Override
  public boolean isErrorEnabled() {
    return true;
  }
}
