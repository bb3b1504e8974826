package org.multiprocessing4j.internal.codec;

import java.io.ObjectInputFilter;

/**
 * The filter of one deserialization: the codec's limits, merged (with
 * {@link ObjectInputFilter#merge}) with its strict allow-list, if any, and the JVM-wide filter,
 * if one is set. A class or limit is rejected if any of the three rejects it. Records why the
 * first rejection happened, because {@link java.io.ObjectInputStream} reports only
 * "filter status: REJECTED".
 *
 * <p>One instance per decode call, confined to the decoding thread.
 */
final class DecodeFilter implements ObjectInputFilter {

    private final FilterSettings settings;
    private final long maxStreamBytes;
    private final ObjectInputFilter merged;
    private String rejection;

    DecodeFilter(FilterSettings settings, ObjectInputFilter strictAllowList, long maxStreamBytes) {
        this.settings = settings;
        this.maxStreamBytes = maxStreamBytes;
        ObjectInputFilter filter = this::checkLimits;
        if (strictAllowList != null) {
            filter = ObjectInputFilter.merge(filter, info -> explainAllowList(info, strictAllowList.checkInput(info)));
        }
        ObjectInputFilter jvmWide = ObjectInputFilter.Config.getSerialFilter();
        if (jvmWide != null) {
            filter = ObjectInputFilter.merge(filter, info -> explainJvmWide(info, jvmWide, jvmWide.checkInput(info)));
        }
        this.merged = filter;
    }

    @Override
    public Status checkInput(FilterInfo info) {
        return merged.checkInput(info);
    }

    /** Returns why the stream was rejected, with how to allow it, or {@code null}. */
    String rejection() {
        return rejection;
    }

    private Status checkLimits(FilterInfo info) {
        if (info.depth() > settings.maxDepth()) {
            return reject("object graph depth exceeds the limit of " + settings.maxDepth()
                    + "; raise it with Codec.builder().maxDepth(n)");
        }
        if (info.references() > settings.maxReferences()) {
            return reject("more than " + settings.maxReferences()
                    + " object references; raise the limit with Codec.builder().maxReferences(n)");
        }
        if (info.arrayLength() > settings.maxArrayLength()) {
            return reject("array of " + info.arrayLength() + " elements exceeds the limit of "
                    + settings.maxArrayLength() + "; raise it with Codec.builder().maxArrayLength(n)");
        }
        if (info.streamBytes() > maxStreamBytes) {
            return reject("stream reads " + info.streamBytes() + " bytes, past the end of its "
                    + maxStreamBytes + "-byte input");
        }
        return Status.UNDECIDED;
    }

    private Status explainAllowList(FilterInfo info, Status status) {
        if (status == Status.REJECTED) {
            Class<?> c = info.serialClass();
            while (c != null && c.isArray()) {
                c = c.getComponentType();
            }
            String name = c == null ? "(no class)" : c.getName();
            String pkg = c == null ? "" : c.getPackageName();
            String builder = settings.valueTypes() ? "Codec.builder().allowValueTypes()" : "Codec.builder()";
            return reject("class " + name + " is not on this codec's " + settings.describeAllowList()
                    + "; allow it with " + builder + ".allow(\"" + name + "\")"
                    + (pkg.isEmpty() ? "" : " or its package with .allow(\"" + pkg + ".*\")")
                    + (settings.valueTypes() ? " (only if decoding it from any peer is safe)" : ""));
        }
        return status;
    }

    private Status explainJvmWide(FilterInfo info, ObjectInputFilter jvmWide, Status status) {
        if (status == Status.REJECTED) {
            Class<?> c = info.serialClass();
            return reject((c == null ? "a limit" : "class " + c.getTypeName())
                    + " is rejected by the JVM-wide serial filter \"" + jvmWide
                    + "\" (system property jdk.serialFilter or ObjectInputFilter.Config.setSerialFilter);"
                    + " the codec cannot override it: change that filter to allow it");
        }
        return status;
    }

    private Status reject(String why) {
        if (rejection == null) {
            rejection = "deserialization rejected: " + why;
        }
        return Status.REJECTED;
    }
}
