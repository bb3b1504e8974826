package org.multiprocessing4j.platform;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Sleeping on, and waking sleepers on, 32-bit words of one shared region, across processes: the
 * backend's part of the library's waiting policy (which spins first and decides how long to
 * sleep). Obtained from {@link Platform#waitChannel(MemorySegment, long)}; Linux implements it
 * with a shared futex per word and keeps no state in the region, a backend without futexes keeps
 * its process-shared state (for example condition variables) in the region's wait-channel area.
 *
 * <p>Every word passed to a channel must be a naturally aligned 4-byte slice of the region the
 * channel was made for. The channel orders nothing: callers publish their state with their own
 * atomic accesses and re-check it after every return.
 *
 * <p>Thread-safe. Usable for as long as the region stays mapped; using it after the region is
 * unmapped is an error of the caller ({@link IllegalStateException} from the memory access). A
 * process that dies while sleeping leaves nothing that blocks anyone else.
 */
public interface WaitChannel {

    /**
     * Sleeps while {@code word} still holds {@code expected}, at most {@code timeoutNanos}
     * (negative: without limit). Blocks the calling (carrier) thread.
     *
     * @param word a 4-byte slice of the channel's region
     * @param expected the value read before deciding to sleep
     * @param timeoutNanos the longest sleep; negative means forever
     * @return {@code false} only if the whole timeout elapsed; {@code true} if woken, if the
     *     word differed, or spuriously (callers re-check)
     * @throws IOException if the OS refuses
     */
    boolean await(MemorySegment word, int expected, long timeoutNanos) throws IOException;

    /**
     * Wakes up to {@code count} threads sleeping on {@code word}, in any process. Never blocks
     * for long (a backend may briefly take a process-shared lock).
     *
     * @param word a 4-byte slice of the channel's region
     * @param count how many to wake, {@code Integer.MAX_VALUE} for all
     * @return how many were woken, as far as the backend knows (0 when it cannot tell)
     * @throws IOException if the OS refuses
     */
    int wake(MemorySegment word, int count) throws IOException;
}
