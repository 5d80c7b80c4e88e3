package io.distillery.bench;

import io.distillery.config.DistilleryException;
import io.distillery.config.LayerSpec;
import io.distillery.config.ModelSpec;
import io.distillery.model.ModelFactory;
import io.distillery.store.SoftTargetSchema;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The data sets {@link StoreBench} measures the store on, each with a trained teacher: the synthetic 1,000-class
 * prototypes (see {@link StoreBench} for the construction) and Fashion-MNIST. The teachers are the bench's fixtures,
 * trained with a plain loop on the driver; the input rows are written as Parquet under the bench's work directory.
 */
final class StoreBenchTeachers {
    private static final Logger LOG = LoggerFactory.getLogger(StoreBenchTeachers.class);

    /** One data set: its name, its input rows (Parquet), its teacher, its class count and facts for the report. */
    record Fixture(String name, String input, MultiLayerNetwork teacher, int classes, Map<String, Object> facts) {
    }

    private final SparkSession spark;
    private final StoreBench.Options o;
    private final File work;

    StoreBenchTeachers(SparkSession spark, StoreBench.Options options, File work) {
        this.spark = spark;
        this.o = options;
        this.work = work;
    }

    /** The synthetic 1,000-class (by default) data set and its trained teacher. */
    Fixture synthetic() {
        int c = o.classes;
        int d = o.inputWidth;
        Random rnd = new Random(o.seed);
        double[][] a = new double[d][o.latent];
        for (double[] row : a) {
            for (int j = 0; j < o.latent; j++) {
                row[j] = rnd.nextGaussian() / Math.sqrt(o.latent);
            }
        }
        double[][] proto = new double[c][d];
        for (int k = 0; k < c; k++) {
            double[] u = new double[o.latent];
            for (int j = 0; j < o.latent; j++) {
                u[j] = rnd.nextGaussian();
            }
            for (int i = 0; i < d; i++) {
                double s = 0;
                for (int j = 0; j < o.latent; j++) {
                    s += a[i][j] * u[j];
                }
                proto[k][i] = s;
            }
        }
        double nearest = SyntheticPrototypes.medianNearestDistance(proto);
        double sigma = o.noise > 0 ? o.noise * nearest
                : SyntheticPrototypes.sigmaForBayesAccuracy(proto, o.bayesAccuracy, rnd);
        double bayes = SyntheticPrototypes.nearestPrototypeAccuracy(proto, sigma, new Random(o.seed + 2), 5000);
        int n = Math.max(o.teacherRows, o.rows);
        float[] x = new float[n * d];
        int[] y = new int[n];
        for (int r = 0; r < n; r++) {
            y[r] = rnd.nextInt(c);
            for (int i = 0; i < d; i++) {
                x[r * d + i] = (float) (proto[y[r]][i] + sigma * rnd.nextGaussian());
            }
        }
        String name = "synthetic-" + c;
        MultiLayerNetwork teacher = teacherNet(d, c, List.of(o.hidden), 0);
        fit(teacher, x, y, n, d, c, o.teacherEpochs);
        String input = new File(work, name + "-input").getAbsolutePath();
        StructType schema = new StructType()
                .add(SoftTargetSchema.ID, DataTypes.LongType, false)
                .add(SoftTargetSchema.LABEL, DataTypes.IntegerType, false)
                .add(SoftTargetSchema.FEATURES, DataTypes.createArrayType(DataTypes.FloatType, false), false);
        List<Row> rows = new ArrayList<>(o.rows);
        for (int r = 0; r < o.rows; r++) {
            float[] f = new float[d];
            System.arraycopy(x, r * d, f, 0, d);
            rows.add(RowFactory.create((long) r, y[r], f));
        }
        spark.createDataFrame(rows, schema).repartition(2).write().parquet(input);
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("model", Bench.shape(teacher) + " MLP, Adam 1e-3, batch 256, " + o.teacherEpochs + " epochs on " + n
                + " rows");
        t.put("data", String.format(Locale.ROOT, "prototypes on a %d-d manifold in %d-d, noise sigma %.3f (%.2f x "
                + "median nearest-prototype distance); Bayes-optimal accuracy %.3f", o.latent, d, sigma,
                sigma / nearest, bayes));
        return new Fixture(name, input, teacher, c, t);
    }

    /** Fashion-MNIST rows from {@code path} and a teacher trained on them. */
    Fixture fashionMnist(String path) {
        List<Row> all = spark.read().option("pathGlobFilter", "*.parquet").parquet(path)
                .select(SoftTargetSchema.ID, SoftTargetSchema.LABEL, SoftTargetSchema.FEATURES)
                .orderBy(SoftTargetSchema.ID).limit(Math.max(o.fashionRows, o.fashionTeacherRows)).collectAsList();
        if (all.isEmpty()) {
            throw new DistilleryException("Fashion-MNIST data " + path + " has no rows.");
        }
        int d = all.get(0).getList(2).size();
        int c = 10;
        int n = all.size();
        float[] x = new float[n * d];
        int[] y = new int[n];
        for (int r = 0; r < n; r++) {
            List<Float> f = all.get(r).getList(2);
            for (int i = 0; i < d; i++) {
                x[r * d + i] = f.get(i);
            }
            y[r] = all.get(r).getInt(1);
        }
        MultiLayerNetwork teacher = teacherNet(d, c, List.of(512, 512), 0.2);
        fit(teacher, x, y, n, d, c, o.fashionTeacherEpochs);
        String input = new File(work, "fashion-mnist-input").getAbsolutePath();
        spark.createDataFrame(all.subList(0, Math.min(o.fashionRows, n)), spark.read().parquet(path)
                        .select(SoftTargetSchema.ID, SoftTargetSchema.LABEL, SoftTargetSchema.FEATURES).schema())
                .repartition(2).write().parquet(input);
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("model", Bench.shape(teacher) + " MLP, dropout 0.2, Adam 1e-3, batch 256, " + o.fashionTeacherEpochs
                + " epochs on " + n + " rows of " + path);
        return new Fixture("fashion-mnist", input, teacher, c, t);
    }

    private MultiLayerNetwork teacherNet(int width, int classes, List<Integer> hidden, double dropout) {
        List<LayerSpec> layers = new ArrayList<>();
        for (int i = 0; i < hidden.size(); i++) {
            layers.add(new LayerSpec("dense", "hidden" + (i + 1), hidden.get(i), 2, 1, "relu", i == 0 ? dropout : 0));
        }
        return ModelFactory.build(new ModelSpec(layers, "adam", 1e-3, 0, 0, 0), width, List.of(), classes,
                new LossMCXENT(), o.seed);
    }

    /** Plain minibatch training on the driver (the teacher is the bench's fixture, not what it measures). */
    private void fit(MultiLayerNetwork net, float[] x, int[] y, int n, int d, int c, int epochs) {
        int batch = 256;
        Random rnd = new Random(o.seed + 1);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int e = 0; e < epochs; e++) {
            for (int i = n - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            long t0 = System.nanoTime();
            for (int s = 0; s < n; s += batch) {
                int m = Math.min(batch, n - s);
                float[] bx = new float[m * d];
                float[] by = new float[m * c];
                for (int r = 0; r < m; r++) {
                    System.arraycopy(x, order[s + r] * d, bx, r * d, d);
                    by[r * c + y[order[s + r]]] = 1f;
                }
                net.fit(new DataSet(Nd4j.create(bx, new long[] {m, d}, 'c'), Nd4j.create(by, new long[] {m, c}, 'c')));
            }
            LOG.info(String.format(Locale.ROOT, "bench store: teacher epoch %d/%d, %.1f s, loss %.4f", e + 1, epochs,
                    (System.nanoTime() - t0) / 1e9, net.score()));
        }
    }
}
