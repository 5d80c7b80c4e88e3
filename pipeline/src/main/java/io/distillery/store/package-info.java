/**
 * Artifact storage through Hadoop's file system API: atomic commits, {@code metadata.json}, content hashes, and the
 * soft-target store's schema.
 */
package io.distillery.store;
