package org.multiprocessing4j.internal.launch;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.ProcessInfo;
import org.multiprocessing4j.Task;
import org.multiprocessing4j.internal.task.TaskStreams;
import org.multiprocessing4j.platform.Handle;
import org.multiprocessing4j.platform.Platform;

/**
 * The child's side of the bootstrap protocol (the frames are laid out on {@link SpawnLauncher}):
 * parsing the bootstrap frame, becoming the child it names ({@link CurrentProcess}) and decoding
 * its task; and, for an idle forkserver child, receiving the hand-off that carries the task's
 * descriptors and that frame. Used by {@link ChildMain} and by {@link ChildWarmUp}, which runs the
 * same code ahead of time.
 */
final class ChildBootstrap {
    /** Bytes an idle child reads its hand-off into at once; a larger task is read after them. */
    static final long HAND_OFF_BUFFER = 64 * 1024;
    static final ValueLayout.OfInt BIG_ENDIAN_INT =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    private ChildBootstrap() {
    }

    /** What an idle child is handed: the task's handles and the bootstrap frame. */
    record HandOff(Handle[] handles, byte[] frame) {
    }

    /**
     * Waits for the hand-off of an idle child on its bootstrap socket {@code boot} (see
     * {@link #receiveHandOff}). Exits at once on end of stream (the parent died or shut the pool
     * down).
     */
    static HandOff awaitHandOff(Platform os, Handle boot, MemorySegment buffer) {
        try {
            HandOff handOff = receiveHandOff(os, boot, buffer);
            if (handOff == null) {
                ParentWatchdog.awaitExitIfExiting();
                Runtime.getRuntime().halt(0); // not handed a task: nothing to report
            }
            return handOff;
        } catch (IOException e) {
            ParentWatchdog.awaitExitIfExiting();
            System.err.println("multiprocessing4j child: bad hand-off: " + e);
            Runtime.getRuntime().halt(ChildMain.BOOTSTRAP_FAILED);
            return null;
        }
    }

    /**
     * Receives a hand-off, one message from {@link ForkserverLauncher}: a 4-byte big-endian count
     * that carries that many handles, then the bootstrap frame as a {@link Connection} frame
     * (4-byte big-endian length, bytes). Usually one receive into {@code buffer} gets it
     * all; the rest of a frame larger than {@code buffer} is read after it.
     *
     * @return the hand-off, or {@code null} at end of stream
     * @throws IOException if the count and the handles disagree, the frame length is
     *     negative or more than the frame arrived, or on a socket error; handles received
     *     are closed then
     */
    static HandOff receiveHandOff(Platform os, Handle socket, MemorySegment buffer)
            throws IOException {
        Platform.Received first = os.receiveWithHandles(socket, buffer, buffer.byteSize());
        Handle[] fds = first.handles();
        boolean done = false;
        try {
            long got = first.bytes();
            while (got < 8) {
                long r = got == 0 ? 0 : os.read(socket, buffer.asSlice(got), 8 - got);
                if (r == 0) {
                    return null;
                }
                got += r;
            }
            int count = buffer.get(BIG_ENDIAN_INT, 0);
            if (count != fds.length) {
                throw new IOException("the hand-off announced " + count + " handles but "
                        + fds.length + " arrived");
            }
            int length = buffer.get(BIG_ENDIAN_INT, 4);
            if (length < 0 || got - 8 > length) {
                throw new IOException("bad hand-off frame: length " + length + ", " + (got - 8)
                        + " bytes arrived");
            }
            byte[] frame = new byte[length];
            int have = (int) (got - 8);
            MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 8, frame, 0, have);
            while (have < length) {
                long r = os.read(socket, buffer, Math.min(buffer.byteSize(), length - have));
                if (r == 0) {
                    return null;
                }
                MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 0, frame, have, (int) r);
                have += (int) r;
            }
            done = true;
            return new HandOff(fds, frame);
        } finally {
            if (!done) {
                for (Handle fd : fds) {
                    os.close(fd);
                }
            }
        }
    }

    /**
     * Parses the bootstrap frame, makes this process the child it names and decodes the task.
     * Asks the backend for nothing unless the task has handles.
     *
     * @param pid this process's pid
     * @param received the handles a forkserver child received, or {@code null} when they are
     *     inherited (spawn)
     */
    static Task readTask(int pid, byte[] frame, Handle[] received)
            throws IOException, ClassNotFoundException {
        Bootstrap b = parseBootstrap(frame);
        CurrentProcess.becomeChild(b.identity(), new ProcessInfo(b.name(), pid, b.daemon()),
                new ProcessInfo(b.parentName(), b.parentPid(), false));
        // inheritedHandles also keeps what the task executes from inheriting them
        Handle[] fds = received != null ? received : TaskStreams.inheritedHandles(b.descriptors());
        if (fds.length != b.descriptors()) {
            throw new IOException("the task needs " + b.descriptors() + " handles, "
                    + fds.length + " arrived");
        }
        return TaskStreams.decode(b.task(), fds);
    }

    /** The bootstrap frame, parsed (see {@link SpawnLauncher} for its layout). */
    record Bootstrap(int parentPid, String parentName, int[] identity, String name,
                     boolean daemon, int descriptors, byte[] task) {
    }

    static Bootstrap parseBootstrap(byte[] frame) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(frame));
        int magic = in.readInt();
        int version = in.readInt();
        if (magic != SpawnLauncher.MAGIC || version != SpawnLauncher.VERSION) {
            throw new IOException("bootstrap frame has magic 0x" + Integer.toHexString(magic)
                    + " version " + version + ", expected 0x"
                    + Integer.toHexString(SpawnLauncher.MAGIC) + " version " + SpawnLauncher.VERSION
                    + ": parent and child run different multiprocessing4j versions");
        }
        int parentPid = in.readInt();
        String parentName = in.readUTF();
        int[] identity = new int[in.readInt()];
        for (int i = 0; i < identity.length; i++) {
            identity[i] = in.readInt();
        }
        String name = in.readUTF();
        boolean daemon = in.readBoolean();
        int descriptors = in.readInt();
        byte[] task = in.readNBytes(in.readInt());
        return new Bootstrap(parentPid, parentName, identity, name, daemon, descriptors, task);
    }
}
