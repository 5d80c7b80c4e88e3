/**
 * Immutable run configuration loaded from HOCON ({@code reference.conf} defaults, the run file, environment and
 * {@code -P key=value} overrides), validated with every problem reported at once. Free of Spark and DL4J.
 */
package io.distillery.config;
