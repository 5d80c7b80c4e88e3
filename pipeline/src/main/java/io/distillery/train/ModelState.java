package io.distillery.train;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;

/**
 * Everything of one model that moves between the driver and the workers in a round: flat parameters, flat updater
 * state (Adam's moments, so that averaging keeps the optimiser consistent) and the iteration count (Adam's bias
 * correction). Plain float arrays, so it broadcasts without ND4J's Kryo registrations. A class, not a record:
 * Spark's Kryo cannot serialize records. Immutable by convention: nobody writes into the arrays it returns.
 */
public final class ModelState implements Serializable {
    private static final long serialVersionUID = 2L;

    private final float[] params;
    private final float[] updater;
    private final int iteration;

    public ModelState(float[] params, float[] updater, int iteration) {
        this.params = params;
        this.updater = updater;
        this.iteration = iteration;
    }

    /** A copy of the network's current state. */
    public static ModelState of(Network net) {
        INDArray u = net.updaterState();
        return new ModelState(net.params().dup().data().asFloat(),
                u == null ? new float[0] : u.dup().data().asFloat(), net.iteration());
    }

    public float[] params() {
        return params;
    }

    public float[] updater() {
        return updater;
    }

    public int iteration() {
        return iteration;
    }

    /** Size of the arrays in bytes, for the log's account of what a round or an exchange moves. */
    public long bytes() {
        return 4L * (params.length + updater.length);
    }

    /** The same parameters without the updater state: what a frozen snapshot needs for inference. */
    public ModelState withoutUpdater() {
        return new ModelState(params, new float[0], iteration);
    }

    /** Overwrites the network's parameters, updater state (when this state has one) and iteration count. */
    public void applyTo(Network net) {
        INDArray p = net.params();
        if (p.length() != params.length) {
            throw new IllegalArgumentException("state has " + params.length + " parameters, the network "
                    + p.length());
        }
        net.model().setParams(Nd4j.create(params, new long[]{1, params.length}, 'c').castTo(p.dataType()));
        if (updater.length > 0) {
            INDArray view = net.updaterState();
            view.assign(Nd4j.create(updater, new long[]{1, updater.length}, 'c').castTo(view.dataType()));
        }
        net.setIteration(iteration);
    }

    /** Writes this state in a plain binary form (for checkpoints). */
    void write(DataOutputStream out) throws IOException {
        out.writeInt(iteration);
        writeFloats(out, params);
        writeFloats(out, updater);
    }

    /** Reads a state written by {@link #write}. */
    static ModelState read(DataInputStream in) throws IOException {
        int iteration = in.readInt();
        float[] p = readFloats(in);
        float[] u = readFloats(in);
        return new ModelState(p, u, iteration);
    }

    private static void writeFloats(DataOutputStream out, float[] values) throws IOException {
        out.writeInt(values.length);
        for (float v : values) {
            out.writeFloat(v);
        }
    }

    private static float[] readFloats(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            throw new IOException("negative array length " + n);
        }
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = in.readFloat();
        }
        return values;
    }
}
