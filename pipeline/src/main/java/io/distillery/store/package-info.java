/**
 * Artifact storage through Hadoop's file system API: atomic commits, {@code metadata.json}, content hashes, and the
 * soft-target store's schema and layouts: dense logits, or the top-k classes ({@link io.distillery.store.TopKLogits},
 * {@link io.distillery.store.StoreLayout}) with float16 values ({@link io.distillery.store.Half}), read back as dense
 * teacher logits for training by {@link io.distillery.store.TeacherTargets}.
 */
package io.distillery.store;
