package org.multiprocessing4j.internal.sync;

import java.lang.foreign.MemorySegment;
import org.multiprocessing4j.internal.RegionHeader;
import org.multiprocessing4j.platform.WaitChannel;

/**
 * A 32-bit word of a shared region that threads sleep on, with the region's wait channel: what
 * {@link Waiting#sleep} and {@link Waiting#wake} take. Immutable and thread-safe; valid for as
 * long as the region stays mapped.
 *
 * @param word the 4-byte slice of the region
 * @param channel the region's wait channel ({@link RegionHeader#waitChannel})
 */
public record WaitWord(MemorySegment word, WaitChannel channel) {

    /**
     * {@return the word at {@code offset} of a region whose header is published or checked}
     *
     * @throws IllegalStateException if the region has no wait channel
     */
    public static WaitWord of(MemorySegment region, long offset) {
        return new WaitWord(region.asSlice(offset, 4), RegionHeader.waitChannel(region));
    }
}
