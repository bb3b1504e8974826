package org.multiprocessing4j.internal.codec;

import java.io.ObjectInputFilter;

/**
 * The deserialization settings of a {@link DefaultCodec}, as configured by
 * {@code Codec.Builder}. Immutable.
 *
 * @param maxDepth maximum object graph depth, {@code >= 1}
 * @param maxReferences maximum number of object references, {@code >= 1}
 * @param maxArrayLength maximum length of one array, {@code >= 0}
 * @param allowList {@code jdk.serialFilter}-syntax patterns of the allow-list joined by
 *     {@code ;}, or {@code null} for no allow-list
 * @param classLoader loader for resolving classes when the thread has no context class loader
 */
public record FilterSettings(long maxDepth, long maxReferences, long maxArrayLength,
        String allowList, ClassLoader classLoader) {

    /**
     * Returns the allow-list as a filter that rejects every class it does not allow, or
     * {@code null} if there is none.
     *
     * @return the strict allow-list filter, or {@code null}
     * @throws IllegalArgumentException if the patterns are malformed
     */
    ObjectInputFilter strictAllowList() {
        return allowList == null
                ? null
                : ObjectInputFilter.rejectUndecidedClass(ObjectInputFilter.Config.createFilter(allowList));
    }
}
