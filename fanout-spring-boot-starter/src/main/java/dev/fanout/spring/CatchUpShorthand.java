package dev.fanout.spring;

import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.convert.converter.Converter;

/**
 * Binds {@code fanout.stages[i].catch-up: 24h}, the short form of {@code catch-up.window: 24h}, so
 * that the common case reads as {@code Stage.fanout(...).catchUp(Duration.ofHours(24))} does.
 */
final class CatchUpShorthand implements Converter<String, StageProperties.CatchUp> {

  @Override
  public StageProperties.CatchUp convert(String source) {
    // A value that is not a duration fails the binding, and Spring Boot names the property.
    return StageProperties.CatchUp.of(DurationStyle.detectAndParse(source.trim()));
  }
}
