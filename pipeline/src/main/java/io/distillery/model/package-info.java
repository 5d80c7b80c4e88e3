/**
 * Model architectures from config ({@link io.distillery.model.ModelFactory}), model artifacts on any Hadoop file
 * system, and inference that yields raw logits and tapped layer activations.
 */
package io.distillery.model;
