/**
 * Provenance of every artifact ({@code metadata.json}): versions, resolved config, seed, inputs with content hashes,
 * and the stage-specific facts that consumers check before they run. Free of Spark and DL4J.
 */
package io.distillery.provenance;
