/**
 * Journals shipped with the core: {@link dev.fanout.journal.InMemoryJournal}, the default. Durable
 * journals live in their own modules ({@code fanout-jdbc}).
 */
package dev.fanout.journal;
