/**
 * ONNX: the exporter of DL4J networks to ONNX models, and ONNX Runtime sessions that run ONNX teachers on the
 * executors.
 */
package io.distillery.onnx;
