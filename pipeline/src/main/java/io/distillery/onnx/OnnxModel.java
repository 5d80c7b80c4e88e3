package io.distillery.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.distillery.config.DistilleryException;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One ONNX Runtime session over a model with a single float input whose first dimension is the batch: its signature
 * (input and output names and shapes) and batched forward passes of flat float rows, returning the requested outputs
 * flattened per row. A session is safe for concurrent {@code run} calls, so one serves every task of an executor.
 */
public final class OnnxModel implements AutoCloseable {
    private final OrtSession session;
    private final String input;
    private final long[] inputDims;
    private final Map<String, long[]> outputs;

    private OnnxModel(OrtSession session, String input, long[] inputDims, Map<String, long[]> outputs) {
        this.session = session;
        this.input = input;
        this.inputDims = inputDims;
        this.outputs = outputs;
    }

    /**
     * Opens a session on {@code model} (the bytes of an {@code .onnx} file).
     *
     * @param source     how messages name the model (e.g. its path)
     * @param intraOpThreads ONNX Runtime's threads per forward pass (1: the calling thread only)
     */
    public static OnnxModel open(byte[] model, String source, int intraOpThreads) {
        OrtSession session;
        try {
            OrtSession.SessionOptions options = new OrtSession.SessionOptions();
            options.setIntraOpNumThreads(Math.max(1, intraOpThreads));
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = OrtEnvironment.getEnvironment().createSession(model, options);
        } catch (OrtException e) {
            throw new DistilleryException("ONNX model " + source + " cannot be loaded by ONNX Runtime (truncated, "
                    + "corrupt or not an ONNX model): " + e.getMessage(), e);
        }
        try {
            Map<String, NodeInfo> inputs = session.getInputInfo();
            if (inputs.size() != 1) {
                throw new DistilleryException("ONNX model " + source + " has " + inputs.size() + " inputs "
                        + inputs.keySet() + "; a teacher must read one float tensor of features.");
            }
            Map.Entry<String, NodeInfo> in = inputs.entrySet().iterator().next();
            long[] inShape = floatTensorShape(in.getValue(), source, "input");
            Map<String, long[]> outs = new LinkedHashMap<>();
            for (Map.Entry<String, NodeInfo> o : session.getOutputInfo().entrySet()) {
                outs.put(o.getKey(), floatTensorShape(o.getValue(), source, "output"));
            }
            return new OnnxModel(session, in.getKey(), Arrays.copyOfRange(inShape, 1, inShape.length), outs);
        } catch (OrtException e) {
            throw new DistilleryException("ONNX model " + source + " has no readable signature: " + e.getMessage(), e);
        }
    }

    private static long[] floatTensorShape(NodeInfo node, String source, String kind) {
        if (!(node.getInfo() instanceof TensorInfo t) || t.type != OnnxJavaType.FLOAT || t.getShape().length < 1) {
            throw new DistilleryException("ONNX model " + source + " has the " + kind + " '" + node.getName()
                    + "' of type " + node.getInfo() + "; a teacher's inputs and outputs must be float tensors "
                    + "[batch, ...].");
        }
        return t.getShape();
    }

    /** The input's name. */
    public String inputName() {
        return input;
    }

    /** The input's dimensions after the batch (-1 where symbolic). */
    public long[] inputDims() {
        return inputDims.clone();
    }

    /** The input's width per row, or -1 when a dimension after the batch is symbolic. */
    public long inputWidth() {
        return width(inputDims);
    }

    /** The outputs' names in the model's order. */
    public List<String> outputNames() {
        return new ArrayList<>(outputs.keySet());
    }

    /** An output's declared dimensions after the batch (-1 where symbolic). */
    public long[] declaredDims(String output) {
        long[] shape = outputs.get(output);
        return Arrays.copyOfRange(shape, 1, shape.length);
    }

    /** Width per row of an output as declared, or -1 when symbolic. */
    public long declaredWidth(String output) {
        long[] shape = outputs.get(output);
        return width(Arrays.copyOfRange(shape, 1, shape.length));
    }

    private static long width(long[] dims) {
        long w = 1;
        for (long d : dims) {
            if (d < 0) {
                return -1;
            }
            w *= d;
        }
        return w;
    }

    /**
     * One forward pass over {@code rows} flat rows (reshaped to the input's declared dimensions, e.g. NCHW).
     *
     * @return per requested output, in {@code names} order, {@code [rows][width]}
     */
    public float[][][] run(float[] features, int rows, List<String> names) {
        long[] shape = new long[inputDims.length + 1];
        shape[0] = rows;
        long rest = rows == 0 ? 0 : features.length / rows;
        for (int i = 0; i < inputDims.length; i++) {
            // A symbolic dimension after the batch takes the row's remaining width (one such dimension at most).
            shape[i + 1] = inputDims[i] >= 0 ? inputDims[i] : rest / Math.max(1, knownProduct());
        }
        Set<String> requested = new LinkedHashSet<>(names);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(features), shape);
             OrtSession.Result result = session.run(Map.of(input, x), requested)) {
            float[][][] out = new float[names.size()][][];
            for (int k = 0; k < names.size(); k++) {
                OnnxValue value = result.get(names.get(k)).orElseThrow();
                FloatBuffer buffer = ((OnnxTensor) value).getFloatBuffer();
                int width = rows == 0 ? 0 : buffer.remaining() / rows;
                float[][] m = new float[rows][width];
                for (int r = 0; r < rows; r++) {
                    buffer.get(m[r]);
                }
                out[k] = m;
            }
            return out;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on a batch of " + rows + " rows: " + e.getMessage(),
                    e);
        }
    }

    private long knownProduct() {
        long p = 1;
        for (long d : inputDims) {
            if (d >= 0) {
                p *= d;
            }
        }
        return p;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
