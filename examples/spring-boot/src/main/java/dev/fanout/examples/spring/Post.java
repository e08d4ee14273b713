package dev.fanout.examples.spring;

/** A post as stored, with a version that each update raises. */
public record Post(long id, String title, long version) {}
