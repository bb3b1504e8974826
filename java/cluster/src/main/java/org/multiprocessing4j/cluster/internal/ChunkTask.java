package org.multiprocessing4j.cluster.internal;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.Callable;
import org.multiprocessing4j.Codec;
import org.multiprocessing4j.CodecException;
import org.multiprocessing4j.ProcessPool;

/**
 * One pool task as Hazelcast carries it to a member: the {@link Wire} bytes of a function and its
 * arguments, opaque to Hazelcast ({@link DataSerializable}: a {@code byte[]}, no Java
 * serialization by Hazelcast). On the member, {@link #call()} decodes them with
 * {@link MemberCodec#get() the member's codec} (so its deserialization filter applies), runs the
 * function over every item, and answers with {@link Wire} bytes. It never throws: a failure of
 * the function, a class the member cannot load and bytes it cannot decode are answers, so that an
 * exception from Hazelcast always means the invocation itself failed (for example the member
 * left).
 *
 * <p>Instantiated by Hazelcast through its public no-argument constructor.
 */
public final class ChunkTask implements Callable<byte[]>, DataSerializable, HazelcastInstanceAware {
    private byte[] task;
    private transient String member = "a member";

    /** For Hazelcast's deserialization. */
    public ChunkTask() {
    }

    /**
     * A task to send.
     *
     * @param task its {@link Wire} bytes
     */
    public ChunkTask(byte[] task) {
        this.task = task;
    }

    @Override
    public void setHazelcastInstance(HazelcastInstance hz) {
        member = "member " + hz.getCluster().getLocalMember().getAddress();
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeByteArray(task);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        task = in.readByteArray();
    }

    @Override
    public byte[] call() {
        Codec codec = MemberCodec.get();
        byte kind;
        Object fn;
        Object[] args;
        int count;
        try {
            Wire.Reader r = new Wire.Reader(task);
            kind = r.readByte();
            fn = r.readValue(codec);
            count = r.readInt();
            int n = kind == Wire.STAR ? 2 * count : kind == Wire.APPLY ? count : 0;
            args = new Object[n];
            for (int i = 0; i < n; i++) {
                args[i] = r.readValue(codec);
            }
        } catch (CodecException | RuntimeException e) {
            String missing = missingClass(e);
            if (missing != null) {
                return Wire.encodeMissingClass(missing, member + " cannot load class " + missing
                        + " that the task needs (" + e + ")");
            }
            return Wire.encodeText(Wire.UNDECODABLE, member + " could not decode the task: " + e);
        }
        Object[] results;
        try {
            results = run(kind, fn, args, count);
        } catch (InterruptedException e) {
            return Wire.encodeFailed(codec, e, member + ": the task was interrupted");
        } catch (Throwable e) {
            String missing = missingClass(e);
            if (missing != null) {
                return Wire.encodeMissingClass(missing, member + " cannot load class " + missing
                        + " that the task needs (" + e + ")");
            }
            return Wire.encodeFailed(codec, e, member + ": " + stackTrace(e));
        }
        try {
            return Wire.encodeOk(codec, results);
        } catch (CodecException | RuntimeException e) {
            return Wire.encodeFailed(codec, e, member + " cannot encode a result: " + stackTrace(e));
        }
    }

    @SuppressWarnings("unchecked")
    private static Object[] run(byte kind, Object fn, Object[] args, int count) throws Exception {
        switch (kind) {
            case Wire.APPLY -> {
                var f = (ProcessPool.SerializableFunction<Object, Object>) fn;
                Object[] out = new Object[count];
                for (int i = 0; i < count; i++) {
                    out[i] = f.apply(args[i]);
                }
                return out;
            }
            case Wire.STAR -> {
                var f = (ProcessPool.SerializableBiFunction<Object, Object, Object>) fn;
                Object[] out = new Object[count];
                for (int i = 0; i < count; i++) {
                    out[i] = f.apply(args[2 * i], args[2 * i + 1]);
                }
                return out;
            }
            case Wire.CALL -> {
                return new Object[] {((Callable<Object>) fn).call()};
            }
            case Wire.RUN -> {
                ((Runnable) fn).run();
                return new Object[] {null};
            }
            default -> throw new CodecException("unknown task kind " + kind);
        }
    }

    /** {@return the class a {@code ClassNotFoundException} or {@code NoClassDefFoundError} in {@code e}'s causes names, or null} */
    static String missingClass(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ClassNotFoundException || t instanceof NoClassDefFoundError) {
                String m = t.getMessage();
                return m == null ? "(unnamed)" : m.replace('/', '.');
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    private static String stackTrace(Throwable e) {
        StringWriter w = new StringWriter();
        e.printStackTrace(new PrintWriter(w));
        return w.toString();
    }
}
