/**
 * Implementation details shared between fanout's modules. Not part of the public API: anything here
 * may change in any release.
 */
package dev.fanout.internal;
