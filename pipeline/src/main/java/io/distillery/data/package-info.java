/**
 * Reading, validating and writing the datasets Distillery trains on.
 *
 * <p>Every input format (Parquet, CSV, IDX) is turned into one <em>canonical</em> form by {@link
 * io.distillery.data.DatasetReader}: columns {@code id} (long, stable across runs over the same files), {@code label}
 * (int) and {@code features} ({@code array<float>}), plus the configured partition columns. {@link
 * io.distillery.data.DatasetValidator} checks a dataset before any training starts and reports every problem at once
 * as a {@link io.distillery.config.DistilleryException}; {@link io.distillery.data.DatasetWriter} and {@link
 * io.distillery.data.IdxToParquet} write canonical Parquet. {@link io.distillery.data.IdxReader} is plain Java and
 * needs no Spark session.
 */
package io.distillery.data;
