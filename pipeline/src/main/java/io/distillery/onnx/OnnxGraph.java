package io.distillery.onnx;

import onnx.Onnx;
import org.nd4j.shade.protobuf.ByteString;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A small builder over ONNX's generated protobuf classes (the ones bundled with nd4j-api): nodes, float and int64
 * initializers, float inputs and outputs with a symbolic batch dimension, and the model wrapper with its IR version
 * and opset. Names of intermediate values are made unique here, so exporters only name what users see.
 */
final class OnnxGraph {
    /** IR version 7 (ONNX 1.7) and opset 13: old enough for every runtime still in use, new enough for Flatten etc. */
    static final long IR_VERSION = 7;
    static final long OPSET = 13;
    static final String BATCH = "batch";

    private final Onnx.GraphProto.Builder graph = Onnx.GraphProto.newBuilder();
    private int counter;

    OnnxGraph(String name) {
        graph.setName(name);
    }

    /** A fresh value name derived from {@code hint}. */
    String fresh(String hint) {
        return hint + "__" + (counter++);
    }

    /** Adds a node and returns its (single) output name, fresh unless {@code output} is given. */
    String node(String op, String output, String[] inputs, Onnx.AttributeProto... attributes) {
        String out = output != null ? output : fresh(op.toLowerCase(java.util.Locale.ROOT));
        Onnx.NodeProto.Builder n = Onnx.NodeProto.newBuilder().setOpType(op).setName(fresh("n_" + op)).addOutput(out);
        for (String in : inputs) {
            n.addInput(in);
        }
        for (Onnx.AttributeProto a : attributes) {
            n.addAttribute(a);
        }
        graph.addNode(n);
        return out;
    }

    /** A float32 constant tensor of {@code dims} holding {@code values} (row-major). */
    String floats(String hint, long[] dims, float[] values) {
        String name = fresh(hint);
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            bytes.putFloat(v);
        }
        Onnx.TensorProto.Builder t = Onnx.TensorProto.newBuilder().setName(name)
                .setDataType(Onnx.TensorProto.DataType.FLOAT).setRawData(ByteString.copyFrom(bytes.array()));
        for (long d : dims) {
            t.addDims(d);
        }
        graph.addInitializer(t);
        return name;
    }

    /** An int8 constant tensor of {@code dims} holding {@code values} (row-major): quantised weights. */
    String int8s(String hint, long[] dims, byte[] values) {
        String name = fresh(hint);
        Onnx.TensorProto.Builder t = Onnx.TensorProto.newBuilder().setName(name)
                .setDataType(Onnx.TensorProto.DataType.INT8).setRawData(ByteString.copyFrom(values));
        for (long d : dims) {
            t.addDims(d);
        }
        graph.addInitializer(t);
        return name;
    }

    /** An int64 constant vector (shapes for Reshape). */
    String int64s(String hint, long[] values) {
        String name = fresh(hint);
        Onnx.TensorProto.Builder t = Onnx.TensorProto.newBuilder().setName(name)
                .setDataType(Onnx.TensorProto.DataType.INT64).addDims(values.length);
        for (long v : values) {
            t.addInt64Data(v);
        }
        graph.addInitializer(t);
        return name;
    }

    /** Declares a float graph input {@code [batch, dims...]}. */
    void input(String name, long... dims) {
        graph.addInput(valueInfo(name, dims));
    }

    /** Declares a float graph output {@code [batch, dims...]}. */
    void output(String name, long... dims) {
        graph.addOutput(valueInfo(name, dims));
    }

    private static Onnx.ValueInfoProto valueInfo(String name, long[] dims) {
        Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder();
        shape.addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam(BATCH));
        for (long d : dims) {
            shape.addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return Onnx.ValueInfoProto.newBuilder().setName(name).setType(Onnx.TypeProto.newBuilder()
                .setTensorType(Onnx.TypeProto.Tensor.newBuilder().setElemType(Onnx.TensorProto.DataType.FLOAT)
                        .setShape(shape))).build();
    }

    static Onnx.AttributeProto ints(String name, long... values) {
        Onnx.AttributeProto.Builder a = Onnx.AttributeProto.newBuilder().setName(name)
                .setType(Onnx.AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    static Onnx.AttributeProto integer(String name, long value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INT)
                .setI(value).build();
    }

    static Onnx.AttributeProto real(String name, float value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.FLOAT)
                .setF(value).build();
    }

    /** The serialized model around the graph built so far. */
    byte[] model(String producer, String docString) {
        return Onnx.ModelProto.newBuilder().setIrVersion(IR_VERSION).setProducerName(producer)
                .setDocString(docString)
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(graph).build().toByteArray();
    }
}
