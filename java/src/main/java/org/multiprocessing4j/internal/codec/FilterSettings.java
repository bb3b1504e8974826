package org.multiprocessing4j.internal.codec;

import java.io.ObjectInputFilter;

/**
 * The deserialization settings of a {@link DefaultCodec}, as configured by
 * {@code Codec.Builder}. Immutable.
 *
 * @param maxDepth maximum object graph depth, {@code >= 1}
 * @param maxReferences maximum number of object references, {@code >= 1}
 * @param maxArrayLength maximum length of one array, {@code >= 0}
 * @param maxExpandedSize maximum expanded size of one value (see {@link ExpandedSize}), {@code >= 1}
 * @param allowList {@code jdk.serialFilter}-syntax patterns of the allow-list joined by
 *     {@code ;}, or {@code null} for none
 * @param valueTypes whether the allow-list also holds the value types of {@link ValueTypes}
 *     (the codec for peers that have not authenticated)
 * @param classLoader loader for resolving classes when the thread has no context class loader
 */
public record FilterSettings(long maxDepth, long maxReferences, long maxArrayLength,
        long maxExpandedSize, String allowList, boolean valueTypes, ClassLoader classLoader) {

    /**
     * Returns the allow-list as a filter that rejects every class it does not allow, or
     * {@code null} if there is none (neither patterns nor value types).
     *
     * @return the strict allow-list filter, or {@code null}
     * @throws IllegalArgumentException if the patterns are malformed
     */
    ObjectInputFilter strictAllowList() {
        ObjectInputFilter patterns = allowList == null ? null : ObjectInputFilter.Config.createFilter(allowList);
        if (valueTypes) {
            return new ValueTypes(patterns);
        }
        return patterns == null ? null : ObjectInputFilter.rejectUndecidedClass(patterns);
    }

    /** {@return the allow-list as the rejection messages describe it} */
    String describeAllowList() {
        if (!valueTypes) {
            return "allow-list \"" + allowList + "\"";
        }
        return "allow-list for peers that have not authenticated (JDK value types, enums, records"
                + " of allowed types, arrays of them" + (allowList == null ? "" : ", and \"" + allowList + "\"")
                + ")";
    }
}
