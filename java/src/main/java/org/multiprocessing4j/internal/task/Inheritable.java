package org.multiprocessing4j.internal.task;

import java.io.IOException;
import java.io.Serializable;
import org.multiprocessing4j.Connection;
import org.multiprocessing4j.SharedMemory;
import org.multiprocessing4j.Task;
import org.multiprocessing4j.internal.Access;
import org.multiprocessing4j.internal.Descriptor;

/**
 * A resource that travels to a child as an inherited OS handle when a {@link Task} captures it
 * (Python's reduction of a Connection or a SharedMemory when a process starts): the child gets
 * the OS handle, and a small serializable {@link Handle} that rebuilds the
 * object around it. Public types expose this through {@link #of(Object)} rather than by
 * implementing it, so that no internal type appears in the public API.
 */
public interface Inheritable {

    /**
     * {@return {@code obj} as an inheritable resource, or {@code null} if it is not one} Each
     * public type that travels as a descriptor has its case here.
     */
    static Inheritable of(Object obj) {
        return switch (obj) {
            case Connection c -> new Resource(Access.connection().descriptor(c),
                    () -> Access.connection().childHandle(c));
            case SharedMemory m -> new Resource(Access.sharedMemory().descriptor(m),
                    () -> Access.sharedMemory().childHandle(m));
            default -> null;
        };
    }

    /** The adapter {@link #of} returns. */
    record Resource(Descriptor inheritedDescriptor, java.util.function.Supplier<Handle> handles)
            implements Inheritable {
        @Override
        public Handle handle() {
            return handles.get();
        }
    }

    /** {@return the descriptor the child must inherit; open} */
    Descriptor inheritedDescriptor();

    /** {@return what is serialized in place of this object} */
    Handle handle();

    /** Rebuilds the resource in the child. */
    interface Handle extends Serializable {
        /**
         * {@return the resource, owning {@code handle}}
         *
         * @param handle the inherited handle in this process
         * @throws IOException if it cannot be rebuilt (for example a mapping fails)
         */
        Object resolve(org.multiprocessing4j.platform.Handle handle) throws IOException;
    }
}
