/**
 * Model architectures from config ({@link io.distillery.model.ModelFactory}), model artifacts on any Hadoop file
 * system, inference that yields raw logits and tapped layer activations, and the training graph a student with
 * feature or relation loss terms is trained as ({@link io.distillery.model.TrainingGraph}).
 */
package io.distillery.model;
