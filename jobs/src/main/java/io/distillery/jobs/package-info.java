/**
 * The Spark applications, one class per job with a {@code run(JobContext)} entry point: train-teacher,
 * soft-targets, distill (and its baseline), evaluate, and the {@code run} pipeline that chains them.
 */
package io.distillery.jobs;
